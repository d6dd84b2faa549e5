/**
 * The loop's guards: no checkpoint with a non-finite tensor (and the gradient
 * norm logged), resume that takes run-control changes and refuses the rest,
 * and a fresh run that never silently replaces one already in its folder.
 */
import { autoWorkers, readCheckpoint } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstNonFiniteTensor, pretrain } from '../src/index.js';
import { registry, tempOut, tinyConfig } from './helpers.js';

const lines = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('non-finite state', () => {
  it('a run that blows up (lr 100) stops naming what went non-finite and keeps the last finite checkpoint', async () => {
    const out = tempOut();
    const r = await pretrain(tinyConfig({ steps: 40, checkpointEvery: 1, optimizer: { lr: 100, warmupSteps: 0 } }), registry, { out })();
    expect(E.isLeft(r)).toBe(true);
    if (E.isRight(r)) return;
    expect(r.left._tag).toBe('NonFiniteLoss');
    expect(r.left.message).toMatch(/at step \d+|after step \d+/);
    const saved = await readCheckpoint(join(out, 'checkpoint.safetensors'))();
    if (E.isLeft(saved)) throw new Error(saved.left.message);
    expect(firstNonFiniteTensor(saved.right.tensors)).toBeUndefined();
    // every logged step has a finite gradient norm
    for (const l of lines(out)) expect(Number.isFinite(l['gradNorm'])).toBe(true);
  });

  it('firstNonFiniteTensor names the tensor and its value', () => {
    const t = new Map([
      ['param/a', { shape: [2], data: Float32Array.from([1, 2]) }],
      ['adam.v/b', { shape: [2], data: Float32Array.from([1, Infinity]) }],
    ]);
    expect(firstNonFiniteTensor(t)).toEqual(['adam.v/b', Infinity]);
  });
});

describe('resume', () => {
  it('continues with a larger --steps and a new lr, logging the change', async () => {
    const out = tempOut();
    const a = await pretrain(tinyConfig({ steps: 3 }), registry, { out })();
    if (E.isLeft(a)) throw new Error(a.left.message);
    a.right.model.dispose();
    const b = await pretrain({ steps: 5, optimizer: { lr: 1e-3 } }, registry, { out, resume: true })();
    if (E.isLeft(b)) throw new Error(b.left.message);
    expect(b.right.stepsDone).toBe(5);
    expect(b.right.config.optimizer.lr).toBe(1e-3);
    b.right.model.dispose();
    const log = lines(out);
    expect(log.map((l) => l['step'])).toEqual([0, 1, 2, 3, 3, 4]);
    expect(log[3]).toEqual({ step: 3, event: 'resume', changed: { steps: [3, 5], 'optimizer.lr': [0.002, 0.001] } });
  });

  it('refuses a change that would alter the model or the data, naming the field', async () => {
    const out = tempOut();
    const a = await pretrain(tinyConfig({ steps: 2 }), registry, { out })();
    if (E.isLeft(a)) throw new Error(a.left.message);
    a.right.model.dispose();
    const b = await pretrain({ backbone: { dim: 32 } }, registry, { out, resume: true })();
    expect(E.isLeft(b) && b.left.message).toMatch(/^backbone\.dim: cannot change on --resume \(16 → 32\): it would change the model or the data/);
  });
});

describe('an output folder that holds a run', () => {
  it('is refused for a fresh run, and replaced whole with overwrite', async () => {
    const out = tempOut();
    const a = await pretrain(tinyConfig({ steps: 3 }), registry, { out })();
    if (E.isLeft(a)) throw new Error(a.left.message);
    a.right.model.dispose();
    const b = await pretrain(tinyConfig({ steps: 1 }), registry, { out })();
    expect(E.isLeft(b) && b.left.message).toContain('holds a run (');
    expect(E.isLeft(b) && b.left.message).toContain('continue it with --resume, or replace it with --overwrite');
    expect(lines(out)).toHaveLength(3); // untouched
    const c = await pretrain(tinyConfig({ steps: 1 }), registry, { out, overwrite: true })();
    if (E.isLeft(c)) throw new Error(c.left.message);
    c.right.model.dispose();
    expect(lines(out)).toHaveLength(1);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
  });
});

describe('data that cannot fill a batch', () => {
  it('is refused before training, with both numbers', async () => {
    const r = await pretrain(tinyConfig({ batchSize: 64, data: { name: 'procedural', count: 20, size: 16 } }), registry, { out: tempOut() })();
    expect(E.isLeft(r) && r.left.message).toMatch(/^batchSize: 64 is more than the 20 images of .*; lower batchSize or add images$/);
  });
});

describe('a batch too small for the loss', () => {
  it('is refused before training with the reason, not as a NaN at step 0', async () => {
    const r = await pretrain(tinyConfig({ batchSize: 1 }), registry, { out: tempOut() })();
    expect(E.isLeft(r) && r.left.message).toBe(
      'batchSize: 1 is too small for loss "vicreg", which computes batch statistics (variance, covariance, batch norm, negatives) and needs at least 2 images per batch',
    );
  });
});

describe('workers: auto', () => {
  it('is one replica per core, at most 4, splitting the batch into even shards', async () => {
    expect(autoWorkers(32, 2)).toBe(2);
    expect(autoWorkers(32, 16)).toBe(4);
    expect(autoWorkers(20, 4)).toBe(2);
    expect(autoWorkers(30, 4)).toBe(3);
    expect(autoWorkers(6, 2)).toBe(1);
    expect(autoWorkers(32, 1)).toBe(1);
  });
});
