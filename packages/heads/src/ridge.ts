/**
 * `ridge`: a linear regressor fitted in closed form (ridge regression), for
 * wide features such as flattened patch tokens, where the MLP regressor's
 * first layer would cost minutes per fit.
 *
 * Inputs are standardised and targets centred on the training split. With n
 * training rows the dual problem (K + λI)·α = y, K = X·Xᵀ, is solved by
 * conjugate gradients, and the primal weights w = Xᵀ·α kept for prediction.
 * λ is chosen from `lambdas` (relative to the mean of K's diagonal) by the
 * error on a held-out fifth of the training rows, then the fit is redone on
 * all of them.
 *
 * @since 0.1.0
 */
import { type Rng, positive, positiveInt, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { defineHead, type Regressor } from './head.js';
import { standardizer } from './minibatch.js';

export const RidgeConfig = struct(
  'ridge',
  { lambdas: t.array(positive), iterations: positiveInt },
  { lambdas: [1e-3, 1e-2, 1e-1, 1], iterations: 300 },
);
export type RidgeConfig = t.TypeOf<typeof RidgeConfig>;

/**
 * Solves (K + λI)·x = b for a symmetric positive semi-definite `K` (`n × n`,
 * row-major) by conjugate gradients, at most `iterations` steps or until the
 * residual falls below 1e-8 of ‖b‖.
 */
export const conjugateGradient = (K: Float64Array, n: number, lambda: number, b: Float64Array, iterations: number): Float64Array => {
  const x = new Float64Array(n);
  const r = Float64Array.from(b);
  const p = Float64Array.from(b);
  const q = new Float64Array(n);
  const dot = (a: Float64Array, c: Float64Array) => a.reduce((s, v, i) => s + v * c[i]!, 0);
  let rr = dot(r, r);
  const stop = 1e-16 * rr;
  for (let it = 0; it < iterations && rr > stop; it++) {
    for (let i = 0; i < n; i++) {
      let s = lambda * p[i]!;
      const row = i * n;
      for (let j = 0; j < n; j++) s += K[row + j]! * p[j]!;
      q[i] = s;
    }
    const alpha = rr / dot(p, q);
    for (let i = 0; i < n; i++) {
      x[i] = x[i]! + alpha * p[i]!;
      r[i] = r[i]! - alpha * q[i]!;
    }
    const next = dot(r, r);
    const beta = next / rr;
    rr = next;
    for (let i = 0; i < n; i++) p[i] = r[i]! + beta * p[i]!;
  }
  return x;
};

/** The rows `rows` and columns `cols` of the `n × n` matrix `K`. */
const block = (K: Float64Array, n: number, rows: ReadonlyArray<number>, cols: ReadonlyArray<number>): Float64Array => {
  const out = new Float64Array(rows.length * cols.length);
  rows.forEach((r, i) => cols.forEach((c, j) => (out[i * cols.length + j] = K[r * n + c]!)));
  return out;
};

/** Dual coefficients `[n, m]` (column-major per target) of ridge on kernel `K` with centred targets `y` (`[n, m]` row-major). */
const solveDual = (K: Float64Array, n: number, y: Float64Array, m: number, lambda: number, iterations: number): Float64Array[] =>
  Array.from({ length: m }, (_, j) => conjugateGradient(K, n, lambda, Float64Array.from({ length: n }, (_, i) => y[i * m + j]!), iterations));

/** A ridge regressor. */
export const ridgeRegressor = (c: RidgeConfig): Regressor => {
  let fitted: { xm: tf.Tensor1D; xs: tf.Tensor1D; w: tf.Tensor2D; ym: tf.Tensor1D } | undefined;
  return {
    kind: 'regressor',
    fit: (features: tf.Tensor2D, targets: tf.Tensor2D, rng: Rng) => {
      const [n] = features.shape;
      const m = targets.shape[1];
      const { mean: xm, std: xs } = standardizer(features);
      const ym = tf.mean(targets, 0) as tf.Tensor1D;
      const x = tf.tidy(() => tf.div(tf.sub(features, xm), xs) as tf.Tensor2D);
      const xt = tf.transpose(x);
      const kernel = tf.matMul(x, xt);
      const K = Float64Array.from(kernel.dataSync());
      kernel.dispose();
      const y = Float64Array.from(tf.tidy(() => tf.sub(targets, ym)).dataSync());
      const scale = Array.from({ length: n }, (_, i) => K[i * n + i]!).reduce((s, v) => s + v, 0) / n;
      // λ from a held-out fifth of the rows
      const order = Array.from(rng.permutation(n));
      const cut = Math.floor(0.8 * n);
      const fit = order.slice(0, cut);
      const held = order.slice(cut);
      const pick = (rows: ReadonlyArray<number>) => Float64Array.from(rows.flatMap((r) => Array.from({ length: m }, (_, j) => y[r * m + j]!)));
      const kFit = block(K, n, fit, fit);
      const kHeld = block(K, n, held, fit);
      const yFit = pick(fit);
      const yHeld = pick(held);
      const heldError = (lambda: number): number => {
        const alpha = solveDual(kFit, fit.length, yFit, m, lambda * scale, c.iterations);
        let e = 0;
        for (let i = 0; i < held.length; i++) {
          for (let j = 0; j < m; j++) {
            let p = 0;
            for (let k = 0; k < fit.length; k++) p += kHeld[i * fit.length + k]! * alpha[j]![k]!;
            e += (p - yHeld[i * m + j]!) ** 2;
          }
        }
        return e;
      };
      const errors = c.lambdas.map(heldError);
      const best = c.lambdas[errors.indexOf(Math.min(...errors))]!;
      const alpha = solveDual(K, n, y, m, best * scale, c.iterations);
      const a = tf.tensor2d(Float32Array.from({ length: n * m }, (_, idx) => alpha[idx % m]![Math.floor(idx / m)]!), [n, m]);
      const w = tf.matMul(xt, a) as tf.Tensor2D;
      tf.dispose([x, xt, a]);
      fitted = { xm, xs, w, ym };
    },
    predict: (features) => tf.tidy(() => tf.add(tf.matMul(tf.div(tf.sub(features, fitted!.xm), fitted!.xs), fitted!.w), fitted!.ym) as tf.Tensor2D),
    dispose: () => {
      if (fitted) tf.dispose([fitted.xm, fitted.xs, fitted.w, fitted.ym]);
    },
  };
};

/** The `ridge` head plugin. */
export const ridge = defineHead('ridge', 'ridge regressor in closed form (dual, conjugate gradients; λ chosen on a held-out fifth), for wide features', RidgeConfig, ridgeRegressor);
