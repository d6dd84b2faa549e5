/**
 * Batched affine warps (rotation about the image centre, then translation)
 * with `tf.image.transform`, bilinear sampling.
 *
 * Conventions follow torchvision: a positive angle rotates the content
 * counter-clockwise; a positive `tx` moves it right, a positive `ty` down.
 * Rotation by 90° equals `numpy.rot90`; whole-pixel translation equals a shift.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { affineRow } from './affine-row.js';

/** How pixels that come from outside the image are filled. */
export const FillMode = t.union([t.literal('constant'), t.literal('reflect'), t.literal('nearest'), t.literal('wrap')]);
export type FillMode = t.TypeOf<typeof FillMode>;


/** `tf.image.transform` with one row of coefficients per image (bilinear, fill value 0). */
const transformAll = (images: tf.Tensor4D, rows: number[][], fill: FillMode): tf.Tensor4D =>
  tf.image.transform(images, tf.tensor2d(rows.flat(), [rows.length, 8]), 'bilinear', fill, 0);

/**
 * {@link transformAll} one image at a time. tfjs's batched transform on the
 * `cpu` backend is wrong beyond the first image (its kernel returns after
 * image 0 and leaves the others at the fill value), while a batch of one is
 * right there.
 */
const transformEach = (images: tf.Tensor4D, rows: number[][], fill: FillMode): tf.Tensor4D => {
  const rowOf = (b: number): number[] => rows[rows.length === 1 ? 0 : b]!;
  return tf.concat(tf.split<tf.Tensor4D>(images, images.shape[0]).map((image, b) => transformAll(image, [rowOf(b)], fill)));
};

/** Warps image b by (angleDeg_b, tx_b, ty_b); per image on the `cpu` backend (see {@link transformEach}). */
export const affineWarp = (
  images: tf.Tensor4D,
  params: ReadonlyArray<readonly [number, number, number]>,
  fill: FillMode = 'constant',
): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w] = images.shape;
    const rows = params.map(([angle, tx, ty]) => affineRow(angle, tx, ty, h, w));
    return tf.getBackend() === 'cpu' && b > 1 ? transformEach(images, rows, fill) : transformAll(images, rows, fill);
  });
