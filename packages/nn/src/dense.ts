/**
 * `dense`: y = x·W + b with a gradient made of fast kernels only.
 *
 * tfjs's built-in matMul gradient uses the transposed-operand kernels, which
 * run 10–30× slower than a plain product on wasm; there both weight and input
 * gradients transpose explicitly and then multiply plainly. Where the
 * products are `@equissl/openblas`'s (wasm with the addon built), which run
 * transposed operands as fast as plain ones, the gradients take transpose
 * flags instead and the explicit transposes (a tenth of a training step)
 * disappear. Inputs of any rank are flattened to 2-D first (the built-in
 * gradient of a 3-D × 2-D product is wrong in tfjs).
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';
import { sumRows } from './sum-rows.js';

/**
 * Whether the active backend's matrix products are `@equissl/openblas`'s
 * (its kernel configs carry `equisslOpenBlas`): transposed operands then cost
 * no more than plain ones. Asked at every call, so installing or removing
 * the kernels takes effect at once.
 */
export const hasNativeProducts = (): boolean =>
  (tf.getKernel('BatchMatMul', tf.getBackend()) as (tf.KernelConfig & { equisslOpenBlas?: boolean }) | undefined)?.equisslOpenBlas === true;

/** a·bᵀ: a transpose flag on native products, else an explicit transpose and a plain product. */
export const matMulBt = (a: tf.Tensor, b: tf.Tensor, flags = hasNativeProducts()): tf.Tensor2D =>
  (flags ? tf.matMul(a, b, false, true) : tf.matMul(a, tf.transpose(b))) as tf.Tensor2D;

/** aᵀ·b: a transpose flag on native products, else an explicit transpose and a plain product. */
export const matMulAt = (a: tf.Tensor, b: tf.Tensor, flags = hasNativeProducts()): tf.Tensor2D =>
  (flags ? tf.matMul(a, b, true, false) : tf.matMul(tf.transpose(a), b)) as tf.Tensor2D;

const dense2d = withGradient((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => ({
  value: tf.fused.matMul({ a: x, b: w, bias: b }),
  save: [x, w],
  backward: (dy, [sx, sw]) => {
    const flags = hasNativeProducts();
    return [matMulBt(dy, sw!, flags), matMulAt(sx!, dy, flags), sumRows(dy)];
  },
}));

/** Applies `x·W + b` over the last axis of `x` (any rank ≥ 2); W is `[in, out]`. */
export const dense = <T extends tf.Tensor>(x: T, w: tf.Tensor, b: tf.Tensor): T => {
  const inDim = w.shape[0]!;
  const outDim = w.shape[1]!;
  if (x.rank === 2) return dense2d(x as unknown as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D) as unknown as T;
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
  return tf.reshape(dense2d(flat, w as tf.Tensor2D, b as tf.Tensor1D), [...lead, outDim]) as T;
};
