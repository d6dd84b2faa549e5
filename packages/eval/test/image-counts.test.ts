/** The images a suite used: the counts it keeps, and the flags of fewer than asked and too few held out. */
import { describe, expect, it } from 'vitest';
import { countFlags, countsMarkdown, countsSummary, minHeldOutImages, pairCounts, splitCounts } from '../src/index.js';

describe('image counts', () => {
  it('splits the images used 80 / 20, and uses no more than the data holds', () => {
    expect(splitCounts(4096, 36, 0.8)).toEqual({ asked: 4096, used: 36, train: 28, test: 8 });
    expect(splitCounts(1000, 5000, 0.8)).toEqual({ asked: 1000, used: 1000, train: 800, test: 200 });
  });

  it('counts a suite that asks per split', () => {
    expect(pairCounts({ train: 2048, test: 1024 }, { train: 2048, test: 36 })).toEqual({ asked: 3072, used: 2084, train: 2048, test: 36, askedTrain: 2048, askedTest: 1024 });
  });

  it('flags fewer images than asked, and fewer held out than the minimum (50)', () => {
    expect(minHeldOutImages).toBe(50);
    expect(countFlags(splitCounts(1000, 5000, 0.8), 'R²')).toEqual([]);
    expect(countFlags(splitCounts(1000, 500, 0.8), 'R²')).toEqual(['the data holds fewer images than asked']);
    // 60 images: 48 fit, 12 held out — as many as asked, yet too few to score on
    expect(countFlags(splitCounts(60, 500, 0.8), 'R²')).toEqual(['R² from fewer than 50 held-out images is not reliable']);
    expect(countFlags(splitCounts(250, 500, 0.8), 'R²')).toEqual([]);
    // 245 images: 196 fit, 49 held out
    expect(countFlags(splitCounts(245, 500, 0.8), 'R²')).toEqual(['R² from fewer than 50 held-out images is not reliable']);
  });

  it('prints a line only when something is flagged, and always reports the counts in markdown', () => {
    expect(countsSummary('equivariance', splitCounts(1000, 5000, 0.8), 'R²')).toEqual([]);
    expect(countsSummary('equivariance', undefined, 'R²')).toEqual([]);
    expect(countsSummary('equivariance', splitCounts(4096, 36, 0.8), 'R²')).toEqual([
      'equivariance: 36 of 4096 images asked (28 to fit, 8 held out); the data holds fewer images than asked; R² from fewer than 50 held-out images is not reliable',
    ]);
    expect(countsMarkdown('method', splitCounts(1000, 5000, 0.8), 'R²')).toBe('- method: 1000 of 1000 images asked (800 to fit, 200 held out)');
  });
});
