/**
 * `upsample2x`: nearest-neighbour ×2 upsampling (NHWC), whose gradient sums
 * each 2×2 block of dy.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';

/** `[N, H, W, C]` → `[N, 2H, 2W, C]`, each pixel repeated in a 2×2 block. */
export const upsample2x = withGradient((x: tf.Tensor4D) => {
  const [n, h, w, c] = x.shape;
  return {
    value: tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]),
    save: [],
    backward: (dy) => [tf.sum(tf.reshape(dy, [n, h, 2, w, 2, c]), [2, 4])],
  };
});
