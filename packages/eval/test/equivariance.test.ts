/**
 * The equivariance suite on grey images leaves out what grey pixels cannot
 * show (colour saturation and hue); with `fitImages` its regressors fit on the
 * training split and every scored image is held out.
 */
import type { Dataset } from '@equissl/data';
import { buildEncoder, decodePretrainConfig } from '@equissl/encoder';
import { standardRegistry } from './registry.js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { equivarianceCounts, equivarianceSuite } from '../src/index.js';
import { memoryDataset } from './memory-dataset.js';

const greyImages = (n: number, size: number): Dataset =>
  memoryDataset(n, size, 'grey gradients', (k, p) => ((p / (size * size)) * ((k % 7) + 1)) / 7);

/** An untrained ViT of width 8 on 16-px grey images, and the standard registry. */
const tinyEncoder = () => {
  const registry = standardRegistry();
  const config = decodePretrainConfig({ backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data: { name: 'procedural', size: 16 } });
  if (E.isLeft(registry) || E.isLeft(config)) throw new Error('setup');
  const model = buildEncoder(config.right, registry.right, [16, 16, 1]);
  if (E.isLeft(model)) throw new Error(model.left.message);
  return { registry, model };
};

describe('equivarianceSuite', () => {
  it('regresses only brightness and contrast of the colour family on grey images', async () => {
    const { registry, model } = tinyEncoder();
    const r = await equivarianceSuite(model.right, greyImages(40, 16), registry.right, {
      images: 40,
      part: 'clsmean-full',
      seed: 0,
      regressor: { name: 'mlp', hidden: [8], epochs: 2 },
      tasks: ['colour', 'rotation'],
    });
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.map((f) => [f.task, f.paramNames])).toEqual([
      ['rotation', ['angleDeg']],
      ['colour', ['brightness', 'contrast']],
    ]);
    expect(r.right[1]!.r2PerDimension).toHaveLength(2);
    model.right.dispose();
  });

  it('fits on the training split with fitImages: the same scores as the 80/20 suite on the training images followed by the scored ones', async () => {
    const { registry, model } = tinyEncoder();
    const shade = (k: number, p: number) => ((p % 16) / 16) * ((k % 5) + 1) / 5 + (k % 3) / 10;
    // 32 training images (k = 0 … 31) and 8 scored ones (k = 32 … 39): together the first 40 of one set
    const fit = memoryDataset(32, 16, 'fit', shade);
    const scored = memoryDataset(8, 16, 'scored', (k, p) => shade(k + 32, p));
    const together = memoryDataset(40, 16, 'together', shade);
    const options = { part: 'clsmean-full' as const, seed: 3, regressor: { name: 'ridge' }, tasks: ['rotation', 'blur'], readouts: ['clsmean-full' as const] };
    const apart = await equivarianceSuite(model.right, scored, registry.right, { ...options, images: 8, fitImages: 32 }, fit);
    const split = await equivarianceSuite(model.right, together, registry.right, { ...options, images: 40 });
    if (E.isLeft(apart) || E.isLeft(split)) throw new Error('suite failed');
    expect(apart.right.map((f) => f.r2)).toEqual(split.right.map((f) => f.r2));
    expect(apart.right[0]!.r2).not.toBe(apart.right[1]!.r2);
    expect(equivarianceCounts({ images: 8, fitImages: 32 }, scored, fit)).toEqual({ asked: 40, used: 40, train: 32, test: 8, askedTrain: 32, askedTest: 8 });
    expect(equivarianceCounts({ images: 100, fitImages: 500 }, scored, fit)).toEqual({ asked: 600, used: 40, train: 32, test: 8, askedTrain: 500, askedTest: 100 });
    const missing = await equivarianceSuite(model.right, scored, registry.right, { ...options, images: 8, fitImages: 32 });
    expect(E.isLeft(missing) && missing.left.message).toContain('fitImages');
    model.right.dispose();
  });
});
