/** Data-parallel replicas compute the same update as one process on the same batch, and pretrain with workers: 2 runs and resumes. */
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildModel, localTrainer, parallelTrainer, pretrain, type StepViews } from '../src/index.js';
import { decodePretrainConfig } from '@equissl/encoder';
import { registry, tempOut, tinyConfig } from './helpers.js';

// ε = 1 keeps Adam's first steps proportional to the gradient (with a tiny ε, sign(g) of near-zero gradients
// would decide ±lr and amplify float-rounding differences between the summation orders)
const setup = (over: Record<string, unknown> = {}) => {
  const config = decodePretrainConfig(tinyConfig({ optimizer: { lr: 2e-3, warmupSteps: 0, eps: 1 }, ...over }));
  if (E.isLeft(config)) throw new Error(config.left.message);
  const model = buildModel(config.right, registry, [16, 16, 3]);
  if (E.isLeft(model)) throw new Error(model.left.message);
  return { config: config.right, model: model.right };
};

const views = (): StepViews => {
  const r = (seed: number) => tf.randomUniform([8, 16, 16, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
  return { v1: r(1), u: r(2), v2: r(3), targets: [r(4), r(5)], thetas: [] };
};

describe('parallel trainer', () => {
  it.each([
    ['vicreg without a projector', {}],
    // the loss's own parameters see the whole gathered batch on every replica: their summed gradient is divided by the replicas
    ['vicreg with a batch-norm projector', { loss: { name: 'vicreg', projector: [16, 16], projectorNorm: 'batch' } }],
  ])('two replicas give the single-process loss and parameters after two steps (%s)', async (_name, over) => {
    const a = setup(over);
    const local = localTrainer(a.model, a.config);
    const b = setup(over);
    const par = await parallelTrainer(registry, b.config, b.model, [16, 16, 3], 2, 'wasm');
    if (E.isLeft(par)) throw new Error(par.left.message);
    const v = views();
    const initial = await local.exportState();
    for (const step of [0, 1]) {
      const l = await local.stepOnViews(v, step);
      const p = await par.right.stepOnViews(v, step);
      if (E.isLeft(l) || E.isLeft(p)) throw new Error('step failed');
      expect(p.right.terms['ssl']).toBeCloseTo(l.right.terms['ssl']!, 4);
      expect(p.right.terms['rec']).toBeCloseTo(l.right.terms['rec']!, 5);
      expect(p.right.loss).toBeCloseTo(l.right.loss, 4);
    }
    const ls = await local.exportState();
    const ps = await par.right.exportState();
    // the parameter updates agree to float precision relative to the largest update
    let worst = 0;
    let largest = 0;
    for (const [name, t] of ls) {
      if (!name.startsWith('param/')) continue;
      const other = ps.get(name)!.data;
      const before = initial.get(name)!.data;
      for (let i = 0; i < t.data.length; i++) {
        worst = Math.max(worst, Math.abs(t.data[i]! - other[i]!));
        largest = Math.max(largest, Math.abs(t.data[i]! - before[i]!));
      }
    }
    expect(largest).toBeGreaterThan(1e-4);
    expect(worst / largest).toBeLessThan(1e-2);
    await par.right.dispose();
    await local.dispose();
    a.model.dispose();
    b.model.dispose();
  });

  it('refuses a batch that does not split evenly', async () => {
    const s = setup();
    const r = await parallelTrainer(registry, s.config, s.model, [16, 16, 3], 3, 'wasm');
    expect(E.isLeft(r) && r.left.message).toBe('workers: 3 replicas cannot split a batch of 8 evenly; choose a batchSize that is a multiple of workers');
    s.model.dispose();
  });

  it.each([1, 2])('pretrain with workers: %i gives the same parameters twice', async (workers) => {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const r = await pretrain(tinyConfig({ steps: 3, workers }), registry, { out: tempOut(), backend: 'wasm' })();
      if (E.isLeft(r)) throw new Error(r.left.message);
      runs.push(r.right);
    }
    const [a, b] = runs.map((r) => r.model.store.toArrays());
    expect(runs[1]!.last?.loss).toBe(runs[0]!.last?.loss);
    for (const [name, t] of a!) expect(Array.from(b!.get(name)!.data), name).toEqual(Array.from(t.data));
    for (const r of runs) r.model.dispose();
  });

  it('logs the live tensors of this thread and the replicas, flat across steps, and the resident memory', async () => {
    const out = tempOut();
    const r = await pretrain(tinyConfig({ steps: 6, workers: 2 }), registry, { out, backend: 'wasm' })();
    if (E.isLeft(r)) throw new Error(r.left.message);
    r.right.model.dispose();
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { tensors?: number; rssMB?: number });
    const counts = lines.flatMap((l) => (l.tensors === undefined ? [] : [l.tensors]));
    expect(counts).toHaveLength(6);
    // from the second step on (the first creates the optimizer's slots) the count does not move
    expect(new Set(counts.slice(1)).size).toBe(1);
    // the replicas hold the model and its optimizer state: far more than this thread's handful
    expect(counts[1]!).toBeGreaterThan(100);
    expect(lines.every((l) => l.tensors === undefined || (l.rssMB !== undefined && l.rssMB > 0))).toBe(true);
  });

  it('pretrain with workers: 2 is deterministic and resumes exactly', async () => {
    const whole = tempOut();
    const a = await pretrain(tinyConfig({ steps: 3, workers: 2 }), registry, { out: whole, backend: 'wasm' })();
    if (E.isLeft(a)) throw new Error(a.left.message);
    const split = tempOut();
    let n = 0;
    const b = await pretrain(tinyConfig({ steps: 3, workers: 2 }), registry, { out: split, backend: 'wasm', shouldStop: () => ++n === 1 })();
    if (E.isLeft(b)) throw new Error(b.left.message);
    b.right.model.dispose();
    const c = await pretrain(undefined, registry, { out: split, resume: true, backend: 'wasm' })();
    if (E.isLeft(c)) throw new Error(c.left.message);
    expect(c.right.last?.loss).toBe(a.right.last?.loss);
    const pa = a.right.model.store.toArrays();
    const pc = c.right.model.store.toArrays();
    for (const [name, t] of pa) expect(Array.from(pc.get(name)!.data), name).toEqual(Array.from(t.data));
    a.right.model.dispose();
    c.right.model.dispose();
  });
});

describe('a user-defined plugin with workers: 2', () => {
  it('reaches the replicas through its module and trains', async () => {
    const { userLoss } = await import('./fixtures/user-loss.js');
    const withUser = registry.register(userLoss);
    if (E.isLeft(withUser)) throw new Error(withUser.left.message);
    const r = await pretrain(tinyConfig({ steps: 2, workers: 2, loss: { name: 'user-mse' } }), withUser.right, { out: tempOut(), backend: 'wasm' })();
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.stepsDone).toBe(2);
    expect(Number.isFinite(r.right.last?.terms['ssl.distance'])).toBe(true);
    r.right.model.dispose();
  });

  it('without a module it is refused by the replicas with a hint', async () => {
    const { module: _ignored, ...anonymous } = (await import('./fixtures/user-loss.js')).userLoss;
    const withUser = registry.register({ ...anonymous, name: 'user-anon' });
    if (E.isLeft(withUser)) throw new Error(withUser.left.message);
    const r = await pretrain(tinyConfig({ steps: 1, workers: 2, loss: { name: 'user-anon' } }), withUser.right, { out: tempOut(), backend: 'wasm' })();
    expect(E.isLeft(r) && r.left.message).toContain('add that field to your plugin, or use workers: 1');
  });
});
