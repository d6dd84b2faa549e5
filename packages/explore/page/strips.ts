/**
 * The precomputed paths: for a family the page cannot warp itself,
 * `equissl explore` wrote g_{θ_j}(x) and the targets at the path fractions
 * the models need, per sample image and stop of the slider (explore.json's
 * families of kind `strip`). Here they are read back as image tensors. No
 * DOM.
 */
import * as tf from '@tensorflow/tfjs';
import type { StripFamily } from '../src/manifest.js';

/** A strip's images. */
export interface LoadedStrip {
  readonly family: StripFamily;
  readonly data: Float32Array;
}

/** The images one model sees at one stop: g_θ(x) and its K targets (the caller disposes them). */
export interface StripPoint {
  readonly transformed: tf.Tensor4D;
  readonly targets: tf.Tensor4D[];
}

/** Checks that `data` holds the strip's images of `imageShape`, and keeps it. */
export const loadedStrip = (family: StripFamily, data: Float32Array, imageShape: readonly [number, number, number]): LoadedStrip => {
  const per = imageShape[0] * imageShape[1] * imageShape[2];
  const expected = family.samples * family.points.length * (1 + family.fractions.length) * per;
  if (data.length !== expected) {
    throw new Error(`${family.file} holds ${data.length} values, not ${family.samples} images × ${family.points.length} points × ${1 + family.fractions.length} of ${imageShape.join('×')}`);
  }
  return { family, data };
};

/** Whether the strip has images of sample `sample` (undefined: an uploaded photo, which it never has). */
export const stripCovers = (family: StripFamily, sample: number | undefined): boolean => sample !== undefined && sample >= 0 && sample < family.samples;

/** The slot of the target k/(K+1) in the strip. */
const slotOf = (family: StripFamily, k: number, kk: number): number => {
  const q = family.fractions.findIndex((f) => Math.abs(f - k / (kk + 1)) < 1e-9);
  if (q < 0) throw new Error(`${family.name}: explore.json has no precomputed target at ${k}/${kk + 1} of the path`);
  return 1 + q;
};

/** g_{θ_j}(x) and the `k` targets g_{kθ_j/(K+1)}(x) of sample `sample` at stop `point`, each `[1, H, W, C]`. */
export const stripPoint = (strip: LoadedStrip, imageShape: readonly [number, number, number], sample: number, point: number, k: number): StripPoint => {
  const { family, data } = strip;
  if (!stripCovers(family, sample)) throw new Error(`${family.name} is precomputed for the first ${family.samples} sample images only`);
  const per = imageShape[0] * imageShape[1] * imageShape[2];
  const slots = 1 + family.fractions.length;
  const image = (slot: number) => {
    const at = ((sample * family.points.length + point) * slots + slot) * per;
    return tf.tensor4d(data.slice(at, at + per), [1, ...imageShape]);
  };
  return { transformed: image(0), targets: Array.from({ length: k }, (_, i) => image(slotOf(family, i + 1, k))) };
};
