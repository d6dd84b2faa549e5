/**
 * `mlp`: the feed-forward sub-layer of a ViT block, fc2(GELU(fc1(x))), as one
 * op with a hand-written gradient (2-D products only).
 *
 * With `@equissl/openblas`'s element-wise kernels on the active backend, the
 * GELU and its derivative are one native kernel each and the op keeps the
 * input, the pre-activation and the activation for the backward pass; with
 * the composed tfjs ops it also keeps Φ(pre-activation) (erf is the
 * costliest element-wise kernel on wasm). The gradient's products take
 * transpose flags where the products are OpenBLAS's and explicit transposes
 * elsewhere (see `dense.ts`).
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { type Forward, withGradient } from './custom-grad.js';
import { hasNativeProducts, matMulAt, matMulBt } from './dense.js';
import { geluDerivative, hasNativeGelu, nativeGelu, nativeGeluGrad, normalCdf } from './gelu.js';
import { sumRows } from './sum-rows.js';

/** How the hidden layer's GELU runs: its value, what its derivative needs saved, and dh from da. */
interface Activation {
  readonly a: tf.Tensor2D;
  readonly save: tf.Tensor2D[];
  readonly dh: (da: tf.Tensor2D, h: tf.Tensor2D, saved: tf.Tensor2D[]) => tf.Tensor2D;
}

const nativeActivation = (h: tf.Tensor2D): Activation => ({ a: nativeGelu(h), save: [], dh: (da, sh) => nativeGeluGrad(da, sh) });

const composedActivation = (h: tf.Tensor2D): Activation => {
  const cdf = normalCdf(h);
  return { a: tf.mul(h, cdf) as tf.Tensor2D, save: [cdf as tf.Tensor2D], dh: (da, sh, [scdf]) => tf.mul(da, geluDerivative(sh, scdf!)) as tf.Tensor2D };
};

const mlp2d = withGradient((x: tf.Tensor2D, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D): Forward<tf.Tensor2D> => {
  const h = tf.fused.matMul({ a: x, b: w1, bias: b1 }) as tf.Tensor2D;
  const act = (hasNativeGelu(h) ? nativeActivation : composedActivation)(h);
  return {
    value: tf.fused.matMul({ a: act.a, b: w2, bias: b2 }) as tf.Tensor2D,
    save: [x, h, act.a, w1, w2, ...act.save],
    backward: (dy, saved) => {
      const [sx, sh, sa, sw1, sw2, ...rest] = saved as tf.Tensor2D[];
      const flags = hasNativeProducts();
      const dh = act.dh(matMulBt(dy, sw2!, flags), sh!, rest);
      return [matMulBt(dh, sw1!, flags), matMulAt(sx!, dh, flags), sumRows(dh), matMulAt(sa!, dy, flags), sumRows(dy)];
    },
  };
});

/** fc2(GELU(fc1(x))) over the last axis of x (any rank ≥ 2); w1 `[D, H]`, w2 `[H, D]`. */
export const mlp = <T extends tf.Tensor>(x: T, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor): T => {
  const d = x.shape[x.rank - 1]!;
  const flat = tf.reshape(x, [-1, d]) as tf.Tensor2D;
  return tf.reshape(mlp2d(flat, w1 as tf.Tensor2D, b1 as tf.Tensor1D, w2 as tf.Tensor2D, b2 as tf.Tensor1D), x.shape) as T;
};
