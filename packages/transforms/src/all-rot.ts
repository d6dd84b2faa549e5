/**
 * `allRot`: the paper's "(all, rot)" setting — the second view differs by one
 * of the "all" families (rotation, translation, colour jitter, Gaussian blur,
 * drawn per sample) and, after it, by a rotation φ; the path moves only
 * along φ.
 *
 * θ = [φ | θ_all]: a loss that reads θ (SIE's hypernetwork) sees every
 * parameter, `g_θ(u) = rot(φ)(all(θ_all)(u))`, and the path point at t is
 * `[t·φ | θ_all]`: the targets are `all(θ_all)(u)` rotated by kφ/(K+1), so
 * the decoders reconstruct the images along the rotation only. Unlike the
 * other families, t = 0 is `all(θ_all)(u)`, not `u`.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, positiveInt, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { FillMode } from './affine.js';
import { allFamily } from './all.js';
import type { Params, TransformFamily } from './family.js';
import { rotationFamily } from './rotation.js';
import { defaultImageSize } from './translation.js';

export const AllRotConfig = struct(
  'allRot',
  { maxDegrees: nonNegative, allMaxDegrees: nonNegative, imageSize: t.union([positiveInt, t.undefined]), maxPixels: t.union([nonNegative, t.undefined]), fill: FillMode },
  { maxDegrees: 45, allMaxDegrees: 45, imageSize: undefined, maxPixels: undefined, fill: 'constant' },
);
export type AllRotConfig = t.TypeOf<typeof AllRotConfig>;

/** The "(all, rot)" family: `maxDegrees` bounds the path's rotation, `allMaxDegrees` the rotation member of "all". */
export const allRotFamily = (c: AllRotConfig): TransformFamily => {
  const rot = rotationFamily({ maxDegrees: c.maxDegrees, fill: c.fill });
  const all = allFamily({ maxDegrees: c.allMaxDegrees, imageSize: c.imageSize, maxPixels: c.maxPixels, fill: c.fill });
  const rest = (theta: Params): Params => theta.slice(1);
  return {
    name: 'allRot',
    paramNames: ['path.angleDeg', ...all.paramNames],
    ...(all.invisibleOnGrey !== undefined ? { invisibleOnGrey: all.invisibleOnGrey } : {}),
    identity: [0, ...all.identity],
    scale: [c.maxDegrees, ...(all.scale ?? all.identity.map(() => 1))],
    sample: (rng) => [...rot.sample(rng), ...all.sample(rng)],
    interpolate: (theta, s) => [s * theta[0]!, ...rest(theta)],
    apply: (images, thetas) => {
      const augmented = all.apply(images, thetas.map(rest));
      const out = rot.apply(augmented, thetas.map((th) => [th[0]!]));
      augmented.dispose();
      return out;
    },
  };
};

/** The `allRot` transform plugin. */
export const allRot = definePlugin({
  kind: 'transform',
  name: 'allRot',
  description: 'one of the "all" families, then a rotation; the path moves along the rotation only (the paper\'s "all, rot")',
  config: AllRotConfig,
  create: (c, ctx) => E.right(allRotFamily({ ...c, imageSize: c.imageSize ?? ctx.imageShape?.[0] ?? defaultImageSize })),
});
