/**
 * The KoLeo regulariser (Sablayrolles et al., "Spreading vectors for
 * similarity search", ICLR 2019; as in facebookresearch/dinov2
 * `loss/koleo_loss.py`): for L2-normalised rows x_i, with n(i) the nearest
 * other row by inner product,
 *
 *   L = −mean_i log(‖x_i − x_n(i) + ε‖ + ε),  ε = 1e-8,
 *
 * which pushes each embedding away from its nearest neighbour in the batch.
 * The neighbour index is a constant; the gradient flows through both rows.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { selectRows } from './select-rows.js';

/** KoLeo of a batch `[B, d]`. */
export const koleo = (z: tf.Tensor2D, eps = 1e-8): tf.Scalar => {
  const x = tf.div(z, tf.maximum(tf.norm(z, 'euclidean', 1, true), eps)) as tf.Tensor2D;
  const n = x.shape[0];
  const neighbour = tf.tidy(() => tf.argMax(tf.sub(tf.matMul(x, x, false, true), tf.mul(tf.eye(n), 1e9)), 1));
  const distance = tf.sqrt(tf.sum(tf.square(tf.add(tf.sub(x, selectRows(x, neighbour as tf.Tensor1D)), eps)), 1));
  neighbour.dispose();
  return tf.neg(tf.mean(tf.log(tf.add(distance, eps)))) as tf.Scalar;
};
