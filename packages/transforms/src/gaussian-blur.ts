/**
 * `gaussianBlur`: a separable Gaussian blur with σ ~ U(lo, hi) pixels
 * (paper: [0.1, 2]); θ = [σ], path σ_t = t·σ, and σ = 0 is the identity.
 *
 * Each image gets its own σ, so the blur is written as two batched matrix
 * products, `G_h · X · G_wᵀ`, with reflect padding (as torchvision) folded into
 * the matrices: one kernel call per axis for the whole batch.
 *
 * @since 0.1.0
 */
import { definePlugin, interval, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs';
import type * as t from 'io-ts';
import { type Params, type TransformFamily, lerpFromIdentity } from './family.js';

/** Reflect an index into [0, n) without repeating the edge (torch `reflect`). */
const reflect = (i: number, n: number): number => {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
};

/**
 * The `n × n` matrix G with `(G x)_i = Σ_j w_j x_{reflect(i + j)}`: a normalised
 * Gaussian of std `sigma` over radius ⌈3σ⌉ (capped at n − 1). σ ≤ 0 gives I.
 */
export const gaussianMatrix = (sigma: number, n: number): Float32Array => {
  const m = new Float32Array(n * n);
  if (!(sigma > 0)) {
    for (let i = 0; i < n; i++) m[i * n + i] = 1;
    return m;
  }
  const radius = Math.min(Math.ceil(3 * sigma), n - 1);
  const weights = Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(-((k - radius) ** 2) / (2 * sigma * sigma)));
  const total = weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < n; i++) {
    for (let k = -radius; k <= radius; k++) m[i * n + reflect(i + k, n)]! += weights[k + radius]! / total;
  }
  return m;
};

/** Blurs image b with std `sigmas[b]` pixels (0 = unchanged). */
export const gaussianBlurBatch = (images: tf.Tensor4D, sigmas: ReadonlyArray<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = images.shape;
    const stack = (n: number) => {
      const out = new Float32Array(b * n * n);
      sigmas.forEach((s, i) => out.set(gaussianMatrix(s, n), i * n * n));
      return tf.tensor3d(out, [b, n, n]);
    };
    const rows = tf.matMul(stack(h), tf.reshape(images, [b, h, w * c]));
    const cols = tf.reshape(tf.transpose(tf.reshape(rows, [b, h, w, c]), [0, 2, 1, 3]), [b, w, h * c]);
    const blurred = tf.reshape(tf.matMul(stack(w), cols), [b, w, h, c]);
    return tf.transpose(blurred, [0, 2, 1, 3]) as tf.Tensor4D;
  });

export const GaussianBlurConfig = struct('gaussianBlur', { sigma: interval }, { sigma: [0.1, 2] });
export type GaussianBlurConfig = t.TypeOf<typeof GaussianBlurConfig>;

/** The Gaussian-blur family for a decoded config. */
export const gaussianBlurFamily = (c: GaussianBlurConfig): TransformFamily => ({
  name: 'gaussianBlur',
  label: 'blur',
  paramNames: ['sigmaPx'],
  identity: [0],
  scale: [c.sigma[1]],
  sample: (rng) => [rng.between(c.sigma[0], c.sigma[1])],
  interpolate: lerpFromIdentity([0]),
  apply: (images, thetas: ReadonlyArray<Params>) => gaussianBlurBatch(images, thetas.map((th) => th[0]!)),
});

/** The `gaussianBlur` transform plugin. */
export const gaussianBlur = definePlugin({
  kind: 'transform',
  name: 'gaussianBlur',
  description: 'Gaussian blur with σ ~ U(sigma[0], sigma[1]) pixels (reflect padding)',
  config: GaussianBlurConfig,
  create: (c) => E.right(gaussianBlurFamily(c)),
});
