/** Test helpers: a tiny pretraining config and the standard registry. */
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { standardRegistry } from '@equissl/standard';

export const registry = E.getOrElseW((e: { message: string }) => {
  throw new Error(e.message);
})(standardRegistry());

/** A model small enough for a few steps in a test on either backend. */
export const tinyConfig = (over: Record<string, unknown> = {}) => ({
  seed: 3,
  steps: 6,
  batchSize: 8,
  data: { name: 'procedural', count: 32, size: 16 },
  backbone: { name: 'vit', dim: 16, depth: 1, heads: 2, mlpRatio: 2, patchSize: 4 },
  reconstruction: { weight: 1, k: 2, decoder: { name: 'conv4', channels: 8 } },
  optimizer: { lr: 2e-3, warmupSteps: 0 },
  checkpointEvery: 0,
  // one process unless a test asks for replicas (the default, auto, depends on the machine's cores)
  workers: 1,
  ...over,
});

export const tempOut = () => mkdtempSync(join(tmpdir(), 'equissl-run-'));
