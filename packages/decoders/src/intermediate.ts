/**
 * The intermediate-reconstruction objective of Wang et al. (AAAI 2026):
 * K independent decoders read the per-token concatenation of both views'
 * equivariant features, `[z1_equi ; z2_equi]`, and decoder k reconstructs
 * `u_k = g(kθ/(K+1))(u)`:
 *
 *   L_rec = (1/K) Σ_k mean‖D_k([z1_equi; z2_equi]) − u_k‖²
 *
 * With `target: normalised`, u_k is first normalised per image (zero mean,
 * unit variance), as MAE normalises its patches.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import type { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type { DecoderFactory, DecoderSpec, ReconstructionDecoder } from './decoder.js';

/** K decoders with their parameters defined. */
export interface IntermediateReconstruction {
  readonly k: number;
  /** What the decoders reconstruct (pixels, or each target normalised per image). */
  readonly target: TargetMode;
  /** L_rec, each decoder's MSE, and the reconstructions (owned by the caller's tidy). */
  readonly compute: (
    z1Equi: tf.Tensor3D,
    z2Equi: tf.Tensor3D,
    targets: ReadonlyArray<tf.Tensor4D>,
  ) => { loss: tf.Scalar; perDecoder: tf.Scalar[]; reconstructions: tf.Tensor4D[] };
}

/** What the decoders reconstruct: the path images as they are, or each one normalised per image. */
export type TargetMode = 'pixels' | 'normalised';

/** Each image of `[B, H, W, C]` minus its mean, divided by its standard deviation (+1e-6): zero mean, unit variance per image. */
export const normalisePerImage = (images: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const { mean, variance } = tf.moments(images, [1, 2, 3], true);
    return tf.div(tf.sub(images, mean), tf.add(tf.sqrt(variance), 1e-6)) as tf.Tensor4D;
  });

/**
 * A reconstruction of a normalised target back on the pixel scale of that
 * target: r·σ(u) + μ(u) per image (for pictures; the loss compares normalised values).
 */
export const denormaliseLike = (reconstruction: tf.Tensor4D, target: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const { mean, variance } = tf.moments(target, [1, 2, 3], true);
    return tf.add(tf.mul(reconstruction, tf.add(tf.sqrt(variance), 1e-6)), mean) as tf.Tensor4D;
  });

/** The name prefix of the decoders' parameters in a model's store. */
export const decoderParamPrefix = 'decoders.';

/** Defines K decoders `decoders.{k}.…` in `store`. */
export const intermediateReconstruction = (
  factory: DecoderFactory,
  k: number,
  spec: Omit<DecoderSpec, 'inDim'> & { readonly equiDim: number },
  store: ParamStore,
  rng: Rng,
  prefix = decoderParamPrefix,
  target: TargetMode = 'pixels',
): E.Either<string, IntermediateReconstruction> => {
  const decoders: ReconstructionDecoder[] = [];
  for (let i = 0; i < k; i++) {
    const d = factory.instantiate({ inDim: 2 * spec.equiDim, grid: spec.grid, patchSize: spec.patchSize, outChannels: spec.outChannels }, store, rng, `${prefix}${i}.`);
    if (E.isLeft(d)) return d;
    decoders.push(d.right);
  }
  return E.right({
    k,
    target,
    compute: (z1Equi, z2Equi, targets) => {
      const input = tf.concat([z1Equi, z2Equi], 2) as tf.Tensor3D;
      const reconstructions = decoders.map((d) => d.forward(input));
      const goal = (i: number) => (target === 'normalised' ? normalisePerImage(targets[i]!) : targets[i]!);
      const perDecoder = reconstructions.map((r, i) => tf.mean(tf.squaredDifference(r, goal(i))) as tf.Scalar);
      return { loss: tf.div(tf.addN(perDecoder), k) as tf.Scalar, perDecoder, reconstructions };
    },
  });
};
