/**
 * `simclr`: the NT-Xent / InfoNCE loss of SimCLR (Chen et al., ICML 2020).
 * The 2B embeddings are L2-normalised; for each one, its partner from the
 * other view is the positive and the other 2B − 2 are negatives:
 *
 *   L = mean_i [ −s(i, p(i))/τ + log Σ_{k≠i} exp(s(i, k)/τ) ]
 *
 * @since 0.1.0
 */
import { definePlugin, positive, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { projectedLoss, projectorDefaults, projectorProps } from './projector.js';

export const SimclrConfig = struct('simclr', { temperature: positive, ...projectorProps }, { temperature: 0.2, ...projectorDefaults });
export type SimclrConfig = t.TypeOf<typeof SimclrConfig>;

/** NT-Xent of a pair of embeddings `[B, d]` at temperature τ. */
export const infoNce = (z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar =>
  tf.tidy(() => {
    const b = z1.shape[0];
    const z = tf.div(tf.concat([z1, z2], 0), tf.add(tf.norm(tf.concat([z1, z2], 0), 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
    const logits = tf.div(tf.matMul(z, tf.transpose(z)), temperature);
    const self = tf.mul(tf.eye(2 * b), 1e9);
    const masked = tf.sub(logits, self);
    const partner = tf.concat([tf.range(b, 2 * b, 1, 'int32'), tf.range(0, b, 1, 'int32')]);
    const positives = tf.sum(tf.mul(masked, tf.oneHot(partner, 2 * b)), 1);
    return tf.mean(tf.sub(tf.logSumExp(masked, 1), positives)) as tf.Scalar;
  });

/** The `simclr` loss plugin. */
export const simclr = definePlugin({
  kind: 'loss',
  name: 'simclr',
  description: 'SimCLR NT-Xent (InfoNCE) with temperature τ (default 0.2)',
  config: SimclrConfig,
  create: (c) =>
    E.right(
      projectedLoss('simclr', c, (z1, z2) => {
        const value = infoNce(z1, z2, c.temperature);
        return { loss: value, terms: { infoNce: value } };
      }),
    ),
});
