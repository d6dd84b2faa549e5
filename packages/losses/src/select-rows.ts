/**
 * Row selection with a gradient on every backend: `x[index]` as the product
 * of a constant one-hot matrix `[index.length, rows]` with `x`. tf.gather's
 * gradient needs the UnsortedSegmentSum kernel, which the wasm backend lacks;
 * the batches selected from here are small, so the matrix is too.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';

/** `[index.length, …]`: rows `index` of `x` (`[rows, d]`). */
export const selectRows = (x: tf.Tensor2D, index: ReadonlyArray<number> | tf.Tensor1D): tf.Tensor2D => {
  const rows = x.shape[0];
  const at = Array.isArray(index) ? index : Array.from((index as tf.Tensor1D).dataSync());
  const onehot = new Float32Array(at.length * rows);
  at.forEach((r, i) => (onehot[i * rows + r] = 1));
  return tf.matMul(tf.tensor2d(onehot, [at.length, rows]), x);
};
