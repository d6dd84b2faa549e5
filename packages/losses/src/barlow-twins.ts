/**
 * `barlow-twins`: redundancy reduction (Zbontar et al., ICML 2021). Each
 * embedding dimension is standardised over the batch (as BatchNorm without
 * affine: biased variance, ε = 1e-5); C = z1ᵀ·z2 / B is the cross-correlation
 * and
 *
 *   L = Σ_i (1 − C_ii)² + λ · Σ_{i≠j} C_ij²,   λ = 5e-3.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { projectedLoss, projectorDefaults, projectorProps } from './projector.js';

export const BarlowConfig = struct('barlow-twins', { lambda: nonNegative, ...projectorProps }, { lambda: 5e-3, ...projectorDefaults });
export type BarlowConfig = t.TypeOf<typeof BarlowConfig>;

/** On- and off-diagonal terms of the Barlow Twins loss of `[B, d]` embeddings. */
export const barlowTerms = (z1: tf.Tensor2D, z2: tf.Tensor2D): { onDiagonal: tf.Scalar; offDiagonal: tf.Scalar } =>
  tf.tidy(() => {
    const b = z1.shape[0];
    const standardise = (z: tf.Tensor2D) => {
      const { mean, variance } = tf.moments(z, 0, true);
      return tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, 1e-5)));
    };
    const c = tf.div(tf.matMul(tf.transpose(standardise(z1)), standardise(z2)), b);
    const diag = tf.sum(tf.mul(c, tf.eye(c.shape[0]!)), 1);
    return {
      onDiagonal: tf.sum(tf.square(tf.sub(1, diag))) as tf.Scalar,
      offDiagonal: tf.sub(tf.sum(tf.square(c)), tf.sum(tf.square(diag))) as tf.Scalar,
    };
  });

/** The `barlow-twins` loss plugin. */
export const barlowTwins = definePlugin({
  kind: 'loss',
  name: 'barlow-twins',
  description: 'Barlow Twins cross-correlation loss (λ = 5e-3)',
  config: BarlowConfig,
  create: (c) =>
    E.right(
      projectedLoss('barlow-twins', c, (z1, z2) => {
        const terms = barlowTerms(z1, z2);
        return { loss: tf.add(terms.onDiagonal, tf.mul(c.lambda, terms.offDiagonal)) as tf.Scalar, terms };
      }),
    ),
});
