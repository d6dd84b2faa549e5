/**
 * The transformation paths the page offers, as @equissl/transforms applies
 * them in training: rotation about the image centre by φ degrees (θ = [φ])
 * and translation by (tx, ty) pixels (θ = [tx, ty]), both bilinear warps
 * with `tf.image.transform` (torchvision's conventions: a positive angle
 * turns the content counter-clockwise, a positive tx moves it right), and
 * the intermediate points θ_k = k·θ/(K + 1). No DOM; a test checks it
 * against @equissl/transforms pixel for pixel.
 */
import { affineRow } from '@equissl/transforms/affine-row';
import * as tf from '@tensorflow/tfjs';
import type { FamilySpec } from '../src/manifest.js';

/** A family the page's slider drives (explore.json's `families`). */
export type PathFamily = FamilySpec;

/** θ of a slider value: [s] for rotation, [s, 0] for translation (a shift along x). */
export const thetaOf = (family: PathFamily, s: number): number[] => (family.name === 'rotation' ? [s] : [s, 0]);

/** g_θ(images) for one θ applied to every image. */
export const applyPath = (family: PathFamily, images: tf.Tensor4D, theta: ReadonlyArray<number>): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w] = images.shape;
    const row = family.name === 'rotation' ? affineRow(theta[0]!, 0, 0, h, w) : affineRow(0, theta[0]!, theta[1] ?? 0, h, w);
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
