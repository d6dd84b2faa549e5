/** The equivariance suite on grey images leaves out what grey pixels cannot show (colour saturation and hue). */
import type { Dataset } from '@equissl/data';
import { buildEncoder, decodePretrainConfig } from '@equissl/encoder';
import { standardRegistry } from './registry.js';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { equivarianceSuite } from '../src/index.js';
import { memoryDataset } from './memory-dataset.js';

const greyImages = (n: number, size: number): Dataset =>
  memoryDataset(n, size, 'grey gradients', (k, p) => ((p / (size * size)) * ((k % 7) + 1)) / 7);

describe('equivarianceSuite', () => {
  it('regresses only brightness and contrast of the colour family on grey images', async () => {
    const registry = standardRegistry();
    const config = decodePretrainConfig({ backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data: { name: 'procedural', size: 16 } });
    if (E.isLeft(registry) || E.isLeft(config)) throw new Error('setup');
    const model = buildEncoder(config.right, registry.right, [16, 16, 1]);
    if (E.isLeft(model)) throw new Error(model.left.message);
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
});
