/**
 * `sumRows`: Σ over the rows of a 2-D tensor (`[N, C]` → `[C]`), as the
 * product `1ᵀ·x`. On wasm the plain matrix product runs about 14× faster than
 * the column-wise Sum reduction, and every bias gradient is such a sum.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';

/** Column sums of `x` viewed as `[rows, lastDim]` (any rank ≥ 1). */
export const sumRows = (x: tf.Tensor): tf.Tensor1D => {
  const c = x.shape[x.rank - 1]!;
  const flat = tf.reshape(x, [-1, c]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(tf.ones([1, flat.shape[0]]), flat), [c]);
};
