/** The pretraining pipeline: configs, schedule, AdamW against hand numbers, resume, NaN stop, flat memory. */
import { definePlugin, struct } from '@equissl/core';
import type { SslLoss } from '@equissl/losses';
import { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdamW, buildModel, makeViews, pretrain, pretrainOptimizer, stepRng, warmupCosine } from '../src/index.js';
import { decodePretrainConfig, readCheckpoint } from '@equissl/encoder';
import { registry, tempOut, tinyConfig } from './helpers.js';

describe('config', () => {
  it('fills defaults and reports bad fields with their paths', () => {
    const ok = decodePretrainConfig({ steps: 3 });
    expect(E.isRight(ok) && [ok.right.steps, ok.right.batchSize, ok.right.optimizer.lr]).toEqual([3, 32, 5e-4]);
    const bad = decodePretrainConfig({ optimizer: { lr: 'ten' } });
    expect(E.isLeft(bad) && bad.left.message).toBe('optimizer.lr: expected positive number, got "ten"');
    const typo = decodePretrainConfig({ optimiser: {} });
    expect(E.isLeft(typo) && typo.left.message).toMatch(/^optimiser: unknown field; known fields: seed, steps, batchSize/);
  });

  it('an unknown plugin is refused before training, listing the known ones', async () => {
    const r = await pretrain(tinyConfig({ loss: { name: 'byol' } }), registry, { out: tempOut() })();
    expect(E.isLeft(r) && r.left.message).toBe('loss.name: unknown loss plugin "byol"; known loss plugins: barlow-twins, dinov2, ibot, sie, simclr, stl, vicreg');
    const p = await pretrain(tinyConfig({ loss: { name: 'vicreg', simCoeff: 'ten' } }), registry, { out: tempOut() })();
    expect(E.isLeft(p) && p.left.message).toBe('loss.simCoeff: expected (non-negative number | undefined), got "ten"');
  });
});

describe('schedule and optimizer', () => {
  it('warm-up is linear and the cosine ends at minLr', () => {
    expect(warmupCosine(0, 100, 1, 0, 10)).toBeCloseTo(0.1, 12);
    expect(warmupCosine(9, 100, 1, 0, 10)).toBeCloseTo(1, 12);
    expect(warmupCosine(55, 100, 1, 0, 10)).toBeCloseTo(0.5, 12);
    expect(warmupCosine(100, 100, 1, 0.01, 10)).toBeCloseTo(0.01, 12);
  });

  it('AdamW matches torch.optim.AdamW by hand for two steps', () => {
    // p = 1, g = 0.5 then −0.25, lr 0.1, wd 0.1 (matrix → decayed), β (0.9, 0.999), ε 1e-8
    const store = new ParamStore();
    const p = store.add('w', tf.ones([1, 1]));
    const opt = new AdamW(store, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
    opt.apply({ [p.name]: tf.tensor2d([[0.5]]) }, 0.1);
    // step 1: p·(1 − 0.01) = 0.99; m̂ = 0.5, v̂ = 0.25 → update 1 → 0.89
    expect(p.dataSync()[0]).toBeCloseTo(0.89, 6);
    opt.apply({ [p.name]: tf.tensor2d([[-0.25]]) }, 0.1);
    const m = 0.9 * 0.05 + 0.1 * -0.25;
    const v = 0.999 * 0.00025 + 0.001 * 0.0625;
    const expected = 0.89 * (1 - 0.01) - (0.1 * (m / (1 - 0.81))) / (Math.sqrt(v / (1 - 0.999 ** 2)) + 1e-8);
    expect(p.dataSync()[0]).toBeCloseTo(expected, 6);
  });
});

describe('AdamW parameter groups', () => {
  it('scales the first update of the parameters under a prefix (decoderLrScale)', () => {
    // first step without decay: update = lr · ĝ/(|ĝ| + ε) ≈ lr per coordinate, times the group's scale
    const store = new ParamStore();
    const enc = store.add('encoder.b', tf.zeros([2]));
    const dec = store.add('decoders.0.b', tf.zeros([2]));
    const opt = pretrainOptimizer(store, { lr: 0.1, minLr: 0, weightDecay: 0, warmupSteps: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, decoderLrScale: 10 });
    opt.apply({ [enc.name]: tf.tensor1d([1, -2]), [dec.name]: tf.tensor1d([1, -2]) }, 0.1);
    expect(Array.from(enc.dataSync()).map((v) => +v.toFixed(5))).toEqual([-0.1, 0.1]);
    expect(Array.from(dec.dataSync()).map((v) => +v.toFixed(5))).toEqual([-1, 1]);
  });
});

describe('pretrain', () => {
  it('a resumed run reproduces an uninterrupted one bit for bit', async () => {
    const whole = tempOut();
    const a = await pretrain(tinyConfig({ steps: 4 }), registry, { out: whole })();
    if (E.isLeft(a)) throw new Error(a.left.message);
    a.right.model.dispose();
    const split = tempOut();
    let steps = 0;
    const b = await pretrain(tinyConfig({ steps: 4 }), registry, { out: split, shouldStop: () => ++steps === 2 })();
    if (E.isLeft(b)) throw new Error(b.left.message);
    expect([b.right.interrupted, b.right.stepsDone]).toEqual([true, 2]);
    b.right.model.dispose();
    const c = await pretrain(undefined, registry, { out: split, resume: true })();
    if (E.isLeft(c)) throw new Error(c.left.message);
    expect(c.right.stepsDone).toBe(4);
    c.right.model.dispose();
    const ca = await readCheckpoint(join(whole, 'checkpoint.safetensors'))();
    const cb = await readCheckpoint(join(split, 'checkpoint.safetensors'))();
    if (E.isLeft(ca) || E.isLeft(cb)) throw new Error('checkpoint');
    expect(ca.right.state.step).toBe(4);
    expect([...ca.right.tensors.keys()]).toEqual([...cb.right.tensors.keys()]);
    for (const [name, t] of ca.right.tensors) expect(Array.from(cb.right.tensors.get(name)!.data), name).toEqual(Array.from(t.data));
    // everything but the speed and the process's memory (its live tensors include the other runs' models here) is reproduced
    const lines = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').map((l) => l.replace(/"viewsPerSecond":[^,]+,/, '').replace(/,"tensors":\d+,"rssMB":\d+/, ''));
    expect(lines(split)).toEqual(
      lines(whole),
    );
  });

  it('a non-finite term stops the run naming the term and step, keeping the last good checkpoint', async () => {
    const poisoned = definePlugin({
      kind: 'loss',
      name: 'poisoned',
      description: 'test loss that becomes NaN at step 2',
      config: struct('poisoned', {}),
      create: () =>
        E.right<never, SslLoss<null>>({
          name: 'poisoned',
          needs: [],
          build: () => ({
            initialState: null,
            compute: (state, { z1, z2, step }) => {
              const mse = tf.mean(tf.squaredDifference(z1, z2)) as tf.Scalar;
              const bad = step >= 2 ? (tf.div(mse, 0).mul(0) as tf.Scalar) : (tf.mul(mse, 0) as tf.Scalar);
              return { loss: tf.add(mse, bad) as tf.Scalar, terms: { mse, bad }, state };
            },
          }),
        }),
    });
    const withPoison = E.getOrElseW(() => {
      throw new Error('registry');
    })(registry.register(poisoned));
    const out = tempOut();
    const r = await pretrain(tinyConfig({ loss: { name: 'poisoned' }, checkpointEvery: 1 }), withPoison, { out })();
    expect(E.isLeft(r) && r.left._tag).toBe('NonFiniteLoss');
    expect(E.isLeft(r) && r.left.message).toMatch(/^loss term "ssl.bad" is NaN at step 2; lower the learning rate/);
    const kept = await readCheckpoint(join(out, 'checkpoint.safetensors'))();
    expect(E.isRight(kept) && kept.right.state.step).toBe(2);
  });

  it.each([
    ['vicreg', { name: 'vicreg' }],
    ['sie', { name: 'sie', projector: [16, 16] }],
    ['ibot', { name: 'ibot', headHidden: 16, bottleneck: 8, prototypes: 16 }],
    ['dinov2', { name: 'dinov2', headHidden: 16, bottleneck: 8, prototypes: 16 }],
    ['stl', { name: 'stl', projector: [16, 8], transBackbone: [8, 8], transProjector: [8, 8] }],
  ])('holds the number of live tensors flat across steps (%s)', async (_name, loss) => {
    const counts: number[] = [];
    const r = await pretrain(tinyConfig({ steps: 5, loss }), registry, { out: tempOut(), onStep: () => counts.push(tf.memory().numTensors) })();
    if (E.isLeft(r)) throw new Error(r.left.message);
    r.right.model.dispose();
    expect(counts.slice(1).every((c) => c === counts[0])).toBe(true);
  });

  it('reconstruction: off is the plain baseline (no decoder parameters, no rec term)', async () => {
    const r = await pretrain(tinyConfig({ steps: 1, reconstruction: 'off' }), registry, { out: tempOut() })();
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.model.store.names().some((n) => n.startsWith('decoders.'))).toBe(false);
    expect(r.right.last?.terms['rec']).toBeUndefined();
    r.right.model.dispose();
  });
});

describe('views of a step', () => {
  it('augment transforms v2 after the path and never the targets', () => {
    const make = (augment: unknown) => {
      const c = decodePretrainConfig(tinyConfig({ augment, reconstruction: { k: 2, decoder: { name: 'conv4', channels: 8 } } }));
      if (E.isLeft(c)) throw new Error(c.left.message);
      const m = buildModel(c.right, registry, [16, 16, 3]);
      if (E.isLeft(m)) throw new Error(m.left.message);
      return { config: c.right, model: m.right };
    };
    const images = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const plain = make(undefined);
    const augmented = make({ name: 'colorJitter' });
    const a = makeViews(plain.model, plain.config, images, stepRng(0, 4));
    const b = makeViews(augmented.model, augmented.config, images, stepRng(0, 4));
    // the same path draws: identical u, targets and θ; only v2 carries the extra colour jitter
    expect(b.thetas).toEqual(a.thetas);
    expect(Array.from(b.u.dataSync())).toEqual(Array.from(a.u.dataSync()));
    b.targets.forEach((t, i) => expect(Array.from(t.dataSync())).toEqual(Array.from(a.targets[i]!.dataSync())));
    expect(tf.max(tf.abs(tf.sub(b.v2, a.v2))).dataSync()[0]).toBeGreaterThan(1e-3);
    plain.model.dispose();
    augmented.model.dispose();
  });
});
