/**
 * The paths the page warps itself, as @equissl/transforms applies them in
 * training: rotation about the image centre, translation, and both (SE(2)),
 * one bilinear warp with `tf.image.transform` built by the same
 * `affineRow` (torchvision's conventions: a positive angle turns the
 * content counter-clockwise, a positive tx moves it right); θ = s · direction
 * for the slider's value s, and the intermediate points θ_k = k·θ/(K + 1).
 * No DOM; a test checks it against @equissl/transforms pixel for pixel.
 */
import { affineRow } from '@equissl/transforms/affine-row';
import * as tf from '@tensorflow/tfjs';
import type { LiveFamily } from '../src/manifest.js';

/** A family the page warps (explore.json's families of kind `live`). */
export type PathFamily = LiveFamily;

/** θ of a slider value: s · direction (rotation [s], translation [s, 0]). */
export const thetaOf = (family: PathFamily, s: number): number[] => family.direction.map((d) => d * s);

/** The warp's angle and shift of θ. */
const warpOf = (family: PathFamily, theta: ReadonlyArray<number>): { angle: number; tx: number; ty: number } => {
  const w = { angle: 0, tx: 0, ty: 0 };
  family.warp.forEach((part, i) => (w[part] = theta[i] ?? 0));
  return w;
};

/** g_θ(images) for one θ applied to every image. */
export const applyPath = (family: PathFamily, images: tf.Tensor4D, theta: ReadonlyArray<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w] = images.shape;
    const { angle, tx, ty } = warpOf(family, theta);
    const row = affineRow(angle, tx, ty, h, w);
    const rows = Array.from({ length: b }, () => row).flat();
    return tf.image.transform(images, tf.tensor2d(rows, [b, 8]), 'bilinear', family.fill, 0);
  });

/** The K intermediate targets g_{kθ/(K+1)}(images), k = 1 … K. */
export const pathTargets = (family: PathFamily, images: tf.Tensor4D, theta: ReadonlyArray<number>, k: number): tf.Tensor4D[] =>
  Array.from({ length: k }, (_, i) =>
    applyPath(
      family,
      images,
      theta.map((v) => (v * (i + 1)) / (k + 1)),
    ),
  );
