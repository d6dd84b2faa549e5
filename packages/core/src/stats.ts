/**
 * Descriptive statistics of one sample of numbers: the mean, the sample
 * standard deviation, the type-7 quantile and the five-number summary
 * (median, extremes, quartiles).
 *
 * Pure functions on plain arrays, shared by the statistics over seeds of
 * `@equissl/eval` (mean ± std) and the timing summaries of `equissl bench`
 * (median, min–max, IQR), so both compute them one way. An empty sample has
 * no statistics: every function returns NaN for it (and `n` = 0).
 *
 * @since 0.1.0
 */

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The median, the extremes and the quartiles of a sample, with its size and its interquartile range. */
export interface FiveNumberSummary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First quartile. */
  readonly q1: number;
  /** Third quartile. */
  readonly q3: number;
  /** q3 − q1. */
  readonly iqr: number;
}

// -------------------------------------------------------------------------------------
// moments
// -------------------------------------------------------------------------------------

/** The arithmetic mean (NaN for an empty sample). */
export const mean = (xs: ReadonlyArray<number>): number => (xs.length === 0 ? Number.NaN : xs.reduce((s, v) => s + v, 0) / xs.length);

/** The sample standard deviation, sqrt(Σ(x − mean)² / (n − 1)): 0 for a single value, NaN for an empty sample. */
export const sampleStd = (xs: ReadonlyArray<number>): number => {
  const n = xs.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1));
};

// -------------------------------------------------------------------------------------
// order statistics
// -------------------------------------------------------------------------------------

/**
 * The p-quantile (0 ≤ p ≤ 1) of values sorted in ascending order, by linear
 * interpolation between order statistics at position p·(n − 1), 0-based
 * (numpy's and R's default, "type 7"); NaN for an empty sample.
 */
export const quantileSorted = (sorted: ReadonlyArray<number>, p: number): number => {
  if (sorted.length === 0) return Number.NaN;
  const h = p * (sorted.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
};

/** The {@link FiveNumberSummary} of `xs` in any order (median and quartiles by {@link quantileSorted}; all NaN when empty). */
export const fiveNumberSummary = (xs: ReadonlyArray<number>): FiveNumberSummary => {
  const s = [...xs].sort((a, b) => a - b);
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  return { n: s.length, median: quantileSorted(s, 0.5), min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN, q1, q3, iqr: q3 - q1 };
};
