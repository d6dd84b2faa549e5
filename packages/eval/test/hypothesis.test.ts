/** The declared tests against SciPy (`ttest_ind(a, b + δ, equal_var=False, alternative='greater')`, `ttest_1samp(..., alternative='greater')`) and Holm's adjustment by hand. */
import { describe, expect, it } from 'vitest';
import { formatP, holm, oneSampleGreater, welchGreater, welchTwoSided } from '../src/hypothesis.js';

describe('welchGreater', () => {
  it('gives SciPy\'s t, degrees of freedom and one-sided p (no margin, and a margin of 0.2)', () => {
    const a = [0.957, 0.96, 0.954];
    const b = [0.42, 0.3, 0.55];
    const plain = welchGreater(a, b);
    expect(plain.t).toBeCloseTo(7.390604062309234, 10);
    expect(plain.p).toBeCloseTo(0.008881853442546453, 10);
    const margin = welchGreater(a, b, 0.2);
    expect(margin.estimate).toBeCloseTo(0.957 - 0.42333333333333334, 12);
    expect(margin.t).toBeCloseTo(4.6208586298385645, 10);
    expect(margin.df).toBeCloseTo(2.002302771091821, 10);
    expect(margin.p).toBeCloseTo(0.021842566705261794, 10);
  });

  it('at five seeds a side', () => {
    const r = welchGreater([0.646, 0.5, 0.8, 0.71, 0.55], [0.229, 0.26, 0.19, 0.25, 0.22], 0.2);
    expect(r.t).toBeCloseTo(3.820667724605815, 10);
    expect(r.df).toBeCloseTo(4.411185053305232, 10);
    expect(r.p).toBeCloseTo(0.007823282933774238, 10);
  });

  it('is NaN with one value on a side, and certain when neither side varies', () => {
    expect(welchGreater([1], [0, 0.1]).p).toBeNaN();
    expect(welchGreater([0.9, 0.9], [0.5, 0.5], 0.2).p).toBe(0);
    expect(welchGreater([0.6, 0.6], [0.5, 0.5], 0.2).p).toBe(1);
  });
});

describe('oneSampleGreater', () => {
  it('gives SciPy\'s t and one-sided p', () => {
    const r = oneSampleGreater([0.6, 0.7, 0.65], 0.5);
    expect(r.t).toBeCloseTo(5.19615242270663, 10);
    expect(r.df).toBe(2);
    expect(r.p).toBeCloseTo(0.017549359322992335, 10);
    const wide = oneSampleGreater([0.93, 0.45, 0.62, 0.59, 0.3], 0.5);
    expect(wide.t).toBeCloseTo(0.744581299921274, 10);
    expect(wide.p).toBeCloseTo(0.24894538221606743, 10);
  });
});

describe('holm', () => {
  it('multiplies the i-th smallest by m − i, keeps the running maximum, caps at 1, in the input order', () => {
    // sorted 0.005·5 = 0.025, 0.01·4 = 0.04, 0.03·3 = 0.09, 0.04·2 = 0.08 → 0.09, 0.2·1 = 0.2
    const adjusted = holm([0.01, 0.04, 0.03, 0.2, 0.005]);
    [0.04, 0.09, 0.09, 0.2, 0.025].forEach((v, i) => expect(adjusted[i]).toBeCloseTo(v, 12));
    expect(holm([0.6, 0.7])).toEqual([1, 1]);
  });

  it('leaves NaN where a test could not be computed and does not count it', () => {
    const adjusted = holm([0.01, Number.NaN, 0.02]);
    expect(adjusted[0]).toBeCloseTo(0.02, 12);
    expect(adjusted[1]).toBeNaN();
    expect(adjusted[2]).toBeCloseTo(0.02, 12);
  });
});

describe('welchTwoSided', () => {
  it("gives SciPy's two-sided p (ttest_ind(..., equal_var=False))", () => {
    const r = welchTwoSided([0.957, 0.96, 0.954], [0.42, 0.3, 0.55]);
    expect(r.p).toBeCloseTo(2 * 0.008881853442546453, 10);
    expect(welchTwoSided([0.42, 0.3, 0.55], [0.957, 0.96, 0.954]).p).toBeCloseTo(2 * 0.008881853442546453, 10);
    expect(welchTwoSided([0.5, 0.5], [0.5, 0.5]).p).toBe(1);
  });
});

describe('formatP', () => {
  it('prints two significant digits, < 0.001 below, – for NaN', () => {
    expect([formatP(0.021842), formatP(0.0004), formatP(Number.NaN), formatP(1)]).toEqual(['0.022', '< 0.001', '–', '1.0']);
  });
});
