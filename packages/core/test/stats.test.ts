/** Descriptive statistics of a sample against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { fiveNumberSummary, mean, quantileSorted, sampleStd } from '../src/index.js';

describe('mean and sample standard deviation', () => {
  it('[2, 4, 4, 4, 5, 5, 7, 9]: mean 5, sample std sqrt(32 / 7) = 2.138…', () => {
    // deviations −3, −1, −1, −1, 0, 0, 2, 4; squares sum to 9 + 1 + 1 + 1 + 0 + 0 + 4 + 16 = 32; / (n − 1) = 32 / 7
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(xs)).toBe(5);
    expect(sampleStd(xs)).toBeCloseTo(2.1380899352993947, 12);
    expect(sampleStd(xs)).toBeCloseTo(Math.sqrt(32 / 7), 15);
  });

  it('[0.2, 0.4, 0.6]: mean 0.4, sample std 0.2', () => {
    // squared deviations 0.04 + 0 + 0.04 = 0.08, / 2 = 0.04
    expect(mean([0.2, 0.4, 0.6])).toBeCloseTo(0.4, 12);
    expect(sampleStd([0.2, 0.4, 0.6])).toBeCloseTo(0.2, 12);
  });

  it('one value has no spread; an empty sample has neither', () => {
    expect(mean([0.7])).toBe(0.7);
    expect(sampleStd([0.7])).toBe(0);
    expect(mean([])).toBeNaN();
    expect(sampleStd([])).toBeNaN();
  });
});

describe('the type-7 quantile', () => {
  it('[1, 2, 3, 4] interpolates at position p·(n − 1)', () => {
    // 0.25·3 = 0.75 → 1 + 0.75·(2 − 1); 0.5·3 = 1.5 → 2 + 0.5·(3 − 2); 0.75·3 = 2.25 → 3 + 0.25·(4 − 3)
    const s = [1, 2, 3, 4];
    expect(quantileSorted(s, 0.25)).toBe(1.75);
    expect(quantileSorted(s, 0.5)).toBe(2.5);
    expect(quantileSorted(s, 0.75)).toBe(3.25);
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(4);
  });

  it('[10, 20, 30, 40, 50] at 0.1 and 0.9: 14 and 46 (as numpy.quantile)', () => {
    // 0.1·4 = 0.4 → 10 + 0.4·10; 0.9·4 = 3.6 → 40 + 0.6·10
    expect(quantileSorted([10, 20, 30, 40, 50], 0.1)).toBeCloseTo(14, 12);
    expect(quantileSorted([10, 20, 30, 40, 50], 0.9)).toBeCloseTo(46, 12);
  });

  it('is NaN for an empty sample and the value itself for one', () => {
    expect(quantileSorted([], 0.5)).toBeNaN();
    expect(quantileSorted([7], 0.25)).toBe(7);
  });
});

describe('the five-number summary', () => {
  it('five values: the middle one, the 2nd and 4th as quartiles', () => {
    const s = fiveNumberSummary([0.3, 0.25, 0.28, 0.27, 0.29]);
    expect(s.n).toBe(5);
    expect(s.median).toBeCloseTo(0.28, 12);
    expect(s.min).toBeCloseTo(0.25, 12);
    expect(s.max).toBeCloseTo(0.3, 12);
    expect(s.q1).toBeCloseTo(0.27, 12);
    expect(s.q3).toBeCloseTo(0.29, 12);
    expect(s.iqr).toBeCloseTo(0.02, 12);
  });

  it('an even count interpolates: [4, 1, 3, 2] has median 2.5 and quartiles 1.75 and 3.25, and stays unsorted', () => {
    const xs = [4, 1, 3, 2];
    expect(fiveNumberSummary(xs)).toEqual({ n: 4, median: 2.5, min: 1, max: 4, q1: 1.75, q3: 3.25, iqr: 1.5 });
    expect(xs).toEqual([4, 1, 3, 2]);
  });

  it('one value is its own median and spread; an empty sample is all NaN', () => {
    expect(fiveNumberSummary([7])).toEqual({ n: 1, median: 7, min: 7, max: 7, q1: 7, q3: 7, iqr: 0 });
    expect(fiveNumberSummary([])).toEqual({ n: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN, q1: Number.NaN, q3: Number.NaN, iqr: Number.NaN });
  });

  it('sorts numerically, not as strings', () => {
    // [10, 9, 100] as strings would sort to [10, 100, 9]
    expect(fiveNumberSummary([10, 9, 100])).toMatchObject({ min: 9, median: 10, max: 100 });
  });
});
