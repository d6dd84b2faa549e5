/**
 * A user's SSL loss: negative cosine similarity of the two views' invariant
 * embeddings with a variance hinge against collapse (SimSiam's similarity
 * term, VICReg's hinge). One file; registered by naming the module
 * (`plugins:` in a config, `--plugins`, or `registry.register(myCosine)`).
 */
import { definePlugin, nonNegative, struct } from '@equissl/core';
import type { SslLoss } from '@equissl/losses';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';

const unit = (z: tf.Tensor2D) => tf.div(z, tf.add(tf.norm(z, 'euclidean', 1, true), 1e-8));
const hinge = (z: tf.Tensor2D) => tf.mean(tf.relu(tf.sub(1, tf.sqrt(tf.add(tf.moments(z, 0).variance, 1e-4)))));

export const myCosine = definePlugin({
  kind: 'loss',
  name: 'my-cosine',
  description: 'negative cosine similarity with a variance hinge',
  config: struct('my-cosine', { varianceWeight: nonNegative }, { varianceWeight: 1 }),
  module: import.meta.url,
  create: (c) =>
    E.right<never, SslLoss<null>>({
      name: 'my-cosine',
      needs: [],
      build: () => ({
        initialState: null,
        compute: (state, { z1, z2 }) => {
          const similarity = tf.mean(tf.sum(tf.mul(unit(z1), unit(z2)), 1)) as tf.Scalar;
          const variance = tf.div(tf.add(hinge(z1), hinge(z2)), 2) as tf.Scalar;
          return { loss: tf.add(tf.neg(similarity), tf.mul(c.varianceWeight, variance)) as tf.Scalar, terms: { similarity, variance }, state };
        },
      }),
    }),
});

declare module '@equissl/core' {
  interface LossPlugins {
    'my-cosine': typeof myCosine;
  }
}
