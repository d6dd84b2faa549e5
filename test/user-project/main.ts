/**
 * A user's program, compiled and run by test/packed.test.ts in a project that
 * installed @equissl/core, @equissl/losses and @equissl/pipeline from their
 * tarballs: it registers a loss plugin of its own (test/user-app's, in its own
 * file) beside the built-in plugins and pretrains a tiny model for two steps
 * with it.
 *
 * Usage: node dist/main.js <out dir>; prints one JSON line.
 */
import { type Registry, selectBackend } from '@equissl/core';
import { pretrain } from '@equissl/pipeline';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
// the loss of test/user-app, copied beside this file: one file, its module declaration included
import { myCosine } from './my-loss.js';

const out = process.argv[2];
if (out === undefined) throw new Error('usage: node dist/main.js <out dir>');

const backend = await selectBackend()();
if (E.isLeft(backend)) throw new Error(backend.left.message);
const registry = E.flatMap((r: Registry) => r.register(myCosine))(standardRegistry());
if (E.isLeft(registry)) throw new Error(registry.left.message);

// typed at compile time through the LossPlugins declaration above
const built = registry.right.build('loss', { name: 'my-cosine', varianceWeight: 0.5 });
if (E.isLeft(built)) throw new Error(built.left.message);

const similarity: number[] = [];
const run = await pretrain(
  {
    data: { name: 'procedural', count: 16, size: 16 },
    backbone: { name: 'vit', dim: 16, depth: 1, heads: 2 },
    loss: { name: 'my-cosine', varianceWeight: 0.5 },
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
