/** A tiny homography evaluation (a few seconds): pair sets, the zero predictor's MCE by hand, both modes, references and determinism. */
import { Rng } from '@equissl/core';
import type { Dataset } from '@equissl/data';
import { buildEncoder, decodePretrainConfig } from '@equissl/encoder';
import { standardRegistry } from './registry.js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { homographySuite, pairSet } from '../src/index.js';
import { memoryDataset } from './memory-dataset.js';

const size = 16;
/** `n` grey 16×16 images: smooth patterns that differ per index. */
const images = (n: number): Dataset =>
  memoryDataset(n, size, 'grey patterns', (k, p) => 0.5 + 0.4 * Math.sin(((p % size) * (k + 1)) / 5) * Math.cos(Math.floor(p / size) / (k + 2)));

const rawConfig = { backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data: { name: 'procedural', size } };
const tiny = { trainPairs: 16, testPairs: 8, steps: 3, batchSize: 4, head: { channels: 4 }, scratch: { channels: [4, 4] }, examples: 2 };

const setup = () => {
  const registry = standardRegistry();
  const config = decodePretrainConfig(rawConfig);
  if (E.isLeft(registry) || E.isLeft(config)) throw new Error('setup');
  const model = buildEncoder(config.right, registry.right, [size, size, 1]);
  if (E.isLeft(model)) throw new Error(model.left.message);
  return { registry: registry.right, model: model.right };
};

describe('pairSet', () => {
  it('reuses the sources in turn and draws pair i from rng.fork(i)', async () => {
    const g = { size, rho: 4 };
    const five = await pairSet(images(2), 5, g, Rng.seeded(1), 1);
    const three = await pairSet(images(2), 3, g, Rng.seeded(1));
    if (E.isLeft(five) || E.isLeft(three)) throw new Error('pairs');
    expect(five.right.a).toHaveLength(5 * size * size);
    expect(five.right.offsets).toHaveLength(40);
    expect(five.right.kept).toHaveLength(1);
    expect(Array.from(five.right.offsets.subarray(0, 24))).toEqual(Array.from(three.right.offsets));
    expect(five.right.offsets.every((v) => Math.abs(v) <= 4)).toBe(true);
    const empty = await pairSet(images(0), 3, g, Rng.seeded(1));
    expect(E.isLeft(empty) && empty.left.message).toMatch(/holds no images/);
  });
});

describe('homographySuite', () => {
  it('scores the checkpoint, the zero predictor (by hand from the offsets), the from-scratch CNN and the untrained encoder; the same seed gives the same numbers', async () => {
    const { registry, model } = setup();
    const run = () => homographySuite(model, images(12), images(6), registry, { config: tiny, seed: 0, imageShape: [size, size, 1], encoderSpec: model.spec });
    const r = await run();
    if (E.isLeft(r)) throw new Error(r.left.message);
    const h = r.right;
    expect([h.mode, h.size, h.rho, h.trainPairs, h.testPairs, h.steps]).toEqual(['frozen', 16, 4, 16, 8, 3]);
    // the zero predictor's MCE is the mean length of the true offsets: recompute it from the test pairs
    const test = await pairSet(images(6), 8, { size, rho: 4 }, Rng.seeded(0).fork('homography').fork('test'));
    if (E.isLeft(test)) throw new Error('pairs');
    let sum = 0;
    for (let i = 0; i < 8; i++) for (let c = 0; c < 4; c++) sum += Math.hypot(test.right.offsets[8 * i + 2 * c]!, test.right.offsets[8 * i + 2 * c + 1]!) / 4;
    expect(h.mceZero).toBeCloseTo(sum / 8, 6);
    for (const v of [h.mce, h.mceScratch!, h.mceUntrained!]) expect(v).toBeGreaterThan(0);
    expect(h.examples).toHaveLength(2);
    expect(h.examples[0]!.offsets).toEqual(Array.from(test.right.offsets.subarray(0, 8)));
    expect(h.examples[0]!.contextSize).toBe(24);
    expect(Buffer.from(h.examples[0]!.b, 'base64')).toHaveLength(size * size);
    const again = await run();
    if (E.isLeft(again)) throw new Error(again.left.message);
    expect({ ...again.right, examples: [] }).toEqual({ ...h, examples: [] });
    model.dispose();
  });

  it('fine-tunes the encoder and puts its weights back', async () => {
    const { registry, model } = setup();
    const before = model.store.toArrays();
    const r = await homographySuite(model, images(12), images(6), registry, { config: { ...tiny, steps: 2, finetune: true, references: ['zero'] }, seed: 0, imageShape: [size, size, 1] });
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.mode).toBe('finetune');
    expect(r.right.mceScratch).toBeUndefined();
    expect(Number.isFinite(r.right.mce)).toBe(true);
    for (const [name, a] of model.store.toArrays()) expect(Array.from(a.data)).toEqual(Array.from(before.get(name)!.data));
    model.dispose();
  });

  it('names the field of a bad setting', async () => {
    const { registry, model } = setup();
    const r = await homographySuite(model, images(4), images(4), registry, { config: { rhoFraction: 0.7 }, seed: 0, imageShape: [size, size, 1] });
    expect(E.isLeft(r) && r.left.message).toMatch(/homography\.rhoFraction/);
    model.dispose();
  });
});
