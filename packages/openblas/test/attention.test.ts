/**
 * The native attention kernels against the depthwise-convolution attention
 * of `@equissl/nn` they replace (its code with the kernels unregistered):
 * for the shapes the ViTs use, the forward output and probabilities and the
 * backward dQKV of the kernels, and `selfAttention`'s and `attention`'s values
 * and gradients with respect to every input, equal the composed path's up to
 * float rounding (max |Δ| ≤ 1e-5 · max |reference| per tensor), without
 * leaking tensors. Skipped, with the reason, where the addon is not built
 * (or predates these kernels) or the tests run on another backend.
 */
import { attention, attentionCore, attentionCoreBackward, hasNativeAttention, nativeAttention, nativeAttentionBackward, selfAttention } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { ATTENTION_GRAD_KERNEL, ATTENTION_KERNEL } from '../src/attention-kernels.js';
import { installOpenBlasKernels, uninstallOpenBlasKernels } from '../src/index.js';
import { describeOnWasm, expectClose, missingReason, normal, values, valuesWithoutLeaks, withoutKernels } from './helpers.js';

const missing = missingReason({ fn: 'attentionForward', family: 'attention' });

const kernelNames = [ATTENTION_KERNEL, ATTENTION_GRAD_KERNEL];

/** `f` with the attention kernels unregistered (the composed path), then with them back. */
const withoutAttentionKernels = <T>(f: () => T): T =>
  withoutKernels(kernelNames, () => {
    expect(hasNativeAttention()).toBe(false);
    return f();
  });

/** `f` (native kernels) equals `reference` (default `f`) with the kernels unregistered; neither leaks tensors. */
const same = (label: string, f: () => tf.Tensor | tf.Tensor[], reference: () => tf.Tensor | tf.Tensor[] = f): void => {
  const want = withoutAttentionKernels(() => valuesWithoutLeaks(`${label} (composed path)`, reference));
  expect(hasNativeAttention()).toBe(true);
  expectClose(valuesWithoutLeaks(`${label} (native path)`, f), want, label);
};

/** [B, T, D, heads]: the ViT's (reference step B = 64, also 32), a small ViT's, and tiny ones. */
const shapes: ReadonlyArray<readonly [number, number, number, number]> = [
  [32, 65, 192, 3],
  [64, 65, 192, 3],
  [8, 17, 32, 2],
  [2, 5, 8, 2],
  [3, 1, 4, 1],
];

/** The composed core (as `selfAttention`'s composed path splits, runs and merges it) on qkv `[B·T, 3D]`: o `[B·T, D]`, P `[B, H, T, T]`, and dQKV for dO. */
const composedCore = (qkv: tf.Tensor2D, dO: tf.Tensor2D, b: number, heads: number): tf.Tensor[] => {
  const [rows, cols] = qkv.shape;
  const t = rows / b;
  const d = cols / 3;
  const hd = d / heads;
  const scale = 1 / Math.sqrt(hd);
  const part = (i: number) => tf.reshape(tf.slice(qkv, [0, i * d], [rows, d]), [b, t, heads, hd]);
  const qTDC = tf.reshape(tf.transpose(part(0), [1, 3, 0, 2]), [t, hd, b * heads]) as tf.Tensor3D;
  const kDCT = tf.reshape(tf.transpose(part(1), [3, 0, 2, 1]), [hd, b * heads, t]) as tf.Tensor3D;
  const vTCD = tf.reshape(tf.transpose(part(2), [1, 0, 2, 3]), [t, b * heads, hd]) as tf.Tensor3D;
  const { o, p } = attentionCore(qTDC, kDCT, vTCD, scale);
  const merge = (x: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(x, [t, b, heads, hd]), [1, 0, 2, 3]), [b * t, d]);
  const dOTCD = tf.reshape(tf.transpose(tf.reshape(dO, [b, t, heads, hd]), [1, 0, 2, 3]), [t, b * heads, hd]) as tf.Tensor3D;
  const grads = attentionCoreBackward(dOTCD, qTDC, kDCT, vTCD, p, scale);
  return [merge(o), tf.reshape(tf.transpose(p, [1, 0, 2]), [b, heads, t, t]), tf.concat(grads.map(merge), 1)];
};

/** The native kernels on the same inputs. */
const nativeCore = (qkv: tf.Tensor2D, dO: tf.Tensor2D, b: number, heads: number): tf.Tensor[] => {
  const scale = 1 / Math.sqrt(qkv.shape[1] / 3 / heads);
  const { o, p } = nativeAttention(qkv, b, heads, scale);
  return [o, p, nativeAttentionBackward(dO, qkv, p, b, heads, scale)];
};

const coreInputs = (b: number, t: number, d: number) => [normal([b * t, 3 * d], 11) as tf.Tensor2D, normal([b * t, d], 12) as tf.Tensor2D] as const;

/** selfAttention's value and the gradients of Σ y ⊙ r with respect to x and every weight. */
const selfAttentionAndGrads = (b: number, t: number, d: number, heads: number) => (): tf.Tensor[] => {
  const inputs = [normal([b, t, d], 21), normal([d, 3 * d], 22, 0.1), normal([3 * d], 23, 0.1), normal([d, d], 24, 0.1), normal([d], 25, 0.1)];
  const r = normal([b, t, d], 26);
  const f = (x: tf.Tensor, wqkv: tf.Tensor, bqkv: tf.Tensor, wproj: tf.Tensor, bproj: tf.Tensor) => selfAttention(x as tf.Tensor3D, wqkv, bqkv, wproj, bproj, heads);
  return [f(...(inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])), ...tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...(xs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor])), r)))(inputs)];
};

describeOnWasm('the native attention kernels on the wasm backend', missing, () => {
  it('are registered with the products, and @equissl/nn sees them come and go', () => {
    expect(kernelNames.every((name) => tf.getKernel(name, 'wasm') !== undefined)).toBe(true);
    expect(hasNativeAttention()).toBe(true);
    uninstallOpenBlasKernels();
    expect(kernelNames.some((name) => tf.getKernel(name, 'wasm') !== undefined)).toBe(false);
    expect(hasNativeAttention()).toBe(false);
    expect(E.isRight(installOpenBlasKernels())).toBe(true);
    expect(hasNativeAttention()).toBe(true);
  });

  describe('the kernels: out, probs and dQKV equal the depthwise-convolution core', () => {
    it.each(shapes)('B %i, T %i, D %i, %i heads', (b, t, d, heads) => {
      same(
        `core ${b}×${t}×${d}/${heads}`,
        () => nativeCore(...coreInputs(b, t, d), b, heads),
        () => composedCore(...coreInputs(b, t, d), b, heads),
      );
    });

    it('probabilities sum to one per row, even for large scores (the row max is subtracted)', () => {
      const [p] = values(() => nativeAttention(tf.mul(normal([2 * 9, 3 * 8], 31), 300) as tf.Tensor2D, 2, 2, 1).p);
      for (let row = 0; row < p!.data.length / 9; row++) {
        const sum = p!.data.slice(row * 9, row * 9 + 9).reduce((s, x) => s + x, 0);
        expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
      }
      expect(p!.data.every(Number.isFinite)).toBe(true);
    });
  });

  describe('selfAttention: value and gradients with respect to x, wqkv, bqkv, wproj, bproj', () => {
    it.each(shapes)('B %i, T %i, D %i, %i heads', (b, t, d, heads) => {
      same(`selfAttention ${b}×${t}×${d}/${heads}`, selfAttentionAndGrads(b, t, d, heads));
    });
  });

  it('attention ([batch·heads, tokens, headDim] q, k, v): value and gradients', () => {
    same('attention', () => {
      const inputs = [normal([6, 17, 16], 41), normal([6, 17, 16], 42), normal([6, 17, 16], 43)];
      const r = normal([6, 17, 16], 44);
      const f = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D, 0.3);
      return [f(inputs[0]!, inputs[1]!, inputs[2]!), ...tf.grads((q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.sum(tf.mul(f(q, k, v), r)))(inputs)];
    });
  });

  it('inputs that do not fit the attrs throw, saying why', () => {
    const run = (qkv: tf.Tensor, attrs: { batch: number; heads: number; scale: number }) => () => tf.tidy(() => tf.engine().runKernel(ATTENTION_KERNEL, { qkv }, attrs));
    expect(run(tf.zeros([10, 24]), { batch: 3, heads: 2, scale: 1 })).toThrow(/rows are not 3 batches/);
    expect(run(tf.zeros([10, 24]), { batch: 2, heads: 3, scale: 1 })).toThrow(/columns are not q \| k \| v of 3 heads/);
    expect(run(tf.zeros([2, 5, 24]), { batch: 2, heads: 2, scale: 1 })).toThrow(/must be \[B·T, 3D\]/);
    expect(run(tf.zeros([10, 24], 'int32'), { batch: 2, heads: 2, scale: 1 })).toThrow(/does not take these inputs/);
    const grad = () =>
      tf.tidy(() => tf.engine().runKernel(ATTENTION_GRAD_KERNEL, { dy: tf.zeros([10, 4]), qkv: tf.zeros([10, 24]), probs: tf.zeros([2, 2, 5, 5]) }, { batch: 2, heads: 2, scale: 1 }));
    expect(grad).toThrow(/dy must be \[10, 8\]/);
  });
});
