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


/** Warps image b by (angleDeg_b, tx_b, ty_b). */
export const affineWarp = (
  images: tf.Tensor4D,
  params: ReadonlyArray<readonly [number, number, number]>,
  fill: FillMode = 'constant',
): tf.Tensor4D =>
  tf.tidy(() => {
    const [, h, w] = images.shape;
    const rows = params.flatMap(([angle, tx, ty]) => affineRow(angle, tx, ty, h, w));
    return tf.image.transform(images, tf.tensor2d(rows, [params.length, 8]), 'bilinear', fill, 0);
  });
