/** The equivariance suite on grey images leaves out what grey pixels cannot show (colour saturation and hue). */
import type { Dataset } from '@equissl/data';
import { buildModel, decodePretrainConfig, standardRegistry } from '@equissl/pipeline';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { describe, expect, it } from 'vitest';
import { equivarianceSuite } from '../src/index.js';

const greyImages = (n: number, size: number): Dataset => ({
  name: 'memory',
  source: 'grey gradients',
  size: n,
  imageShape: [size, size, 1],
  classNames: undefined,
  dropped: 0,
  read: (indices) =>
    TE.right({
      pixels: Float32Array.from({ length: indices.length * size * size }, (_, i) => ((i % (size * size)) / (size * size)) * ((indices[Math.floor(i / (size * size))]! % 7) + 1) / 7),
      labels: undefined,
      indices,
      skipped: [],
    }),
});

describe('equivarianceSuite', () => {
  it('regresses only brightness and contrast of the colour family on grey images', async () => {
    const registry = standardRegistry();
    const config = decodePretrainConfig({ backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data: { name: 'procedural', size: 16 } });
    if (E.isLeft(registry) || E.isLeft(config)) throw new Error('setup');
    const model = buildModel(config.right, registry.right, [16, 16, 1]);
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
