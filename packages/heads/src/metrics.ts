/**
 * Evaluation metrics: R² as in SIE (one scalar mean over all elements) and
 * per dimension, and top-1 accuracy.
 *
 * @since 0.1.0
 */

/** SIE's R²: 1 − Σ(t − o)² / Σ(t − mean(t))², one mean over every element of the `[N, m]` targets. */
export const r2Scalar = (targets: ArrayLike<number>, predictions: ArrayLike<number>): number => {
  const n = targets.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += targets[i]!;
  mean /= n;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    res += (targets[i]! - predictions[i]!) ** 2;
    tot += (targets[i]! - mean) ** 2;
  }
  return tot === 0 ? 0 : 1 - res / tot;
};

/** R² of each column of `[N, m]` row-major targets. */
export const r2PerDimension = (targets: ArrayLike<number>, predictions: ArrayLike<number>, m: number): number[] =>
  Array.from({ length: m }, (_, j) => {
    const col = (a: ArrayLike<number>) => Array.from({ length: a.length / m }, (_, i) => a[i * m + j]!);
    return r2Scalar(col(targets), col(predictions));
  });

/** Fraction of equal entries. */
export const accuracy = (labels: ArrayLike<number>, predictions: ArrayLike<number>): number => {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) hit++;
  return labels.length === 0 ? 0 : hit / labels.length;
};
