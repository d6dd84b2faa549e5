/**
 * `linear`: the linear probe — one dense layer on standardised frozen
 * features, trained with Adam on softmax cross-entropy.
 *
 * @since 0.1.0
 */
import { nonNegative, positive, positiveInt, struct } from '@equissl/core';
import { dense } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import type * as t from 'io-ts';
import { type Classifier, defineHead } from './head.js';
import { standardizer, trainMinibatches } from './minibatch.js';

export const LinearConfig = struct(
  'linear',
  { epochs: positiveInt, batchSize: positiveInt, lr: positive, weightDecay: nonNegative },
  { epochs: 100, batchSize: 256, lr: 1e-3, weightDecay: 0 },
);
export type LinearConfig = t.TypeOf<typeof LinearConfig>;

/** A linear classifier. */
export const linearClassifier = (c: LinearConfig): Classifier => {
  let state: { w: tf.Variable; b: tf.Variable; mean: tf.Tensor1D; std: tf.Tensor1D } | undefined;
  const logits = (x: tf.Tensor2D) => dense(tf.div(tf.sub(x, state!.mean), state!.std) as tf.Tensor2D, state!.w, state!.b);
  return {
    kind: 'classifier',
    fit: (features, labels, numClasses, rng) => {
      const d = features.shape[1];
      const { mean, std } = standardizer(features);
      state = { w: tf.variable(tf.zeros([d, numClasses])), b: tf.variable(tf.zeros([numClasses])), mean, std };
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses);
      trainMinibatches(
        features,
        y,
        [state.w, state.b],
        (xb, yb) => {
          const ce = tf.losses.softmaxCrossEntropy(yb, logits(xb)) as tf.Scalar;
          return c.weightDecay > 0 ? (tf.add(ce, tf.mul(c.weightDecay, tf.sum(tf.square(state!.w)))) as tf.Scalar) : ce;
        },
        { epochs: c.epochs, batchSize: c.batchSize, lr: c.lr, rng },
      );
      y.dispose();
    },
    predict: (features) => tf.tidy(() => tf.argMax(logits(features), 1).dataSync() as Int32Array),
    dispose: () => {
      if (state) tf.dispose([state.w, state.b, state.mean, state.std]);
    },
  };
};

/** The `linear` head plugin. */
export const linear = defineHead('linear', 'linear probe: one dense layer on standardised features, Adam, cross-entropy', LinearConfig, linearClassifier);
