/**
 * `gelu`: the exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)), as PyTorch's default,
 * with its analytic gradient Φ(x) + x·φ(x).
 *
 * Where `@equissl/openblas` registers its element-wise kernels on the active
 * backend (`EquisslGelu`, `EquisslGeluGrad`: wasm with the addon built), each
 * pass is one vectorised native kernel that keeps only x for the backward
 * pass; elsewhere (other backends, no addon, `EQUISSL_OPENBLAS=0`) the
 * composed tfjs ops below, which keep x and Φ(x). Both agree to float
 * rounding.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';
import { hasKernel } from './native.js';

const invSqrt2 = Math.SQRT1_2;
const invSqrt2Pi = 1 / Math.sqrt(2 * Math.PI);

/** The native kernels' names (`@equissl/openblas`'s elementwise-kernels). */
export const geluKernels = { forward: 'EquisslGelu', backward: 'EquisslGeluGrad' } as const;

/** Whether the native GELU kernels run on the active backend for `x`. */
export const hasNativeGelu = (x: tf.Tensor): boolean => x.dtype === 'float32' && hasKernel(geluKernels.forward) && hasKernel(geluKernels.backward);

/** x·Φ(x) by the native kernel. */
export const nativeGelu = <T extends tf.Tensor>(x: T): T => tf.engine().runKernel(geluKernels.forward, { x }) as T;

/** dy·(Φ(x) + x·φ(x)) by the native kernel. */
export const nativeGeluGrad = <T extends tf.Tensor>(dy: T, x: T): T => tf.engine().runKernel(geluKernels.backward, { dy, x }) as T;

/** Φ(x), the standard normal CDF. */
export const normalCdf = (x: tf.Tensor): tf.Tensor => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, invSqrt2))));

/** d GELU / dx = Φ(x) + x·φ(x). */
export const geluDerivative = (x: tf.Tensor, cdf: tf.Tensor = normalCdf(x)): tf.Tensor =>
  tf.add(cdf, tf.mul(x, tf.mul(invSqrt2Pi, tf.exp(tf.mul(-0.5, tf.square(x))))));

/** Exact GELU, element-wise. */
export const gelu = withGradient((x: tf.Tensor) => {
  if (hasNativeGelu(x)) return { value: nativeGelu(x), save: [x], backward: (dy, [sx]) => [nativeGeluGrad(dy, sx!)] };
  const cdf = normalCdf(x);
  return {
    value: tf.mul(x, cdf),
    save: [x, cdf],
    backward: (dy, [sx, scdf]) => [tf.mul(dy, geluDerivative(sx!, scdf!))],
  };
});
