/**
 * `translation`: a shift by (tx, ty) pixels, each ~ U(−max, max); the paper's
 * ±10 px at 224 px scaled to `imageSize` unless `maxPixels` is given.
 * θ = [tx, ty], path θ_t = t·θ.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, positiveInt, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { FillMode, affineWarp } from './affine.js';
import { type TransformFamily, lerpFromIdentity } from './family.js';

/** The paper's translation range at 224 px. */
export const paperShiftAt224 = 10;

/** The image size assumed when neither the config nor the caller's context gives one. */
export const defaultImageSize = 32;

/**
 * The shift range for an image size: an explicit maximum, or 10/224 of the
 * size (the config's `imageSize`, else the images the caller will apply it to,
 * from the plugin context, else {@link defaultImageSize}).
 */
export const maxShift = (imageSize: number | undefined, maxPixels: number | undefined): number => maxPixels ?? (paperShiftAt224 * (imageSize ?? defaultImageSize)) / 224;

export const TranslationConfig = struct(
  'translation',
  { imageSize: t.union([positiveInt, t.undefined]), maxPixels: t.union([nonNegative, t.undefined]), fill: FillMode },
  { imageSize: undefined, maxPixels: undefined, fill: 'constant' },
);
export type TranslationConfig = t.TypeOf<typeof TranslationConfig>;

/** The translation family for a decoded config. */
export const translationFamily = (c: TranslationConfig): TransformFamily => {
  const max = maxShift(c.imageSize, c.maxPixels);
  return {
    name: 'translation',
    paramNames: ['txPx', 'tyPx'],
    identity: [0, 0],
    scale: [max, max],
    sample: (rng) => [rng.between(-max, max), rng.between(-max, max)],
    interpolate: lerpFromIdentity([0, 0]),
    apply: (images, thetas) => affineWarp(images, thetas.map((th) => [0, th[0]!, th[1]!] as const), c.fill),
  };
};

/** The `translation` transform plugin. */
export const translation = definePlugin({
  kind: 'transform',
  name: 'translation',
  description: 'shift by (tx, ty) pixels, ±10 px at 224 px scaled to imageSize',
  config: TranslationConfig,
  create: (c, ctx) => E.right(translationFamily({ ...c, imageSize: c.imageSize ?? ctx.imageShape?.[0] ?? defaultImageSize })),
});
