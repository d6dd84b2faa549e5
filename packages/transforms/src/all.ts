/**
 * `all`: one family drawn at random per sample, among rotation, translation,
 * colour jitter and Gaussian blur (the paper's "all").
 *
 * θ is the concatenation of the members' parameter vectors, with every member
 * but the drawn one at its identity; `apply` runs the members in turn (a
 * member whose part is the identity for the whole batch is skipped), so the
 * path θ_t = t·θ moves only the drawn family.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, positiveInt, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { FillMode } from './affine.js';
import { colorJitterFamily } from './color-jitter.js';
import type { Params, TransformFamily } from './family.js';
import { gaussianBlurFamily } from './gaussian-blur.js';
import { rotationFamily } from './rotation.js';
import { translationFamily, defaultImageSize } from './translation.js';

/** A family that applies one of `members`, drawn uniformly per sample. */
export const oneOf = (name: string, members: ReadonlyArray<TransformFamily>): TransformFamily => {
  const offsets: number[] = [];
  let width = 0;
  for (const m of members) {
    offsets.push(width);
    width += m.identity.length;
  }
  const identity = members.flatMap((m) => [...m.identity]);
  const part = (theta: Params, i: number): Params => theta.slice(offsets[i]!, offsets[i]! + members[i]!.identity.length);
  return {
    name,
    paramNames: members.flatMap((m) => m.paramNames.map((p) => `${m.name}.${p}`)),
    invisibleOnGrey: members.flatMap((m) => (m.invisibleOnGrey ?? []).map((p) => `${m.name}.${p}`)),
    identity,
    scale: members.flatMap((m) => m.identity.map((_, i) => m.scale?.[i] ?? 1)),
    sample: (rng) => {
      const chosen = rng.int(members.length);
      return members.flatMap((m, i) => (i === chosen ? [...m.sample(rng)] : [...m.identity]));
    },
    interpolate: (theta, s) => members.flatMap((m, i) => [...m.interpolate(part(theta, i), s)]),
    apply: (images, thetas) => {
      let x = images;
      members.forEach((m, i) => {
        const parts = thetas.map((th) => part(th, i));
        if (parts.every((p) => p.every((v, k) => v === m.identity[k]))) return;
        const next = m.apply(x, parts);
        if (x !== images) x.dispose();
        x = next;
      });
      return x === images ? tf.clone(images) : x;
    },
  };
};

export const AllConfig = struct(
  'all',
  { maxDegrees: nonNegative, imageSize: t.union([positiveInt, t.undefined]), maxPixels: t.union([nonNegative, t.undefined]), fill: FillMode },
  { maxDegrees: 45, imageSize: undefined, maxPixels: undefined, fill: 'constant' },
);
export type AllConfig = t.TypeOf<typeof AllConfig>;

/** The paper's "all" family with its default ranges. */
export const allFamily = (c: AllConfig): TransformFamily =>
  oneOf('all', [
    rotationFamily({ maxDegrees: c.maxDegrees, fill: c.fill }),
    translationFamily({ imageSize: c.imageSize, maxPixels: c.maxPixels, fill: c.fill }),
    colorJitterFamily({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }),
    gaussianBlurFamily({ sigma: [0.1, 2] }),
  ]);

/** The `all` transform plugin. */
export const all = definePlugin({
  kind: 'transform',
  name: 'all',
  description: 'one of rotation, translation, colour jitter, Gaussian blur per sample',
  config: AllConfig,
  create: (c, ctx) => E.right(allFamily({ ...c, imageSize: c.imageSize ?? ctx.imageShape?.[0] ?? defaultImageSize })),
});
