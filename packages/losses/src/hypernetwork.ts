/**
 * The hypernetwork predictor SIE and STL share: a bias-free linear map from a
 * conditioning vector c `[B, P]` to a matrix W(c) `[B, E, E]` (stored
 * `[P, E·E]`, row-major (out, in)), applied per sample: ŷ_b = W(c_b)·x_b.
 * With `residual` the predictor is x_b + W(c_b)·x_b, so c = 0 (the identity
 * transformation) predicts x unchanged.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import { type ParamStore, truncNormal } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';

/** Defines `${prefix}weight` `[P, E·E]` and returns the predictor (x `[B, E]`, c `[B, P]`) → `[B, E]`. */
export const hypernetworkPredictor = (
  conditionDim: number,
  width: number,
  store: ParamStore,
  rng: Rng,
  prefix: string,
  residual: boolean,
): ((x: tf.Tensor2D, c: tf.Tensor2D) => tf.Tensor2D) => {
  const weight = store.add(`${prefix}weight`, truncNormal([conditionDim, width * width], 0.02, rng));
  return (x, c) => {
    const b = x.shape[0];
    const w = tf.reshape(tf.matMul(c, weight), [b, width, width]) as tf.Tensor3D; // (out, in) per sample
    const y = tf.reshape(tf.matMul(tf.reshape(x, [b, 1, width]), w, false, true), [b, width]) as tf.Tensor2D;
    return residual ? (tf.add(x, y) as tf.Tensor2D) : y;
  };
};
