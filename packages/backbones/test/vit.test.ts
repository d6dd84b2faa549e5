/** The ViT against the PyTorch benchmark model with the same weights, plus shapes, masks, presets and memory. */
import { Registry, Rng } from '@equissl/core';
import { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fixtures, paramWave, wave } from '../../../tools/reference/fixtures.js';
import { type BackboneFactory, backbonePlugins, patchify, vitFactory } from '../src/index.js';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(Registry.empty.registerAll(backbonePlugins));

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('vit', () => {
  it('matches the PyTorch reference ViT (torch_reference.py) given the same weights', () => {
    const s = fixtures.vit.spec;
    const store = new ParamStore();
    const enc = vitFactory({ imageSize: s.img, patchSize: s.patch, channels: 3, dim: s.dim, depth: s.depth, heads: s.heads, mlpRatio: s.mlp_ratio }).instantiate(store, Rng.seeded(0));
    for (const [name, v] of store.entries()) v.assign(tf.tensor(paramWave(name, v.shape), v.shape));
    const images = tf.tensor4d(wave([2, 8, 8, 3], 0.11, 0.2, 0.5).map((x) => x + 0.5), [2, 8, 8, 3]);
    const out = enc.forward(images);
    expect(out.cls.shape).toEqual([2, s.dim]);
    expect(out.patches.shape).toEqual([2, 4, s.dim]);
    expect(maxDiff(out.cls.dataSync(), fixtures.vit.cls)).toBeLessThan(1e-4);
    expect(maxDiff(out.patches.dataSync(), fixtures.vit.patches)).toBeLessThan(1e-4);
  });

  it('patchify orders patches row-major and pixels (py, px, c) inside', () => {
    // 4×4 image, 1 channel, value = 10·y + x; patch 2 → patch (0,1) holds (0,2) (0,3) (1,2) (1,3)
    const img = tf.tensor4d(Array.from({ length: 16 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4)), [1, 4, 4, 1]);
    expect(patchify(img, 2).arraySync()).toEqual([
      [0, 1, 10, 11],
      [2, 3, 12, 13],
      [20, 21, 30, 31],
      [22, 23, 32, 33],
    ]);
  });

  it('a token mask replaces masked patches by the mask token', () => {
    const store = new ParamStore();
    const enc = vitFactory({ imageSize: 8, patchSize: 4, channels: 3, dim: 8, depth: 1, heads: 2, mlpRatio: 2 }).instantiate(store, Rng.seeded(1));
    const a = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const all = tf.ones([1, 4]) as tf.Tensor2D;
    // with every patch masked, the image no longer matters
    expect(maxDiff(enc.forward(a, { tokenMask: all }).cls.dataSync(), enc.forward(b, { tokenMask: all }).cls.dataSync())).toBeLessThan(1e-6);
    expect(maxDiff(enc.forward(a).cls.dataSync(), enc.forward(b).cls.dataSync())).toBeGreaterThan(1e-3);
  });

  it('describes its own architecture: the spec, the MLP width, the patch count, its LayerNorm ε', () => {
    const store = new ParamStore();
    const enc = vitFactory({ imageSize: 8, patchSize: 4, channels: 3, dim: 8, depth: 1, heads: 2, mlpRatio: 2.5 }).instantiate(store, Rng.seeded(1));
    expect(enc.architecture).toEqual({ type: 'vit', imageSize: 8, patchSize: 4, channels: 3, dim: 8, depth: 1, heads: 2, mlpRatio: 2.5, mlpHidden: 20, patches: 4, layerNormEps: 1e-6, activation: 'gelu' });
    // the MLP it describes is the one it built
    expect(store.get('encoder.blocks.0.mlp.fc1.weight')?.shape).toEqual([8, 20]);
  });

  it('presets have the documented sizes and bad combinations are refused', () => {
    const factory = (config: object) => {
      const r = registry.create('backbone', config);
      if (E.isLeft(r)) throw new Error(r.left.message);
      return r.right as BackboneFactory;
    };
    expect([factory({ name: 'vit-tiny' }).dim, factory({ name: 'vit-small' }).dim, factory({ name: 'vit-micro' }).dim]).toEqual([192, 384, 96]);
    // ViT-Ti parameters: 12 blocks × (12·D² + 13·D) + patch (48·D + D) + cls + pos (65·D) + final norm (2D)
    const store = new ParamStore();
    factory({ name: 'vit-tiny' }).instantiate(store, Rng.seeded(0));
    const d = 192;
    expect(store.count()).toBe(12 * (12 * d * d + 13 * d) + 49 * d + d + 65 * d + d + 2 * d);
    store.dispose();
    const bad = registry.create('backbone', { name: 'vit', dim: 100, heads: 3 });
    expect(E.isLeft(bad) && bad.left.message).toBe('backbone plugin "vit": dim 100 is not divisible by heads 3');
    const bad2 = registry.create('backbone', { name: 'vit-micro', patchSize: 5 });
    expect(E.isLeft(bad2) && bad2.left.message).toBe('backbone plugin "vit-micro": imageSize 32 is not a multiple of patchSize 5');
  });

  it('a training step keeps the number of live tensors flat', () => {
    const store = new ParamStore();
    const enc = vitFactory({ imageSize: 8, patchSize: 4, channels: 3, dim: 8, depth: 2, heads: 2, mlpRatio: 2 }).instantiate(store, Rng.seeded(2));
    const x = tf.randomUniform([2, 8, 8, 3]) as tf.Tensor4D;
    const step = () =>
      tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.mean(tf.square(enc.forward(x).patches)) as tf.Scalar, store.variables());
        for (const [name, g] of Object.entries(grads)) void name, g.dataSync();
      });
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
