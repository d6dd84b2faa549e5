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
 * Where `@equissl/openblas` registers its attention kernels on the active
 * backend (wasm with the addon built), the whole core runs natively instead:
 * {@link nativeAttention} and {@link nativeAttentionBackward} take q, k and v
 * side by side as one `[B·T, 3D]` matrix (the qkv projection's output) and
 * return the heads merged, `[B·T, D]`, so neither the depthwise convolutions
 * nor the transposes around them run. Elsewhere (other backends, no addon,
 * `EQUISSL_OPENBLAS=0`) the formulation above.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';
import { hasKernel } from './native.js';

/** The native kernels' names (`@equissl/openblas`'s attention-kernels). */
export const attentionKernels = { forward: 'EquisslAttention', backward: 'EquisslAttentionGrad' } as const;

/** Whether the native attention kernels run on the active backend. */
export const hasNativeAttention = (): boolean => hasKernel(attentionKernels.forward) && hasKernel(attentionKernels.backward);

/**
 * The native forward core on `qkv` `[B·T, 3D]` (columns q | k | v, heads
 * contiguous inside each): o `[B·T, D]` (heads merged) and the
 * probabilities P `[B, H, T, T]`.
 */
export const nativeAttention = (qkv: tf.Tensor2D, batch: number, heads: number, scale: number): { o: tf.Tensor2D; p: tf.Tensor4D } => {
  const [o, p] = tf.engine().runKernel(attentionKernels.forward, { qkv }, { batch, heads, scale }) as [tf.Tensor2D, tf.Tensor4D];
  return { o, p };
};

/** The native backward core: dQKV `[B·T, 3D]` (laid out as qkv) from dO `[B·T, D]`, qkv and P. */
export const nativeAttentionBackward = (dO: tf.Tensor2D, qkv: tf.Tensor2D, p: tf.Tensor4D, batch: number, heads: number, scale: number): tf.Tensor2D =>
  tf.engine().runKernel(attentionKernels.backward, { dy: dO, qkv, probs: p }, { batch, heads, scale }) as tf.Tensor2D;

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

/**
 * The native path: q, k, v `[C, T, d]` side by side as one `[C·T, 3d]`
 * matrix, each of the C slices a batch of one head.
 */
const nativeAttentionWith = (scale: number) =>
  withGradient((q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D) => {
    const [c, t, d] = q.shape;
    const qkv = tf.reshape(tf.concat([q, k, v], 2), [c * t, 3 * d]) as tf.Tensor2D;
    const { o, p } = nativeAttention(qkv, c, 1, scale);
    return {
      value: tf.reshape(o, [c, t, d]) as tf.Tensor3D,
      save: [qkv, p],
      backward: (dO, [sqkv, sp]) => {
        const dQkv = nativeAttentionBackward(tf.reshape(dO, [c * t, d]) as tf.Tensor2D, sqkv as tf.Tensor2D, sp as tf.Tensor4D, c, 1, scale);
        return tf.split(tf.reshape(dQkv, [c, t, 3 * d]), 3, 2);
      },
    };
  });

/** The depthwise-convolution path. */
const composedAttentionWith = (scale: number) =>
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

type AttentionOp = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D) => tf.Tensor3D;

const byScale = { native: new Map<number, AttentionOp>(), composed: new Map<number, AttentionOp>() };

/** Scaled dot-product attention; q, k, v are `[batch·heads, tokens, headDim]`. */
export const attention = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, scale = 1 / Math.sqrt(q.shape[2])): tf.Tensor3D => {
  const native = hasNativeAttention();
  const ops = native ? byScale.native : byScale.composed;
  let op = ops.get(scale);
  if (op === undefined) {
    op = (native ? nativeAttentionWith : composedAttentionWith)(scale);
    ops.set(scale, op);
  }
  return op(q, k, v);
};
