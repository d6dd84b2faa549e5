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

/** Φ(x), the standard normal CDF. */
export const normalCdf = (x: tf.Tensor): tf.Tensor => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, invSqrt2))));

/** d GELU / dx = Φ(x) + x·φ(x). */
export const geluDerivative = (x: tf.Tensor, cdf: tf.Tensor = normalCdf(x)): tf.Tensor =>
  tf.add(cdf, tf.mul(x, tf.mul(invSqrt2Pi, tf.exp(tf.mul(-0.5, tf.square(x))))));

/** Exact GELU, element-wise. */
export const gelu = withGradient((x: tf.Tensor) => {
  const cdf = normalCdf(x);
  return {
    value: tf.mul(x, cdf),
    save: [x, cdf],
    backward: (dy, [sx, scdf]) => [tf.mul(dy, geluDerivative(sx!, scdf!))],
  };
});
