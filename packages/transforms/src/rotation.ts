/**
 * `rotation`: rotation about the image centre by φ degrees, φ ~ U(−max, max)
 * (paper: ±45°); θ = [φ], path θ_t = t·φ.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { FillMode, affineWarp } from './affine.js';
import { type TransformFamily, lerpFromIdentity } from './family.js';

export const RotationConfig = struct('rotation', { maxDegrees: nonNegative, fill: FillMode }, { maxDegrees: 45, fill: 'constant' });
export type RotationConfig = t.TypeOf<typeof RotationConfig>;

/** The rotation family for a decoded config. */
export const rotationFamily = (c: RotationConfig): TransformFamily => ({
  name: 'rotation',
  paramNames: ['angleDeg'],
  identity: [0],
  scale: [c.maxDegrees],
  sample: (rng) => [rng.between(-c.maxDegrees, c.maxDegrees)],
  interpolate: lerpFromIdentity([0]),
  apply: (images, thetas) => affineWarp(images, thetas.map((th) => [th[0]!, 0, 0] as const), c.fill),
});

/** The `rotation` transform plugin. */
export const rotation = definePlugin({
  kind: 'transform',
  name: 'rotation',
  description: 'rotation about the centre by φ ~ U(−maxDegrees, maxDegrees) degrees',
  config: RotationConfig,
  create: (c) => E.right(rotationFamily(c)),
});
