/**
 * The feature split `z = [z_inv | z_equi]` along the channel (last) axis.
 *
 * The first `d − dEqui` channels are invariant (fed to the SSL loss), the
 * last `dEqui` equivariant (fed to the reconstruction decoders). Built from
 * `tf.slice`, which has a gradient on every backend.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { type ShapeMismatch, shapeMismatch } from './errors.js';

/** The two parts of a split feature tensor. */
export interface SplitFeatures<T extends tf.Tensor> {
  readonly inv: T;
  readonly equi: T;
}

/** How many channels of `d` are equivariant for a fraction (0.5 for VICReg/SIE, 0.25 for iBOT/DINOv2 heads). */
export const equivariantChannels = (d: number, fraction: number): number => Math.round(d * fraction);

/**
 * Splits `z` (any rank ≥ 1) into its first `d − dEqui` and last `dEqui`
 * channels. `name` names the tensor in the error when `dEqui` does not fit.
 */
export const splitFeatures = <T extends tf.Tensor>(
  z: T,
  dEqui: number,
  name = 'z',
): E.Either<ShapeMismatch, SplitFeatures<T>> => {
  const d = z.shape[z.rank - 1];
  if (z.rank < 1 || d === undefined || !Number.isInteger(dEqui) || dEqui < 0 || dEqui > d) {
    return E.left(shapeMismatch(name, `[..., d] with d >= dEqui = ${dEqui}`, z.shape));
  }
  const begin = z.shape.map(() => 0);
  const invSize = z.shape.map((s, i) => (i === z.rank - 1 ? d - dEqui : s));
  const equiSize = z.shape.map((s, i) => (i === z.rank - 1 ? dEqui : s));
  const equiBegin = begin.map((b, i) => (i === z.rank - 1 ? d - dEqui : b));
  return E.right({ inv: tf.slice(z, begin, invSize) as T, equi: tf.slice(z, equiBegin, equiSize) as T });
};
