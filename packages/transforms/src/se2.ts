/**
 * `se2`: rotation about the centre followed by translation, in one warp
 * (one resampling). θ = [φ, tx, ty], path θ_t = t·θ.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, positiveInt, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { FillMode, affineWarp } from './affine.js';
import { type TransformFamily, lerpFromIdentity } from './family.js';
import { maxShift, defaultImageSize } from './translation.js';

export const Se2Config = struct(
  'se2',
  { maxDegrees: nonNegative, imageSize: t.union([positiveInt, t.undefined]), maxPixels: t.union([nonNegative, t.undefined]), fill: FillMode },
  { maxDegrees: 45, imageSize: undefined, maxPixels: undefined, fill: 'constant' },
);
export type Se2Config = t.TypeOf<typeof Se2Config>;

/** The SE(2) family for a decoded config. */
export const se2Family = (c: Se2Config): TransformFamily => {
  const max = maxShift(c.imageSize, c.maxPixels);
  return {
    name: 'se2',
    paramNames: ['angleDeg', 'txPx', 'tyPx'],
    identity: [0, 0, 0],
    scale: [c.maxDegrees, max, max],
    sample: (rng) => [rng.between(-c.maxDegrees, c.maxDegrees), rng.between(-max, max), rng.between(-max, max)],
    interpolate: lerpFromIdentity([0, 0, 0]),
    apply: (images, thetas) => affineWarp(images, thetas.map((th) => [th[0]!, th[1]!, th[2]!] as const), c.fill),
  };
};

/** The `se2` transform plugin. */
export const se2 = definePlugin({
  kind: 'transform',
  name: 'se2',
  description: 'rotation then translation (SE(2)) in one warp',
  config: Se2Config,
  create: (c, ctx) => E.right(se2Family({ ...c, imageSize: c.imageSize ?? ctx.imageShape?.[0] ?? defaultImageSize })),
});
