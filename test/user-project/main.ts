/**
 * A user's program, compiled and run by test/packed.test.ts in a project that
 * installed @equissl/core, @equissl/losses and @equissl/pipeline from their
 * tarballs: it defines a loss plugin, registers it beside the built-in
 * plugins and pretrains a tiny model for two steps with it.
 *
 * Usage: node dist/main.js <out dir>; prints one JSON line.
 */
import { type Registry, definePlugin, nonNegative, selectBackend, struct } from '@equissl/core';
import type { SslLoss } from '@equissl/losses';
import { pretrain } from '@equissl/pipeline';
import { standardRegistry } from '@equissl/standard';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';

const unit = (z: tf.Tensor2D) => tf.div(z, tf.add(tf.norm(z, 'euclidean', 1, true), 1e-8));

/** L = −mean cos(z1, z2) + w · mean(relu(1 − std(z))) over both views. */
export const cosine = definePlugin({
  kind: 'loss',
  name: 'cosine',
  description: 'negative cosine similarity with a variance hinge against collapse',
  config: struct('cosine', { varianceWeight: nonNegative }, { varianceWeight: 1 }),
  create: (c) =>
    E.right<never, SslLoss<null>>({
      name: 'cosine',
      needs: [],
      build: () => ({
        initialState: null,
        compute: (state, { z1, z2 }) => {
          const similarity = tf.mean(tf.sum(tf.mul(unit(z1), unit(z2)), 1)) as tf.Scalar;
          const hinge = (z: tf.Tensor2D) => tf.mean(tf.relu(tf.sub(1, tf.sqrt(tf.add(tf.moments(z, 0).variance, 1e-4)))));
          const variance = tf.div(tf.add(hinge(z1), hinge(z2)), 2) as tf.Scalar;
          const loss = tf.add(tf.neg(similarity), tf.mul(c.varianceWeight, variance)) as tf.Scalar;
          return { loss, terms: { similarity, variance }, state };
        },
      }),
    }),
});

declare module '@equissl/core' {
  interface LossPlugins {
    cosine: typeof cosine;
  }
}

const out = process.argv[2];
if (out === undefined) throw new Error('usage: node dist/main.js <out dir>');

const backend = await selectBackend()();
if (E.isLeft(backend)) throw new Error(backend.left.message);
const registry = E.flatMap((r: Registry) => r.register(cosine))(standardRegistry());
if (E.isLeft(registry)) throw new Error(registry.left.message);

// typed at compile time through the LossPlugins declaration above
const built = registry.right.build('loss', { name: 'cosine', varianceWeight: 0.5 });
if (E.isLeft(built)) throw new Error(built.left.message);

const similarity: number[] = [];
const run = await pretrain(
  {
    data: { name: 'procedural', count: 16, size: 16 },
    backbone: { name: 'vit', dim: 16, depth: 1, heads: 2 },
    loss: { name: 'cosine', varianceWeight: 0.5 },
    batchSize: 8,
    steps: 2,
    workers: 1,
  },
  registry.right,
  { out, onStep: (s) => similarity.push(s.terms['ssl.similarity']!) },
)();
if (E.isLeft(run)) throw new Error(run.left.message);
run.right.model.dispose();
console.log(JSON.stringify({ backend: backend.right.name, loss: run.right.config.loss, stepsDone: run.right.stepsDone, similarity }));
