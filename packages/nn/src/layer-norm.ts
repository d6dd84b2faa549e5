/**
 * `layerNorm` over the last axis, with the analytic gradient
 * (dx = r·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = dy·γ, r = 1/σ) in a handful of
 * element-wise kernels instead of the dozen the composed ops would record.
 *
 * Where `@equissl/openblas` registers its element-wise kernels on the active
 * backend (`EquisslLayerNorm`, `EquisslLayerNormGrad`: wasm with the addon
 * built), each pass is a single native kernel that handles one row at a time
 * (forward: y, x̂ and 1/σ; backward: dx, dγ and dβ); elsewhere (other
 * backends, no addon, `EQUISSL_OPENBLAS=0`) the composed tfjs ops. Both keep
 * x̂, 1/σ and γ for the backward pass and agree to float rounding.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { type Forward, withGradient } from './custom-grad.js';
import { hasKernel } from './native.js';
import { sumRows } from './sum-rows.js';

/** The native kernels' names (`@equissl/openblas`'s elementwise-kernels). */
export const layerNormKernels = { forward: 'EquisslLayerNorm', backward: 'EquisslLayerNormGrad' } as const;

/** Whether the native LayerNorm kernels run on the active backend for these inputs. */
export const hasNativeLayerNorm = (...ts: tf.Tensor[]): boolean =>
  ts.every((t) => t.dtype === 'float32') && hasKernel(layerNormKernels.forward) && hasKernel(layerNormKernels.backward);

/** The native forward pass: y, x̂ and 1/σ (`[N, 1]`). */
const nativeForward = (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): Forward<tf.Tensor2D> => {
  const [y, xhat, rstd] = tf.engine().runKernel(layerNormKernels.forward, { x, gamma, beta }, { epsilon: eps }) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  return {
    value: y,
    save: [xhat, rstd, gamma],
    backward: (dy, [sxhat, srstd, sgamma]) => tf.engine().runKernel(layerNormKernels.backward, { dy, xhat: sxhat!, rstd: srstd!, gamma: sgamma! }) as tf.Tensor[],
  };
};

/** The composed forward pass. */
const composedForward = (x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): Forward<tf.Tensor2D> => {
  const mu = tf.mean(x, 1, true);
  const xc = tf.sub(x, mu);
  const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), eps));
  const xhat = tf.mul(xc, rstd) as tf.Tensor2D;
  return {
    value: tf.add(tf.mul(xhat, gamma), beta) as tf.Tensor2D,
    save: [xhat, rstd, gamma],
    backward: (dy, [sxhat, srstd, sgamma]) => {
      const g = tf.mul(dy, sgamma!);
      const dx = tf.mul(srstd!, tf.sub(tf.sub(g, tf.mean(g, 1, true)), tf.mul(sxhat!, tf.mean(tf.mul(g, sxhat!), 1, true))));
      return [dx, sumRows(tf.mul(dy, sxhat!)), sumRows(dy)];
    },
  };
};

const layerNorm2d = (eps: number) =>
  withGradient((x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D) =>
    (gamma.rank === 1 && beta.rank === 1 && hasNativeLayerNorm(x, gamma, beta) ? nativeForward : composedForward)(x, gamma, beta, eps),
  );

const byEps = new Map<number, ReturnType<typeof layerNorm2d>>();

/** The ε every LayerNorm of equissl uses unless told otherwise. */
export const layerNormEps = 1e-6;

/** LayerNorm over the last axis of `x` (any rank), scale γ and shift β of that size. */
export const layerNorm = <T extends tf.Tensor>(x: T, gamma: tf.Tensor, beta: tf.Tensor, eps = layerNormEps): T => {
  let op = byEps.get(eps);
  if (op === undefined) {
    op = layerNorm2d(eps);
    byEps.set(eps, op);
  }
  const d = x.shape[x.rank - 1]!;
  const flat = x.rank === 2 ? (x as unknown as tf.Tensor2D) : (tf.reshape(x, [-1, d]) as tf.Tensor2D);
  const y = op(flat, gamma as tf.Tensor1D, beta as tf.Tensor1D);
  return (x.rank === 2 ? y : tf.reshape(y, x.shape)) as unknown as T;
};
