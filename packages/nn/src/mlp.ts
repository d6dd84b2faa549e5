/**
 * `mlp`: the feed-forward sub-layer of a ViT block, fc2(GELU(fc1(x))), as one
 * op with a hand-written gradient (plain 2-D products only); it keeps the
 * input, the pre-activation, Φ(pre-activation) and the activation for the
 * backward pass (erf is the costliest element-wise kernel on wasm).
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';
import { sumRows } from './sum-rows.js';
import { geluDerivative, normalCdf } from './gelu.js';

const mlp2d = withGradient((x: tf.Tensor2D, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D) => {
  const h = tf.fused.matMul({ a: x, b: w1, bias: b1 });
  const cdf = normalCdf(h);
  const a = tf.mul(h, cdf) as tf.Tensor2D;
  return {
    value: tf.fused.matMul({ a, b: w2, bias: b2 }),
    save: [x, h, cdf, a, w1, w2],
    backward: (dy, saved) => {
      const [sx, sh, scdf, sa, sw1, sw2] = saved as tf.Tensor2D[];
      const da = tf.matMul(dy, tf.transpose(sw2!));
      const dh = tf.mul(da, geluDerivative(sh!, scdf!)) as tf.Tensor2D;
      return [tf.matMul(dh, tf.transpose(sw1!)), tf.matMul(tf.transpose(sx!), dh), sumRows(dh), tf.matMul(tf.transpose(sa!), dy), sumRows(dy)];
    },
  };
});

/** fc2(GELU(fc1(x))) over the last axis of x (any rank ≥ 2); w1 `[D, H]`, w2 `[H, D]`. */
export const mlp = <T extends tf.Tensor>(x: T, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor): T => {
  const d = x.shape[x.rank - 1]!;
  const flat = tf.reshape(x, [-1, d]) as tf.Tensor2D;
  return tf.reshape(mlp2d(flat, w1 as tf.Tensor2D, b1 as tf.Tensor1D, w2 as tf.Tensor2D, b2 as tf.Tensor1D), x.shape) as T;
};
