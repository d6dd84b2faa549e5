/**
 * `gelu`: the exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)), as PyTorch's default,
 * with its analytic gradient Φ(x) + x·φ(x).
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';

const invSqrt2 = Math.SQRT1_2;
const invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);

/** Exact GELU, element-wise. */
export const gelu = withGradient((x: tf.Tensor) => {
  const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, invSqrt2))));
  return {
    value: tf.mul(x, cdf),
    save: [x, cdf],
    backward: (dy, [sx, scdf]) => {
      const pdf = tf.mul(invSqrt2Pi, tf.exp(tf.mul(-0.5, tf.square(sx!))));
      return [tf.mul(dy, tf.add(scdf!, tf.mul(sx!, pdf)))];
    },
  };
});
