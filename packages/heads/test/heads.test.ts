/** Metrics against hand-computed values; heads on toy problems with known answers. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { accuracy, knnClassifier, linearClassifier, mlpRegressor, r2PerDimension, r2Scalar } from '../src/index.js';

describe('metrics', () => {
  it('R² (SIE, one scalar mean) by hand', () => {
    // t = [1, 2, 3, 4], o = [1, 2, 3, 5]: mean 2.5, SS_tot = 5, SS_res = 1 → 0.8
    expect(r2Scalar([1, 2, 3, 4], [1, 2, 3, 5])).toBeCloseTo(0.8, 12);
    expect(r2Scalar([1, 2, 3], [1, 2, 3])).toBe(1);
    // predicting the mean gives 0
    expect(r2Scalar([1, 3], [2, 2])).toBe(0);
  });

  it('per-dimension R² and the scalar R² differ when columns have different means', () => {
    // two columns: [[0, 10], [2, 10], [4, 14]] vs predictions [[0, 11], [2, 11], [4, 12]]
    const t = [0, 10, 2, 10, 4, 14];
    const o = [0, 11, 2, 11, 4, 12];
    // column 0 exact → 1; column 1: mean 34/3, SS_tot = 32/3, SS_res = 1 + 1 + 4 = 6 → 1 − 18/32 = 0.4375
    expect(r2PerDimension(t, o, 2)).toEqual([1, expect.closeTo(0.4375, 12)]);
    // scalar: mean of all six = 40/6, SS_tot = Σ(t − 20/3)², SS_res = 6
    const mean = 40 / 6;
    const tot = t.reduce((s, v) => s + (v - mean) ** 2, 0);
    expect(r2Scalar(t, o)).toBeCloseTo(1 - 6 / tot, 12);
  });

  it('accuracy', () => {
    expect(accuracy([0, 1, 2, 2], [0, 1, 1, 2])).toBe(0.75);
  });
});

describe('heads', () => {
  it('k-NN votes with exp(cos/τ) weights', () => {
    // bank: two class-0 points near (1, 0), one class-1 point at (0, 1); query (0.6, 0.8)
    const knn = knnClassifier({ k: 3, temperature: 0.07, chunk: 2 });
    knn.fit(tf.tensor2d([[1, 0], [1, 0.1], [0, 1]]), Int32Array.from([0, 0, 1]), 2, Rng.seeded(0));
    // votes: class 1 exp(0.8/0.07) ≫ class 0 exp(0.6/0.07) + exp(≈0.676/0.07)
    expect(Array.from(knn.predict(tf.tensor2d([[0.6, 0.8], [1, 0.05]])))).toEqual([1, 0]);
    knn.dispose();
  });

  it('the linear probe separates linearly separable classes', () => {
    const rng = Rng.seeded(1);
    const n = 200;
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const x = tf.tensor2d(Array.from(labels).flatMap((l) => [l + 0.1 * rng.normal(), -l + 0.1 * rng.normal(), rng.normal()]), [n, 3]);
    const probe = linearClassifier({ epochs: 60, batchSize: 32, lr: 1e-2, weightDecay: 0 });
    probe.fit(x, labels, 3, Rng.seeded(2));
    expect(accuracy(labels, probe.predict(x))).toBe(1);
    probe.dispose();
  });

  it('the MLP regressor learns a smooth function (R² > 0.95 on held-out points)', () => {
    const rng = Rng.seeded(3);
    const make = (n: number) => {
      const xs = Array.from({ length: n }, () => [rng.between(-1, 1), rng.between(-1, 1)]);
      return { x: tf.tensor2d(xs), y: tf.tensor2d(xs.map(([a, b]) => [Math.sin(2 * a!) + b! * b!, 3 * a! - b!])) };
    };
    const train = make(512);
    const test = make(128);
    const reg = mlpRegressor({ hidden: [64, 64], epochs: 60, batchSize: 64, lr: 3e-3 });
    reg.fit(train.x, train.y, Rng.seeded(4));
    const pred = reg.predict(test.x);
    expect(r2Scalar(test.y.dataSync(), pred.dataSync())).toBeGreaterThan(0.95);
    reg.dispose();
  });
});
