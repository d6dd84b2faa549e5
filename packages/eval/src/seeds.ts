/**
 * Statistics over seeds: the mean and sample standard deviation of a
 * quantity measured once per seed (by `@equissl/core`'s {@link mean} and
 * {@link sampleStd}) with the per-seed values, the pooled standard deviation
 * of two such sets, and a quick rule for a difference: beyond twice the
 * pooled standard deviation (the tests `equissl reproduce` declares for its
 * tables are in `hypothesis.ts`).
 *
 * @since 0.1.0
 */
import { mean, sampleStd } from '@equissl/core';

/** Mean and sample standard deviation (n − 1; 0 for a single value) of per-seed values, and the values. */
export interface SeedSummary {
  readonly mean: number;
  readonly std: number;
  readonly n: number;
  /** The per-seed values, in seed order (absent in summaries written before they were kept). */
  readonly values?: ReadonlyArray<number>;
}

/** Summarises per-seed values (an empty list is NaN ± NaN, n = 0). */
export const summarise = (values: ReadonlyArray<number>): SeedSummary => ({ mean: mean(values), std: sampleStd(values), n: values.length, values: [...values] });

/** Pooled standard deviation of two summaries: sqrt(((n_a−1)s_a² + (n_b−1)s_b²) / (n_a + n_b − 2)); 0 when both have one value. */
export const pooledStd = (a: SeedSummary, b: SeedSummary): number => {
  const dof = a.n + b.n - 2;
  return dof <= 0 ? 0 : Math.sqrt(((a.n - 1) * a.std ** 2 + (b.n - 1) * b.std ** 2) / dof);
};

/** How a difference a − b is called. */
export interface Difference {
  readonly difference: number;
  readonly pooledStd: number;
  /** Whether |a − b| > 2 · pooled std (never with a single seed on both sides). */
  readonly called: boolean;
}

/** The difference of means a − b and whether it exceeds twice the pooled standard deviation. */
export const compareSeeds = (a: SeedSummary, b: SeedSummary): Difference => {
  const difference = a.mean - b.mean;
  const pooled = pooledStd(a, b);
  return { difference, pooledStd: pooled, called: a.n + b.n > 2 && Math.abs(difference) > 2 * pooled };
};

/** `0.512 ± 0.031 (0.48, 0.53, 0.52)`: {@link formatSummary} with the per-seed values beside it (two more digits than the mean's, at most 3). */
export const formatWithValues = (s: SeedSummary, digits = 3, scale = 1): string =>
  s.values === undefined || s.values.length < 2 ? formatSummary(s, digits, scale) : `${formatSummary(s, digits, scale)} (${s.values.map((v) => (scale * v).toFixed(Math.min(3, digits))).join(', ')})`;

/** `0.512 ± 0.031` (digits after the point; `–` for NaN; `0.512 (1 seed)` where one value gives no spread). */
export const formatSummary = (s: SeedSummary, digits = 3, scale = 1): string =>
  Number.isNaN(s.mean)
    ? '–'
    : s.n === 1
      ? `${(scale * s.mean).toFixed(digits)} (1 seed)`
      : `${(scale * s.mean).toFixed(digits)} ± ${(scale * s.std).toFixed(digits)}`;
