/**
 * `ridge`: a linear regressor fitted in closed form (ridge regression), for
 * wide features such as flattened patch tokens, where the MLP regressor's
 * first layer would cost minutes per fit.
 *
 * Inputs are standardised and targets centred on the training split. With n
 * training rows of width d, the smaller of two equivalent systems is solved
 * by conjugate gradients: the primal (XᵀX + λI)·w = Xᵀy when d ≤ n, else the
 * dual (XXᵀ + λI)·α = y with w = Xᵀα. Only w is kept for prediction.
 * λ is chosen from `lambdas` (relative to the mean squared row norm) by the
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

/** Dual coefficients `[n, m]` (column-major per target) of ridge on kernel `K` with centred targets `y` (`[n, m]` row-major). */
const solveDual = (K: Float64Array, n: number, y: Float64Array, m: number, lambda: number, iterations: number): Float64Array[] =>
  Array.from({ length: m }, (_, j) => conjugateGradient(K, n, lambda, Float64Array.from({ length: n }, (_, i) => y[i * m + j]!), iterations));

/** `xᵀ·x` of `[n, d]` rows as a `d × d` Float64Array (the primal Gram matrix). */
const gram = (x: tf.Tensor2D): Float64Array => {
  const xt = tf.transpose(x);
  const g = tf.matMul(xt, x);
  const out = Float64Array.from(g.dataSync());
  tf.dispose([xt, g]);
  return out;
};

/**
 * Ridge weights `[d, m]` (row-major) for standardised rows `x` `[n, d]` and
 * centred targets `y` (`[n, m]` row-major), λ relative to the mean
 * squared row norm: primal when d ≤ n, dual otherwise.
 */
export const ridgeWeights = (x: tf.Tensor2D, y: Float64Array, m: number, lambda: number, iterations: number): Float64Array => {
  const [n, d] = x.shape;
  const w = new Float64Array(d * m);
  if (d <= n) {
    const G = gram(x);
    // λ is relative to the mean squared row norm, trace(XᵀX)/n = trace(XXᵀ)/n: primal and dual agree
    const scale = Array.from({ length: d }, (_, i) => G[i * d + i]!).reduce((s, v) => s + v, 0) / n;
    const yt = tf.tensor2d(Float32Array.from(y), [n, m]);
    const xt = tf.transpose(x);
    const xty = tf.matMul(xt, yt);
    const b = xty.dataSync();
    tf.dispose([yt, xt, xty]);
    for (let j = 0; j < m; j++) {
      const col = conjugateGradient(G, d, lambda * scale, Float64Array.from({ length: d }, (_, i) => b[i * m + j]!), iterations);
      col.forEach((v, i) => (w[i * m + j] = v));
    }
    return w;
  }
  const xt = tf.transpose(x);
  const kernel = tf.matMul(x, xt);
  const K = Float64Array.from(kernel.dataSync());
  kernel.dispose();
  const scale = Array.from({ length: n }, (_, i) => K[i * n + i]!).reduce((s, v) => s + v, 0) / n;
  const alpha = solveDual(K, n, y, m, lambda * scale, iterations);
  const a = tf.tensor2d(Float32Array.from({ length: n * m }, (_, idx) => alpha[idx % m]![Math.floor(idx / m)]!), [n, m]);
  const wt = tf.matMul(xt, a);
  const flat = wt.dataSync();
  tf.dispose([xt, a, wt]);
  flat.forEach((v, i) => (w[i] = v));
  return w;
};

/** A ridge regressor. */
export const ridgeRegressor = (c: RidgeConfig): Regressor => {
  let fitted: { xm: tf.Tensor1D; xs: tf.Tensor1D; w: tf.Tensor2D; ym: tf.Tensor1D } | undefined;
  return {
    kind: 'regressor',
    fit: (features: tf.Tensor2D, targets: tf.Tensor2D, rng: Rng) => {
      const [n, d] = features.shape;
      const m = targets.shape[1];
      const { mean: xm, std: xs } = standardizer(features);
      const ym = tf.mean(targets, 0) as tf.Tensor1D;
      const x = tf.tidy(() => tf.div(tf.sub(features, xm), xs) as tf.Tensor2D);
      const y = Float64Array.from(tf.tidy(() => tf.sub(targets, ym)).dataSync());
      // λ from a held-out fifth of the rows
      const order = Array.from(rng.permutation(n));
      const cut = Math.floor(0.8 * n);
      const rows = (r: number[]) => tf.tidy(() => tf.gather(x, tf.tensor1d(r, 'int32')) as tf.Tensor2D);
      const xFit = rows(order.slice(0, cut));
      const xHeld = rows(order.slice(cut));
      const pick = (r: number[]) => Float64Array.from(r.flatMap((i) => Array.from({ length: m }, (_, j) => y[i * m + j]!)));
      const yFit = pick(order.slice(0, cut));
      const yHeld = pick(order.slice(cut));
      const heldError = (lambda: number): number => {
        const w = tf.tensor2d(Float32Array.from(ridgeWeights(xFit, yFit, m, lambda, c.iterations)), [d, m]);
        const p = tf.matMul(xHeld, w);
        const pred = Array.from(p.dataSync());
        tf.dispose([w, p]);
        return pred.reduce((e, v, i) => e + (v - yHeld[i]!) ** 2, 0);
      };
      const errors = c.lambdas.map(heldError);
      tf.dispose([xFit, xHeld]);
      const best = c.lambdas[errors.indexOf(Math.min(...errors))]!;
      const w = tf.tensor2d(Float32Array.from(ridgeWeights(x, y, m, best, c.iterations)), [d, m]);
      x.dispose();
      fitted = { xm, xs, w, ym };
    },
    predict: (features) => tf.tidy(() => tf.add(tf.matMul(tf.div(tf.sub(features, fitted!.xm), fitted!.xs), fitted!.w), fitted!.ym) as tf.Tensor2D),
    dispose: () => {
      if (fitted) tf.dispose([fitted.xm, fitted.xs, fitted.w, fitted.ym]);
    },
  };
};

/** The `ridge` head plugin. */
export const ridge = defineHead('ridge', 'ridge regressor in closed form (primal or dual by width, conjugate gradients; λ chosen on a held-out fifth), for wide features', RidgeConfig, ridgeRegressor);
