/**
 * Mini-batch training of small heads with Adam on frozen features: shuffled
 * epochs from a seeded generator, every step inside `tf.tidy`.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';

/** Options of {@link trainMinibatches}. */
export interface MinibatchOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly rng: Rng;
}

/** Runs `epochs` of Adam on `loss(xBatch, yBatch)` over `variables`. */
export const trainMinibatches = (
  x: tf.Tensor2D,
  y: tf.Tensor,
  variables: tf.Variable[],
  loss: (xb: tf.Tensor2D, yb: tf.Tensor) => tf.Scalar,
  o: MinibatchOptions,
): void => {
  const n = x.shape[0];
  const optimizer = tf.train.adam(o.lr);
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const order = o.rng.permutation(n);
    for (let start = 0; start < n; start += o.batchSize) {
      const idx = tf.tensor1d(order.subarray(start, Math.min(n, start + o.batchSize)), 'int32');
      tf.tidy(() => {
        const xb = tf.gather(x, idx) as tf.Tensor2D;
        const yb = tf.gather(y, idx);
        optimizer.minimize(() => loss(xb, yb), false, variables);
      });
      idx.dispose();
    }
  }
  optimizer.dispose();
};

/** Column means and standard deviations of `x` (std floored at 1e-6). */
export const standardizer = (x: tf.Tensor2D): { mean: tf.Tensor1D; std: tf.Tensor1D } =>
  tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return { mean: mean as tf.Tensor1D, std: tf.maximum(tf.sqrt(variance), 1e-6) as tf.Tensor1D };
  });
