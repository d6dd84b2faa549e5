/**
 * `colorJitter`: brightness, contrast, saturation and hue, applied in that
 * order with torchvision's formulas. θ = [b, c, s, h] as offsets from the
 * identity (factors 1 + b, 1 + c, 1 + s; hue shift h), drawn from the paper's
 * ranges ±0.4, ±0.4, ±0.4, ±0.1. The path scales every offset: θ_t = t·θ.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs';
import type * as t from 'io-ts';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation } from './color-ops.js';
import { type Params, type TransformFamily, lerpFromIdentity } from './family.js';

export const ColorJitterConfig = struct(
  'colorJitter',
  { brightness: nonNegative, contrast: nonNegative, saturation: nonNegative, hue: nonNegative },
  { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
);
export type ColorJitterConfig = t.TypeOf<typeof ColorJitterConfig>;

/** Applies θ = [b, c, s, h] per image; parts that are zero for the whole batch are skipped. */
export const applyColorJitter = (images: tf.Tensor4D, thetas: ReadonlyArray<Params>): tf.Tensor4D =>
  tf.tidy(() => {
    const column = (i: number) => thetas.map((th) => th[i]!);
    const anyNonZero = (i: number) => thetas.some((th) => th[i] !== 0);
    let x = images;
    if (anyNonZero(0)) x = adjustBrightness(x, column(0).map((b) => 1 + b));
    if (anyNonZero(1)) x = adjustContrast(x, column(1).map((c) => 1 + c));
    if (anyNonZero(2)) x = adjustSaturation(x, column(2).map((s) => 1 + s));
    if (anyNonZero(3)) x = adjustHue(x, column(3));
    return x === images ? tf.clone(images) : x;
  });

/** The colour-jitter family for a decoded config. */
export const colorJitterFamily = (c: ColorJitterConfig): TransformFamily => ({
  name: 'colorJitter',
  label: 'colour',
  paramNames: ['brightness', 'contrast', 'saturation', 'hue'],
  // grey pixels have no saturation and no hue to change
  invisibleOnGrey: ['saturation', 'hue'],
  identity: [0, 0, 0, 0],
  scale: [c.brightness, c.contrast, c.saturation, c.hue],
  sample: (rng) => [
    rng.between(-c.brightness, c.brightness),
    rng.between(-c.contrast, c.contrast),
    rng.between(-c.saturation, c.saturation),
    rng.between(-c.hue, c.hue),
  ],
  interpolate: lerpFromIdentity([0, 0, 0, 0]),
  apply: applyColorJitter,
});

/** The `colorJitter` transform plugin. */
export const colorJitter = definePlugin({
  kind: 'transform',
  name: 'colorJitter',
  description: 'brightness, contrast, saturation, hue (torchvision formulas), offsets ±0.4/±0.4/±0.4/±0.1',
  config: ColorJitterConfig,
  create: (c) => E.right(colorJitterFamily(c)),
});
