/** The ridge regressor: conjugate gradients against a hand-solved system, primal = dual, and an exact linear target recovered. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { conjugateGradient, ridgeRegressor, ridgeWeights } from '../src/index.js';

describe('ridge', () => {
  it('conjugate gradients solve (K + λI)x = b: [[2,1],[1,3]] + 1·I, b = [1, 2] gives x = [2/11, 5/11]', () => {
    // [[3,1],[1,4]] x = [1,2] → det 11, x = [(4·1 − 1·2)/11, (3·2 − 1·1)/11] = [2/11, 5/11]
    const x = conjugateGradient(Float64Array.from([2, 1, 1, 3]), 2, 1, Float64Array.from([1, 2]), 10);
    expect(x[0]).toBeCloseTo(2 / 11, 12);
    expect(x[1]).toBeCloseTo(5 / 11, 12);
  });

  it('the primal (d ≤ n) and the dual (d > n) give the same weights', () => {
    const rng = Rng.seeded(1);
    const rows = (n: number, d: number) => tf.tensor2d(Float32Array.from({ length: n * d }, () => rng.normal()), [n, d]);
    // 6 rows of width 4 (primal) against the same problem seen as its transpose-equivalent: embed in width 8 with zero columns (dual: 8 > 6)
    const x = rows(6, 4);
    const wide = tf.concat([x, tf.zeros([6, 4])], 1) as tf.Tensor2D;
    const y = Float64Array.from({ length: 6 }, () => rng.normal());
    const primal = ridgeWeights(x, y, 1, 0.1, 200);
    const dual = ridgeWeights(wide, y, 1, 0.1, 200);
    for (let i = 0; i < 4; i++) expect(dual[i]).toBeCloseTo(primal[i]!, 5);
    for (let i = 4; i < 8; i++) expect(dual[i]).toBeCloseTo(0, 6);
  });

  it('recovers an exact linear target (R² ≈ 1) with the smallest λ', () => {
    const rng = Rng.seeded(2);
    const n = 200;
    const xs = Float32Array.from({ length: n * 3 }, () => rng.normal());
    const ys = Float32Array.from({ length: n }, (_, i) => 2 * xs[3 * i]! - xs[3 * i + 1]! + 0.5 * xs[3 * i + 2]! + 7);
    const head = ridgeRegressor({ lambdas: [1e-6, 1], iterations: 100 });
    const x = tf.tensor2d(xs, [n, 3]);
    head.fit(x, tf.tensor2d(ys, [n, 1]), rng);
    const pred = head.predict(x).dataSync();
    for (let i = 0; i < 5; i++) expect(pred[i]).toBeCloseTo(ys[i]!, 3);
    head.dispose();
  });
});
