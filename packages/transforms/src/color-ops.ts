/**
 * Colour operations on `[B, H, W, 3]` images in [0, 1], with one factor per
 * image, following torchvision's tensor implementations
 * (`torchvision.transforms.functional` / `_functional_tensor`):
 * brightness, contrast, saturation, hue (through HSV), grayscale, solarize.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { perImage } from './family.js';

/** ITU-R 601-2 luma, as torchvision's `rgb_to_grayscale`: `[B, H, W, 1]`. */
export const grayscale = (images: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const [r, g, b] = tf.split(images, 3, 3);
    return tf.addN([tf.mul(r!, 0.2989), tf.mul(g!, 0.587), tf.mul(b!, 0.114)]) as tf.Tensor4D;
  });

/** torchvision `_blend`: clamp(f·x + (1 − f)·y, 0, 1) with f per image. */
const blend = (x: tf.Tensor4D, y: tf.Tensor, factors: ReadonlyArray<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const f = perImage(factors);
    return tf.clipByValue(tf.add(tf.mul(f, x), tf.mul(tf.sub(1, f), y)), 0, 1) as tf.Tensor4D;
  });

/** `adjust_brightness`: clamp(f·x). */
export const adjustBrightness = (images: tf.Tensor4D, factors: ReadonlyArray<number>): tf.Tensor4D =>
  tf.tidy(() => blend(images, tf.zerosLike(images), factors));

/** `adjust_contrast`: blend with the mean gray level of each image. */
export const adjustContrast = (images: tf.Tensor4D, factors: ReadonlyArray<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const gray = images.shape[3] === 3 ? grayscale(images) : images;
    return blend(images, tf.mean(gray, [1, 2, 3], true), factors);
  });

/** `adjust_saturation`: blend with the per-pixel gray image (RGB only; gray images are returned as is). */
export const adjustSaturation = (images: tf.Tensor4D, factors: ReadonlyArray<number>): tf.Tensor4D =>
  images.shape[3] === 3 ? tf.tidy(() => blend(images, grayscale(images), factors)) : tf.clone(images);

/** torchvision `_rgb2hsv`: returns h, s, v, each `[B, H, W, 1]`, h in [0, 1). */
export const rgbToHsv = (images: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] =>
  tf.tidy(() => {
    const [r, g, b] = tf.split(images, 3, 3) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    const maxc = tf.maximum(tf.maximum(r, g), b);
    const minc = tf.minimum(tf.minimum(r, g), b);
    const eqc = tf.equal(maxc, minc);
    const cr = tf.sub(maxc, minc);
    const ones = tf.onesLike(maxc);
    const s = tf.div(cr, tf.where(eqc, ones, maxc));
    const crDiv = tf.where(eqc, ones, cr);
    const rc = tf.div(tf.sub(maxc, r), crDiv);
    const gc = tf.div(tf.sub(maxc, g), crDiv);
    const bc = tf.div(tf.sub(maxc, b), crDiv);
    const isR = tf.equal(maxc, r);
    const isG = tf.logicalAnd(tf.equal(maxc, g), tf.logicalNot(isR));
    const isB = tf.logicalAnd(tf.logicalNot(tf.equal(maxc, g)), tf.logicalNot(isR));
    const hr = tf.mul(tf.cast(isR, 'float32'), tf.sub(bc, gc));
    const hg = tf.mul(tf.cast(isG, 'float32'), tf.add(2, tf.sub(rc, bc)));
    const hb = tf.mul(tf.cast(isB, 'float32'), tf.add(4, tf.sub(gc, rc)));
    const h6 = tf.add(tf.div(tf.addN([hr, hg, hb]), 6), 1);
    const h = tf.sub(h6, tf.floor(h6));
    return [h as tf.Tensor4D, s as tf.Tensor4D, maxc as tf.Tensor4D];
  });

/** torchvision `_hsv2rgb`. */
export const hsvToRgb = (h: tf.Tensor4D, s: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const h6 = tf.mul(h, 6);
    const i = tf.floor(h6);
    const f = tf.sub(h6, i);
    const sector = tf.cast(tf.mod(i, 6), 'int32');
    const p = tf.clipByValue(tf.mul(v, tf.sub(1, s)), 0, 1);
    const q = tf.clipByValue(tf.mul(v, tf.sub(1, tf.mul(s, f))), 0, 1);
    const t = tf.clipByValue(tf.mul(v, tf.sub(1, tf.mul(s, tf.sub(1, f)))), 0, 1);
    // sector → (r, g, b): 0 (v,t,p) 1 (q,v,p) 2 (p,v,t) 3 (p,q,v) 4 (t,p,v) 5 (v,p,q)
    const table: ReadonlyArray<readonly [tf.Tensor, tf.Tensor, tf.Tensor]> = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ];
    const channel = (c: 0 | 1 | 2) =>
      tf.addN(table.map((row, k) => tf.mul(tf.cast(tf.equal(sector, k), 'float32'), row[c])));
    return tf.concat([channel(0), channel(1), channel(2)], 3) as tf.Tensor4D;
  });

/** `adjust_hue`: shifts hue by f ∈ [−0.5, 0.5] (of a full turn) per image (RGB only). */
export const adjustHue = (images: tf.Tensor4D, factors: ReadonlyArray<number>): tf.Tensor4D => {
  if (images.shape[3] !== 3) return tf.clone(images);
  return tf.tidy(() => {
    const [h, s, v] = rgbToHsv(images);
    const shifted = tf.add(h, perImage(factors));
    const wrapped = tf.sub(shifted, tf.floor(shifted)) as tf.Tensor4D;
    return hsvToRgb(wrapped, s, v);
  });
};

/** `solarize` at 0.5 for the images whose flag is set: x ≥ 0.5 → 1 − x. */
export const solarize = (images: tf.Tensor4D, flags: ReadonlyArray<boolean>): tf.Tensor4D =>
  tf.tidy(() => {
    const on = tf.cast(perImage(flags.map((f) => (f ? 1 : 0))), 'bool');
    const above = tf.greaterEqual(images, 0.5);
    return tf.where(tf.logicalAnd(on, above), tf.sub(1, images), images) as tf.Tensor4D;
  });
