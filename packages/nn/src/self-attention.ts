/**
 * `selfAttention`: the whole multi-head self-attention sub-layer of a ViT
 * block — qkv projection, split into heads, attention, merge, output
 * projection — as one op with a hand-written gradient.
 *
 * Fusing it keeps only six activations per block alive for the backward pass
 * (input, q, k, v, attention probabilities, merged heads) instead of every
 * intermediate reshape and transpose, and uses only fast wasm kernels:
 * plain 2-D products, rank-3/4 transposes, depthwise convolutions. The qkv
 * weight is `[D, 3D]` with columns (q | k | v), heads contiguous inside each,
 * as in timm.
 *
 * Where `@equissl/openblas` registers its attention kernels on the active
 * backend (wasm with the addon built, so the products are OpenBLAS's too),
 * the layer is three steps on plain matrices: one fused product for q | k | v
 * (`[B·T, 3D]`), the native attention core (which reads the heads straight
 * from that matrix and writes them merged, `[B·T, D]`), the output
 * projection. Its backward pass is the native core's gradient (one
 * `[B·T, 3D]` dQKV) between the dense layers' products, which take transpose
 * flags instead of explicit transposes (OpenBLAS runs them at full speed;
 * wasm's own kernels do not, hence the transposes of the other path).
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { attentionCore, attentionCoreBackward, hasNativeAttention, nativeAttention, nativeAttentionBackward } from './attention.js';
import { withGradient } from './custom-grad.js';
import { sumRows } from './sum-rows.js';

const cols = (w: tf.Tensor, i: number, d: number): tf.Tensor2D => tf.slice(w, [0, i * d], [w.shape[0]!, d]) as tf.Tensor2D;

/**
 * The native path: qkv = x·wqkv + bqkv, the native core on it, the output
 * projection; saves x, qkv, P, the merged heads and both weights.
 */
const nativeSelfAttentionWith = (heads: number) =>
  withGradient((x: tf.Tensor3D, wqkv: tf.Tensor2D, bqkv: tf.Tensor1D, wproj: tf.Tensor2D, bproj: tf.Tensor1D) => {
    const [b, t, d] = x.shape;
    const scale = 1 / Math.sqrt(d / heads);
    const x2 = tf.reshape(x, [b * t, d]) as tf.Tensor2D;
    const qkv = tf.fused.matMul({ a: x2, b: wqkv, bias: bqkv }) as tf.Tensor2D;
    const { o, p } = nativeAttention(qkv, b, heads, scale);
    return {
      value: tf.reshape(tf.fused.matMul({ a: o, b: wproj, bias: bproj }), [b, t, d]) as tf.Tensor3D,
      save: [x2, qkv, p, o, wqkv, wproj],
      backward: (dy, saved) => {
        const [sx, sqkv, sp, so, swqkv, swproj] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor4D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dY = tf.reshape(dy, [b * t, d]) as tf.Tensor2D;
        const dQkv = nativeAttentionBackward(tf.matMul(dY, swproj, false, true), sqkv, sp, b, heads, scale);
        const dX = tf.matMul(dQkv, swqkv, false, true);
        return [tf.reshape(dX, [b, t, d]), tf.matMul(sx, dQkv, true, false), sumRows(dQkv), tf.matMul(so, dY, true, false), sumRows(dY)];
      },
    };
  });

/** The composed path: depthwise-convolution attention between per-head transposes. */
const composedSelfAttentionWith = (heads: number) =>
  withGradient((x: tf.Tensor3D, wqkv: tf.Tensor2D, bqkv: tf.Tensor1D, wproj: tf.Tensor2D, bproj: tf.Tensor1D) => {
    const [b, t, d] = x.shape;
    const hd = d / heads;
    const scale = 1 / Math.sqrt(hd);
    const x2 = tf.reshape(x, [b * t, d]) as tf.Tensor2D;
    const project = (i: number) => tf.reshape(tf.fused.matMul({ a: x2, b: cols(wqkv, i, d), bias: tf.slice(bqkv, [i * d], [d]) }), [b, t, heads, hd]);
    const qTDC = tf.reshape(tf.transpose(project(0), [1, 3, 0, 2]), [t, hd, b * heads]) as tf.Tensor3D;
    const kDCT = tf.reshape(tf.transpose(project(1), [3, 0, 2, 1]), [hd, b * heads, t]) as tf.Tensor3D;
    const vTCD = tf.reshape(tf.transpose(project(2), [1, 0, 2, 3]), [t, b * heads, hd]) as tf.Tensor3D;
    const { o, p } = attentionCore(qTDC, kDCT, vTCD, scale);
    const merged = tf.reshape(tf.transpose(tf.reshape(o, [t, b, heads, hd]), [1, 0, 2, 3]), [b * t, d]) as tf.Tensor2D;
    return {
      value: tf.reshape(tf.fused.matMul({ a: merged, b: wproj, bias: bproj }), [b, t, d]) as tf.Tensor3D,
      save: [x2, qTDC, kDCT, vTCD, p, merged, wqkv, wproj],
      backward: (dy, saved) => {
        const [sx, sq, sk, sv, sp, sm, swqkv, swproj] = saved as [tf.Tensor2D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dY = tf.reshape(dy, [b * t, d]) as tf.Tensor2D;
        const dWproj = tf.matMul(tf.transpose(sm), dY);
        const dMerged = tf.matMul(dY, tf.transpose(swproj));
        const dO = tf.reshape(tf.transpose(tf.reshape(dMerged, [b, t, heads, hd]), [1, 0, 2, 3]), [t, b * heads, hd]) as tf.Tensor3D;
        // dQ, dK, dV in (t, c, d) = [T, B, H, hd] → [B·T, D]
        const flat = attentionCoreBackward(dO, sq, sk, sv, sp, scale).map(
          (g) => tf.reshape(tf.transpose(tf.reshape(g, [t, b, heads, hd]), [1, 0, 2, 3]), [b * t, d]) as tf.Tensor2D,
        );
        const xT = tf.transpose(sx);
        const dWqkv = tf.concat(flat.map((g) => tf.matMul(xT, g)), 1);
        const dBqkv = tf.concat(flat.map((g) => sumRows(g)), 0);
        const dX = tf.addN(flat.map((g, i) => tf.matMul(g, tf.transpose(cols(swqkv, i, d)))));
        return [tf.reshape(dX, [b, t, d]), dWqkv, dBqkv, dWproj, sumRows(dY)];
      },
    };
  });

type SelfAttentionOp = ReturnType<typeof composedSelfAttentionWith>;

const byHeads = { native: new Map<number, SelfAttentionOp>(), composed: new Map<number, SelfAttentionOp>() };

/** Multi-head self-attention with projections: x `[B, T, D]`, wqkv `[D, 3D]`, wproj `[D, D]`. */
export const selfAttention = (x: tf.Tensor3D, wqkv: tf.Tensor, bqkv: tf.Tensor, wproj: tf.Tensor, bproj: tf.Tensor, heads: number): tf.Tensor3D => {
  const native = hasNativeAttention();
  const ops = native ? byHeads.native : byHeads.composed;
  let op = ops.get(heads);
  if (op === undefined) {
    op = (native ? nativeSelfAttentionWith : composedSelfAttentionWith)(heads);
    ops.set(heads, op);
  }
  return op(x, wqkv as tf.Tensor2D, bqkv as tf.Tensor1D, wproj as tf.Tensor2D, bproj as tf.Tensor1D) as tf.Tensor3D;
};
