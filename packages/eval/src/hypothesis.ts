/**
 * The tests `equissl reproduce` declares before its runs: one-sided
 * t-tests over seeds and Holm's correction for the comparisons of a table.
 *
 * - {@link welchGreater}: is mean(a) − mean(b) greater than a margin δ?
 *   Welch's two-sample t-test (unequal variances, Welch–Satterthwaite degrees
 *   of freedom), H0: μ_a − μ_b ≤ δ against H1: μ_a − μ_b > δ. "The method
 *   keeps ≥ 0.2 more R² than the baseline" is `welchGreater(method, baseline, 0.2)`.
 * - {@link oneSampleGreater}: is the mean of one sample greater than μ0?
 *   Student's one-sample t-test, H0: μ ≤ μ0. The systems' "h ≥ 0.5" tests the
 *   per-seed shares of headroom closed, h = (Ours − X) / (1 − X) of one seed.
 * - {@link holm}: Holm's step-down adjustment of p-values (Holm 1979,
 *   "A simple sequentially rejective multiple test procedure"), which controls
 *   the family-wise error rate of a table's comparisons at α.
 *
 * The t distribution's tail comes from jStat (`jstat`); the rest is the
 * textbook formulas, checked in the tests against SciPy's `ttest_ind(...,
 * equal_var=False, alternative='greater')` and `ttest_1samp`, and Holm's
 * adjustment against a worked example.
 *
 * @since 0.1.0
 */
import { mean, sampleStd } from '@equissl/core';
import { createRequire } from 'node:module';

/** The part of jStat (`jstat`, a CommonJS module without type declarations) used here. */
const { jStat } = createRequire(import.meta.url)('jstat') as { readonly jStat: { readonly studentt: { readonly cdf: (x: number, dof: number) => number } } };

/** A one-sided t-test's outcome. */
export interface OneSidedTest {
  /** The estimate tested: mean(a) − mean(b), or mean(xs). */
  readonly estimate: number;
  /** The value H0 allows at most (δ or μ0). */
  readonly null: number;
  readonly t: number;
  readonly df: number;
  /** P(T ≥ t) under H0; NaN when the test cannot be computed (fewer than 2 values on a side, or no spread at all). */
  readonly p: number;
}

/** The upper tail P(T ≥ t) of Student's t with `df` degrees of freedom. */
export const upperTail = (t: number, df: number): number => 1 - jStat.studentt.cdf(t, df);

/** The tail where both samples have no spread: the difference settles the question with certainty. */
const degenerate = (estimate: number, bound: number): number => (estimate > bound ? 0 : 1);

/** Welch's one-sided test of H1: mean(a) − mean(b) > `margin`. */
export const welchGreater = (a: ReadonlyArray<number>, b: ReadonlyArray<number>, margin = 0): OneSidedTest => {
  const estimate = mean(a) - mean(b);
  if (a.length < 2 || b.length < 2) return { estimate, null: margin, t: Number.NaN, df: Number.NaN, p: Number.NaN };
  const va = sampleStd(a) ** 2 / a.length;
  const vb = sampleStd(b) ** 2 / b.length;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { estimate, null: margin, t: Number.NaN, df: Number.NaN, p: degenerate(estimate, margin) };
  const t = (estimate - margin) / se;
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  return { estimate, null: margin, t, df, p: upperTail(t, df) };
};

/** Student's one-sample one-sided test of H1: mean(xs) > `mu0`. */
export const oneSampleGreater = (xs: ReadonlyArray<number>, mu0: number): OneSidedTest => {
  const estimate = mean(xs);
  if (xs.length < 2) return { estimate, null: mu0, t: Number.NaN, df: Number.NaN, p: Number.NaN };
  const se = sampleStd(xs) / Math.sqrt(xs.length);
  if (se === 0) return { estimate, null: mu0, t: Number.NaN, df: Number.NaN, p: degenerate(estimate, mu0) };
  const t = (estimate - mu0) / se;
  return { estimate, null: mu0, t, df: xs.length - 1, p: upperTail(t, xs.length - 1) };
};

/** Welch's two-sided test of mean(a) ≠ mean(b): twice the smaller one-sided tail (for differences with no direction declared, e.g. K = 1 against K = 2). */
export const welchTwoSided = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): OneSidedTest => {
  const greater = welchGreater(a, b);
  // with no spread on either side the difference itself settles it
  const p = Number.isNaN(greater.t) ? (Number.isNaN(greater.p) ? greater.p : greater.estimate === 0 ? 1 : 0) : Math.min(1, 2 * Math.min(greater.p, 1 - greater.p));
  return { ...greater, p };
};

/** A p-value as the tables print it: 2 significant digits, `< 0.001` below, `–` for NaN. */
export const formatP = (p: number): string => (Number.isNaN(p) ? '–' : p < 0.001 ? '< 0.001' : p.toPrecision(2));

/**
 * Holm's adjusted p-values, in the order given: sort ascending, multiply the
 * i-th smallest (0-based) by (m − i), carry the running maximum, cap at 1.
 * NaN p-values (tests that could not be computed) stay NaN and do not count in m.
 */
export const holm = (ps: ReadonlyArray<number>): number[] => {
  const order = ps.map((p, i) => ({ p, i })).filter((x) => !Number.isNaN(x.p)).sort((x, y) => x.p - y.p);
  const adjusted = ps.map(() => Number.NaN);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (order.length - k) * p));
    adjusted[i] = running;
  });
  return adjusted;
};

/** The family-wise error rate the tables' comparisons are held to. */
export const alpha = 0.05;
