/**
 * `attention`: softmax(q·kᵀ·scale)·v over `[batch·heads, tokens, headDim]`.
 *
 * On wasm a batched (3-D) matMul runs at under 2 GFLOP/s, while a depthwise
 * convolution (XNNPACK) does the same arithmetic about 4× faster, so every
 * batched product here is a depthwise convolution ({@link batchedMatMul}).
 * The gradient is written out (dV = Pᵀ·dO, dP = dO·Vᵀ,
 * dS = P ⊙ (dP − Σⱼ dP ⊙ P), dQ = dS·K·scale, dK = dSᵀ·Q·scale) in the same
 * form, so no slow kernel runs in the backward pass either.
 *
 * Layouts: with c = (batch, head), the core works on q as `(t, d, c)`, k as
 * `(d, c, t)`, v as `(t, c, d)` and returns o as `(t, c, d)`;
 * {@link attentionCore} and {@link attentionCoreBackward} are shared with the
 * fused self-attention layer (`self-attention.ts`).
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';

/**
 * `out[m, c, n] = Σₖ a[m, k, c]·b[k, c, n]` — a batched matrix product over c,
 * computed as one depthwise convolution (input `[1, M, K, C]`, filter
 * `[1, K, C, N]`, 'valid' padding).
 */
export const batchedMatMul = (aMKC: tf.Tensor3D, bKCN: tf.Tensor3D): tf.Tensor3D => {
  const [m, k, c] = aMKC.shape;
  const n = bKCN.shape[2];
  const out = tf.depthwiseConv2d(tf.reshape(aMKC, [1, m, k, c]) as tf.Tensor4D, tf.reshape(bKCN, [1, k, c, n]) as tf.Tensor4D, 1, 'valid');
  return tf.reshape(out, [m, c, n]);
};

/** Transposes a rank-3 tensor. */
export const transpose3 = (x: tf.Tensor, perm: number[]): tf.Tensor3D => tf.transpose(x, perm) as tf.Tensor3D;

/** Forward core: returns o `(t, c, d)` and the probabilities P `(i, c, j)`. */
export const attentionCore = (qTDC: tf.Tensor3D, kDCT: tf.Tensor3D, vTCD: tf.Tensor3D, scale: number): { o: tf.Tensor3D; p: tf.Tensor3D } => {
  const p = tf.softmax(tf.mul(batchedMatMul(qTDC, kDCT), scale)) as tf.Tensor3D;
  return { o: batchedMatMul(transpose3(p, [0, 2, 1]), vTCD), p };
};

/** Backward core: from dO `(t, c, d)` to dQ, dK, dV, each `(t, c, d)` (scale applied). */
export const attentionCoreBackward = (
  dO: tf.Tensor3D,
  qTDC: tf.Tensor3D,
  kDCT: tf.Tensor3D,
  vTCD: tf.Tensor3D,
  p: tf.Tensor3D,
  scale: number,
): [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D] => {
  const dP = batchedMatMul(transpose3(dO, [0, 2, 1]), transpose3(vTCD, [2, 1, 0]));
  const dS = tf.mul(tf.mul(p, tf.sub(dP, tf.sum(tf.mul(dP, p), -1, true))), scale) as tf.Tensor3D;
  const dQ = batchedMatMul(transpose3(dS, [0, 2, 1]), transpose3(kDCT, [2, 1, 0]));
  const dK = batchedMatMul(transpose3(dS, [2, 0, 1]), transpose3(qTDC, [0, 2, 1]));
  const dV = batchedMatMul(transpose3(p, [2, 0, 1]), dO);
  return [dQ, dK, dV];
};

const attentionWith = (scale: number) =>
  withGradient((q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D) => {
    // q, k, v: [C, T, d]
    const qTDC = transpose3(q, [1, 2, 0]);
    const kDCT = transpose3(k, [2, 0, 1]);
    const vTCD = transpose3(v, [1, 0, 2]);
    const { o, p } = attentionCore(qTDC, kDCT, vTCD, scale);
    return {
      value: transpose3(o, [1, 0, 2]),
      save: [qTDC, kDCT, vTCD, p],
      backward: (dO, [sq, sk, sv, sp]) => {
        const grads = attentionCoreBackward(transpose3(dO, [1, 0, 2]), sq as tf.Tensor3D, sk as tf.Tensor3D, sv as tf.Tensor3D, sp as tf.Tensor3D, scale);
        return grads.map((g) => transpose3(g, [1, 0, 2]));
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
