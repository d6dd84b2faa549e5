/**
 * `attention`: softmax(q·kᵀ·scale)·v over `[batch·heads, tokens, headDim]`,
 * with a gradient that uses plain (non-transposed) batched products only:
 * dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − Σ(dP ⊙ P)), dQ = dS·K·scale,
 * dK = dSᵀ·Q·scale.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';

const t3 = (x: tf.Tensor): tf.Tensor3D => tf.transpose(x, [0, 2, 1]) as tf.Tensor3D;

const attentionWith = (scale: number) =>
  withGradient((q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D) => {
    const p = tf.softmax(tf.matMul(tf.mul(q, scale), t3(k))) as tf.Tensor3D;
    return {
      value: tf.matMul(p, v) as tf.Tensor3D,
      save: [q, k, v, p],
      backward: (dO, [sq, sk, sv, sp]) => {
        const dV = tf.matMul(t3(sp!), dO);
        const dP = tf.matMul(dO, t3(sv!));
        const dS = tf.mul(sp!, tf.sub(dP, tf.sum(tf.mul(dP, sp!), -1, true)));
        return [tf.mul(tf.matMul(dS, sk!), scale), tf.mul(tf.matMul(t3(dS), sq!), scale), dV];
      },
    };
  });

const byScale = new Map<number, ReturnType<typeof attentionWith>>();

/** Scaled dot-product attention; q, k, v are `[batch·heads, tokens, headDim]`. */
export const attention = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, scale = 1 / Math.sqrt(q.shape[2])): tf.Tensor3D => {
  let op = byScale.get(scale);
  if (op === undefined) {
    op = attentionWith(scale);
    byScale.set(scale, op);
  }
  return op(q, k, v) as tf.Tensor3D;
};
