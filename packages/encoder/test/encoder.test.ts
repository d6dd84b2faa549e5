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
import { buildEncoder, decodePretrainConfig, encode, encoderFromSpec, instantiateEncoder, loadEncoder, planEncoder, pluginUses, readCheckpoint, saveCheckpoint } from '../src/index.js';
import { type AnyPlugin, Registry } from '@equissl/core';

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
  const save = async (file: string, extra: Record<string, unknown>, drop?: string, withSpec = false) => {
    const c = { backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, seed: 3, neck: 'linear', ...extra };
    const trained = buildEncoder(config(c), registry, shape);
    if (E.isLeft(trained)) throw new Error(trained.left.message);
    const tensors = new Map<string, NamedArray>();
    for (const [name, v] of trained.right.store.entries()) if (name !== drop) tensors.set(`param/${name}`, { shape: v.shape, data: v.dataSync() as Float32Array });
    // what training adds beside the encoder (a loss parameter, optimizer moments) is left alone by the loader
    tensors.set('param/loss.projector.weight', { shape: [2, 2], data: new Float32Array(4) });
    tensors.set('adam.m/encoder.cls', { shape: [1], data: new Float32Array(1) });
    const saved = await saveCheckpoint(file, tensors, { step: 7, stream: { seed: Rng.seeded(0).state(), epoch: 0, cursor: 0, skipped: 0 }, lossState: null, config: c, backend: 'cpu', imageShape: shape, ...(withSpec ? { encoder: trained.right.spec, plugins: pluginUses(config(c), registry) } : {}) })();
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

  /** A loss plugin only this test registers: a checkpoint trained with it names it and its module. */
  const privateLoss = (): AnyPlugin => {
    const vicreg = registry.get('loss', 'vicreg');
    if (E.isLeft(vicreg)) throw new Error('vicreg');
    return { ...vicreg.right, name: 'private-loss', module: 'file:///somewhere/private-loss.ts' } as AnyPlugin;
  };

  it('stores the encoder spec and the plugins used, and loads the encoder from the spec without the loss plugin', async () => {
    const withLoss = E.getOrElseW((): Registry => { throw new Error('register'); })(registry.register(privateLoss()));
    const c = { backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, seed: 3, neck: 'linear', equiFraction: 0.25, loss: { name: 'private-loss' } };
    const trained = buildEncoder(config(c), withLoss, shape);
    if (E.isLeft(trained)) throw new Error(trained.left.message);
    expect(trained.right.spec).toEqual({ backbone: expect.objectContaining({ name: 'vit', dim: 8, depth: 1, heads: 2, imageSize: 16, channels: 3 }), neck: 'linear', dInv: 6, dEqui: 2 });
    const uses = pluginUses(config(c), withLoss);
    expect(uses.find((u) => u.kind === 'loss')).toEqual({ kind: 'loss', name: 'private-loss', field: 'loss', module: 'file:///somewhere/private-loss.ts' });
    expect(uses.map((u) => u.field)).toEqual(['data', 'path', 'backbone', 'loss', 'reconstruction.decoder']);
    const file = join(dir, 'spec.safetensors');
    const tensors = new Map<string, NamedArray>();
    for (const [name, v] of trained.right.store.entries()) tensors.set(`param/${name}`, { shape: v.shape, data: v.dataSync() as Float32Array });
    const state = { step: 2, stream: { seed: Rng.seeded(0).state(), epoch: 0, cursor: 0, skipped: 0 }, lossState: null, config: c, backend: 'cpu', imageShape: shape, encoder: trained.right.spec, plugins: uses };
    const saved = await saveCheckpoint(file, tensors, state)();
    if (E.isLeft(saved)) throw new Error(saved.left.message);
    const read = await readCheckpoint(file)();
    if (E.isLeft(read)) throw new Error(read.left.message);
    expect(read.right.state.encoder).toEqual(trained.right.spec);
    expect(read.right.state.plugins).toEqual(uses);
    // the standard registry has no "private-loss": the encoder loads all the same
    const loaded = await loadEncoder(file, registry)();
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect([loaded.right.encoder.dInv, loaded.right.encoder.dEqui]).toEqual([6, 2]);
    expect(loaded.right.config.loss).toEqual({ name: 'private-loss' });
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    expect(Array.from(encode(loaded.right.encoder, x, 'tokens-equi').dataSync())).toEqual(Array.from(encode(trained.right, x, 'tokens-equi').dataSync()));
    // the untrained control of the spec initialises exactly as the config's seed does
    const untrained = encoderFromSpec(trained.right.spec, registry, 3);
    if (E.isLeft(untrained)) throw new Error(untrained.left.message);
    for (const name of trained.right.store.names()) expect(Array.from(untrained.right.store.get(name)!.dataSync())).toEqual(Array.from(trained.right.store.get(name)!.dataSync()));
    tf.dispose(x);
    for (const e of [trained.right, loaded.right.encoder, untrained.right]) e.dispose();
  });

  it('loads a checkpoint without a spec through its config, and names what to do when its loss is unknown', async () => {
    const file = join(dir, 'old.safetensors');
    (await save(file, { loss: { name: 'ibot' } })).dispose();
    const loaded = await loadEncoder(file, registry)();
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    expect([loaded.right.encoder.dInv, loaded.right.encoder.dEqui]).toEqual([6, 2]);
    loaded.right.encoder.dispose();
    const unknown = join(dir, 'old-unknown.safetensors');
    const withLoss = E.getOrElseW((): Registry => { throw new Error('register'); })(registry.register(privateLoss()));
    const c = { backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, loss: { name: 'private-loss' } };
    const trained = buildEncoder(config(c), withLoss, shape);
    if (E.isLeft(trained)) throw new Error(trained.left.message);
    const tensors = new Map<string, NamedArray>([...trained.right.store.entries()].map(([n, v]) => [`param/${n}`, { shape: v.shape, data: v.dataSync() as Float32Array }]));
    const saved = await saveCheckpoint(unknown, tensors, { step: 1, stream: { seed: Rng.seeded(0).state(), epoch: 0, cursor: 0, skipped: 0 }, lossState: null, config: c, backend: 'cpu', imageShape: shape })();
    if (E.isLeft(saved)) throw new Error(saved.left.message);
    trained.right.dispose();
    const refused = await loadEncoder(unknown, registry)();
    expect(E.isLeft(refused) && refused.left.message).toMatch(new RegExp(`^${unknown.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} stores no encoder spec .*unknown loss plugin "private-loss".*pass the loss's module with --plugins`));
  });

  it('refuses a spec whose split does not add up to the backbone\'s width, naming the file', async () => {
    const file = join(dir, 'bad-spec.safetensors');
    const trained = await save(file, {}, undefined, true);
    const r = encoderFromSpec({ ...trained.spec, dEqui: 5 }, registry, 0, file);
    expect(E.isLeft(r) && r.left.message).toBe(`encoder: ${file}: the split 4 + 5 does not add up to the backbone's 8 channels; the checkpoint's metadata is inconsistent`);
    trained.dispose();
  });
});
