/**
 * Weight initialisers, seeded: truncated normal (timm/DeiT: std 0.02, cut at
 * ±2 std), PyTorch's default uniform for convolutions, constants.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';

/** N(0, std²) truncated at ±2·std. */
export const truncNormal = (shape: number[], std: number, rng: Rng): tf.Tensor =>
  tf.truncatedNormal(shape, 0, std, 'float32', rng.tfSeed());

/** PyTorch's default for Linear/Conv weights and biases: U(−1/√fanIn, 1/√fanIn). */
export const fanInUniform = (shape: number[], fanIn: number, rng: Rng): tf.Tensor => {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', rng.tfSeed());
};

/** Zeros. */
export const zeros = (shape: number[]): tf.Tensor => tf.zeros(shape);

/** Ones. */
export const ones = (shape: number[]): tf.Tensor => tf.ones(shape);
