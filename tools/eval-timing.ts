/**
 * Where an evaluation's time goes: encoding 2,048 Fashion-MNIST test images
 * (one readout, batch 128 and 512) against fitting the equivariance suite's
 * MLP regressor once (on 80 % of the pairs), on one thread.
 *
 *   node --conditions=@equissl/source --import tsx tools/eval-timing.ts [CHECKPOINT]
 *
 * Needs Debian's dataset-fashion-mnist and a checkpoint trained on 32-px grey
 * images (default: reproduce's method, seed 0).
 */
import { Rng, selectBackend } from '@equissl/core';
import { openDataset } from '@equissl/data';
import { encodeAllReadouts, loadEncoder } from '@equissl/encoder';
import { standardRegistry } from '@equissl/standard';
import { evalDefaults } from '@equissl/cli';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';

await selectBackend('wasm')();
const registry = E.getOrElseW(() => { throw new Error('r'); })(standardRegistry());
const checkpoint = process.argv[2] ?? 'out/reproduce-fmnist/method/seed0/checkpoint.safetensors';
const enc = await loadEncoder(checkpoint, registry)();
if (E.isLeft(enc)) throw new Error(enc.left.message);
const ds = await openDataset(registry, { name: 'idx', split: 'test', channels: 1, pad: 2 })();
if (E.isLeft(ds)) throw new Error(ds.left.message);
const n = 2048;
const raw = await ds.right.read(Array.from({ length: n }, (_, i) => i))();
if (E.isLeft(raw)) throw new Error('read');
const x = tf.tensor4d(raw.right.pixels, [n, 32, 32, 1]);
for (const batch of [128, 512]) {
  const t0 = performance.now();
  const f = encodeAllReadouts(enc.right.encoder, x, ['clsmean-full'], batch);
  f[0]!.dataSync();
  console.log(`encode ${n} images, batch ${batch}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  tf.dispose(f);
}
const f = encodeAllReadouts(enc.right.encoder, x, ['clsmean-full'], 512)[0]!;
const pairs = tf.concat([f, f], 1) as tf.Tensor2D;
const targets = tf.randomUniform([n, 1]) as tf.Tensor2D;
const mlp = registry.create('head', evalDefaults.regressor);
if (E.isLeft(mlp)) throw new Error(mlp.left.message);
const head = mlp.right.create();
const t1 = performance.now();
if (head.kind === 'regressor') head.fit(tf.slice(pairs, 0, Math.floor(0.8 * n)) as tf.Tensor2D, tf.slice(targets, 0, Math.floor(0.8 * n)) as tf.Tensor2D, Rng.seeded(0));
console.log(`MLP regressor fit on ${Math.floor(0.8 * n)} pairs (${JSON.stringify(evalDefaults.regressor)}): ${((performance.now() - t1) / 1000).toFixed(1)} s`);
