/** The encoder alone: the split a config gives, the parameters training defines, and loading it from a checkpoint without the rest of the model. */
import { standardRegistry } from './registry.js';
import { type NamedArray, Rng } from '@equissl/core';
import { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildEncoder, decodePretrainConfig, encode, instantiateEncoder, loadEncoder, planEncoder, saveCheckpoint } from '../src/index.js';

const registry = (() => {
  const r = standardRegistry();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
})();

const config = (extra: Record<string, unknown> = {}) => {
  const c = decodePretrainConfig({ backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data: { name: 'procedural', size: 16 }, ...extra });
  if (E.isLeft(c)) throw new Error(c.left.message);
  return c.right;
};

const shape = [16, 16, 3] as const;

describe('planEncoder', () => {
  it('splits by equiFraction, else by the loss\'s own default (iBOT: 0.25), else half', () => {
    const split = (extra: Record<string, unknown>) => E.map((p: { dInv: number; dEqui: number }) => [p.dInv, p.dEqui])(planEncoder(config(extra), registry, shape));
    expect(split({ equiFraction: 0.75 })).toEqual(E.right([2, 6]));
    expect(split({ loss: { name: 'ibot' } })).toEqual(E.right([6, 2]));
    expect(split({})).toEqual(E.right([4, 4]));
  });

  it('refuses non-square images and a split with no invariant channel, naming the field', () => {
    const wide = planEncoder(config(), registry, [16, 24, 3]);
    expect(E.isLeft(wide) && wide.left.message).toContain('square');
    const none = planEncoder(config({ equiFraction: 1 }), registry, shape);
    expect(E.isLeft(none) && none.left.message).toMatch(/^equiFraction: leaves no invariant channels of 8/);
  });
});

describe('the encoder in a store', () => {
  it('defines the backbone under encoder. and the neck, from the same streams training uses', () => {
    const plan = planEncoder(config({ neck: 'linear' }), registry, shape);
    if (E.isLeft(plan)) throw new Error(plan.left.message);
    const store = new ParamStore();
    instantiateEncoder(plan.right, 'linear', store, Rng.seeded(0).fork('init'));
    expect(store.names().filter((n) => !n.startsWith('encoder.'))).toEqual(['neck.weight', 'neck.bias']);
    const built = buildEncoder(config({ neck: 'linear', seed: 0 }), registry, shape);
    if (E.isLeft(built)) throw new Error(built.left.message);
    // buildEncoder initialises from the config's seed exactly as instantiateEncoder does from Rng.seeded(seed).fork('init')
    for (const name of store.names()) expect(Array.from(built.right.store.get(name)!.dataSync())).toEqual(Array.from(store.get(name)!.dataSync()));
    store.dispose();
    built.right.dispose();
  });
});

describe('loadEncoder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'encoder-'));
  const save = async (file: string, extra: Record<string, unknown>, drop?: string) => {
    const c = { backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, seed: 3, neck: 'linear', ...extra };
    const trained = buildEncoder(config(c), registry, shape);
    if (E.isLeft(trained)) throw new Error(trained.left.message);
    const tensors = new Map<string, NamedArray>();
    for (const [name, v] of trained.right.store.entries()) if (name !== drop) tensors.set(`param/${name}`, { shape: v.shape, data: v.dataSync() as Float32Array });
    // what training adds beside the encoder (a loss parameter, optimizer moments) is left alone by the loader
    tensors.set('param/loss.projector.weight', { shape: [2, 2], data: new Float32Array(4) });
    tensors.set('adam.m/encoder.cls', { shape: [1], data: new Float32Array(1) });
    const saved = await saveCheckpoint(file, tensors, { step: 7, stream: { seed: Rng.seeded(0).state(), epoch: 0, cursor: 0, skipped: 0 }, lossState: null, config: c, backend: 'cpu', imageShape: shape })();
    if (E.isLeft(saved)) throw new Error(saved.left.message);
    return trained.right;
  };

  it('loads the backbone and the neck only, with the same features as the encoder that was saved', async () => {
    const file = join(dir, 'ok.safetensors');
    const trained = await save(file, {});
    const loaded = await loadEncoder(file, registry)();
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect(loaded.right.step).toBe(7);
    expect(loaded.right.encoder.store.names()).toEqual(trained.store.names());
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    expect(Array.from(encode(loaded.right.encoder, x, 'clsmean-inv').dataSync())).toEqual(Array.from(encode(trained, x, 'clsmean-inv').dataSync()));
    trained.dispose();
    loaded.right.encoder.dispose();
  });

  it('refuses a checkpoint that lacks one of the encoder\'s tensors, naming it and the file', async () => {
    const file = join(dir, 'partial.safetensors');
    (await save(file, {}, 'neck.bias')).dispose();
    const loaded = await loadEncoder(file, registry)();
    expect(E.isLeft(loaded) && loaded.left.message).toBe(`${file}: has no tensor "param/neck.bias"; was it saved by another model configuration?`);
  });
});
