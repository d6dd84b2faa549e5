/** Statistics over seeds against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { compareSeeds, formatSummary, pooledStd, summarise } from '../src/index.js';

describe('seed statistics', () => {
  it('summarise: mean and sample std (n − 1)', () => {
    // [0.2, 0.4, 0.6]: mean 0.4, squared deviations 0.04 + 0 + 0.04 = 0.08, / 2 = 0.04, std 0.2
    const s = summarise([0.2, 0.4, 0.6]);
    expect(s.mean).toBeCloseTo(0.4, 12);
    expect(s.std).toBeCloseTo(0.2, 12);
    expect(s.n).toBe(3);
    expect(summarise([0.7])).toEqual({ mean: 0.7, std: 0, n: 1, values: [0.7] });
    expect(Number.isNaN(summarise([]).mean)).toBe(true);
  });

  it('pooledStd weighs each side by its degrees of freedom', () => {
    // a: n 3, std 0.2; b: n 3, std 0.1 → sqrt((2·0.04 + 2·0.01) / 4) = sqrt(0.025)
    expect(pooledStd({ mean: 0, std: 0.2, n: 3 }, { mean: 0, std: 0.1, n: 3 })).toBeCloseTo(Math.sqrt(0.025), 12);
    // a: n 2, std 0.3; b: n 4, std 0.1 → sqrt((1·0.09 + 3·0.01) / 4) = sqrt(0.03)
    expect(pooledStd({ mean: 0, std: 0.3, n: 2 }, { mean: 0, std: 0.1, n: 4 })).toBeCloseTo(Math.sqrt(0.03), 12);
  });

  it('calls a difference only beyond twice the pooled std, never with one seed each', () => {
    const a = summarise([0.7, 0.8, 0.9]); // mean 0.8, std 0.1
    const b = summarise([0.45, 0.5, 0.55]); // mean 0.5, std 0.05
    const d = compareSeeds(a, b);
    expect(d.difference).toBeCloseTo(0.3, 12);
    expect(d.pooledStd).toBeCloseTo(Math.sqrt((2 * 0.01 + 2 * 0.0025) / 4), 12); // 0.0791
    expect(d.called).toBe(true);
    expect(compareSeeds(summarise([0.6, 0.8, 1.0]), summarise([0.5, 0.6, 0.7])).called).toBe(false); // 0.2 < 2 · sqrt((0.04 + 0.01)/2) = 0.316
    expect(compareSeeds(summarise([0.9]), summarise([0.1])).called).toBe(false);
  });

  it('formats mean ± std', () => {
    expect(formatSummary(summarise([0.2, 0.4, 0.6]))).toBe('0.400 ± 0.200');
    expect(formatSummary(summarise([0.8, 0.9]), 1, 100)).toBe('85.0 ± 7.1');
    expect(formatSummary(summarise([0.25]))).toBe('0.250 (1 seed)');
  });
});
