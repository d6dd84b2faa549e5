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

/** The `ridge` head's defaults: λ among 10⁻³ … 1 (relative), 300 conjugate-gradient iterations. */
export const ridgeDefaults = { lambdas: [1e-3, 1e-2, 1e-1, 1], iterations: 300 };

export const RidgeConfig = struct(
  'ridge',
  { lambdas: t.array(positive), iterations: positiveInt },
  ridgeDefaults,
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

/**
 * A ridge solver for standardised rows `x` `[n, d]`: the Gram matrix (primal
 * XᵀX when d ≤ n, dual XXᵀ otherwise) is computed once; each call solves for
 * centred targets `y` (`[n, m]` row-major) and λ relative to the mean squared
 * row norm, and returns the weights `[d, m]` (row-major). `dispose` frees it.
 */
export const ridgeSolver = (x: tf.Tensor2D, iterations: number): { solve: (y: Float64Array, m: number, lambda: number) => Float64Array; dispose: () => void } => {
  const [n, d] = x.shape;
  const primal = d <= n;
  const xt = tf.transpose(x);
  const gram = primal ? tf.matMul(xt, x) : tf.matMul(x, xt);
  const G = Float64Array.from(gram.dataSync());
  gram.dispose();
  const size = primal ? d : n;
  // λ is relative to the mean squared row norm, trace(XᵀX)/n = trace(XXᵀ)/n: primal and dual agree
  const scale = Array.from({ length: size }, (_, i) => G[i * size + i]!).reduce((s, v) => s + v, 0) / n;
  const solve = (y: Float64Array, m: number, lambda: number): Float64Array => {
    const yt = tf.tensor2d(Float32Array.from(y), [n, m]);
    const rhs = primal ? tf.matMul(xt, yt) : yt;
    const b = rhs.dataSync();
    const cols = Array.from({ length: m }, (_, j) => conjugateGradient(G, size, lambda * scale, Float64Array.from({ length: size }, (_, i) => b[i * m + j]!), iterations));
    tf.dispose(primal ? [yt, rhs] : [yt]);
    const w = new Float64Array(d * m);
    if (primal) {
      cols.forEach((col, j) => col.forEach((v, i) => (w[i * m + j] = v)));
      return w;
    }
    const a = tf.tensor2d(Float32Array.from({ length: n * m }, (_, idx) => cols[idx % m]![Math.floor(idx / m)]!), [n, m]);
    const wt = tf.matMul(xt, a);
    wt.dataSync().forEach((v, i) => (w[i] = v));
    tf.dispose([a, wt]);
    return w;
  };
  return { solve, dispose: () => xt.dispose() };
};

/** Ridge weights `[d, m]` (row-major) for standardised rows `x` and centred targets `y`: one solve of {@link ridgeSolver}. */
export const ridgeWeights = (x: tf.Tensor2D, y: Float64Array, m: number, lambda: number, iterations: number): Float64Array => {
  const solver = ridgeSolver(x, iterations);
  try {
    return solver.solve(y, m, lambda);
  } finally {
    solver.dispose();
  }
};

/** A ridge fit on standardised features: the standardisation, the target means, the weights and the λ chosen. */
export interface StandardisedRidge {
  /** Feature means and standard deviations `[d]`. */
  readonly xm: tf.Tensor1D;
  readonly xs: tf.Tensor1D;
  /** Target means `[m]`. */
  readonly ym: tf.Tensor1D;
  /** Weights `[d, m]` (row-major) on standardised features, for centred targets. */
  readonly w: Float64Array;
  readonly lambda: number;
}

/**
 * Ridge regression of `targets` `[n, m]` on standardised `features` `[n, d]`:
 * λ chosen among `c.lambdas` by the error on a held-out fifth of the rows
 * (drawn from `rng`), then the weights solved on every row. The caller
 * disposes `xm`, `xs` and `ym`.
 */
export const fitStandardisedRidge = (features: tf.Tensor2D, targets: tf.Tensor2D, rng: Rng, c: { readonly lambdas: ReadonlyArray<number>; readonly iterations: number }): StandardisedRidge => {
  const [n, d] = features.shape;
  const m = targets.shape[1];
  const { mean: xm, std: xs } = standardizer(features);
  const ym = tf.mean(targets, 0) as tf.Tensor1D;
  const x = tf.tidy(() => tf.div(tf.sub(features, xm), xs) as tf.Tensor2D);
  const y = Float64Array.from(tf.tidy(() => tf.sub(targets, ym)).dataSync());
  const order = Array.from(rng.permutation(n));
  const cut = Math.floor(0.8 * n);
  const rows = (r: number[]) => tf.tidy(() => tf.gather(x, tf.tensor1d(r, 'int32')) as tf.Tensor2D);
  const xFit = rows(order.slice(0, cut));
  const xHeld = rows(order.slice(cut));
  const pick = (r: number[]) => Float64Array.from(r.flatMap((i) => Array.from({ length: m }, (_, j) => y[i * m + j]!)));
  const yFit = pick(order.slice(0, cut));
  const yHeld = pick(order.slice(cut));
  const solveFit = ridgeSolver(xFit, c.iterations);
  const heldError = (lambda: number): number => {
    const w = tf.tensor2d(Float32Array.from(solveFit.solve(yFit, m, lambda)), [d, m]);
    const p = tf.matMul(xHeld, w);
    const pred = Array.from(p.dataSync());
    tf.dispose([w, p]);
    return pred.reduce((e, v, i) => e + (v - yHeld[i]!) ** 2, 0);
  };
  const errors = c.lambdas.map(heldError);
  solveFit.dispose();
  tf.dispose([xFit, xHeld]);
  const lambda = c.lambdas[errors.indexOf(Math.min(...errors))]!;
  const w = ridgeWeights(x, y, m, lambda, c.iterations);
  x.dispose();
  return { xm, xs, ym, w, lambda };
};

/** A ridge regressor. */
export const ridgeRegressor = (c: RidgeConfig): Regressor => {
  let fitted: { xm: tf.Tensor1D; xs: tf.Tensor1D; w: tf.Tensor2D; ym: tf.Tensor1D } | undefined;
  return {
    kind: 'regressor',
    fit: (features: tf.Tensor2D, targets: tf.Tensor2D, rng: Rng) => {
      const r = fitStandardisedRidge(features, targets, rng, c);
      fitted = { xm: r.xm, xs: r.xs, w: tf.tensor2d(Float32Array.from(r.w), [features.shape[1], targets.shape[1]]), ym: r.ym };
    },
    predict: (features) => tf.tidy(() => tf.add(tf.matMul(tf.div(tf.sub(features, fitted!.xm), fitted!.xs), fitted!.w), fitted!.ym) as tf.Tensor2D),
    dispose: () => {
      if (fitted) tf.dispose([fitted.xm, fitted.xs, fitted.w, fitted.ym]);
    },
  };
};

/** The `ridge` head plugin. */
export const ridge = defineHead('ridge', 'ridge regressor in closed form (primal or dual by width, conjugate gradients; λ chosen on a held-out fifth), for wide features', RidgeConfig, ridgeRegressor);
