/**
 * The attention kernels: the core of a ViT's multi-head self-attention,
 * softmax(Q·Kᵀ·scale)·V for every (batch, head), and its gradient, run by the
 * addon (`native/attention.cc`) in place on the wasm heap.
 *
 * Why: on the wasm backend the core is a handful of small batched products
 * per layer (done as depthwise convolutions), with transposes between them
 * to split the heads and merge them again; together they take about a
 * quarter of a training step. Here the whole layer is one call on the
 * matrices the dense layers around it produce and read: the input is the
 * qkv projection `[B·T, 3D]` (columns q | k | v, heads contiguous inside
 * each), the output is already merged `[B·T, D]`, the gradient is one
 * `[B·T, 3D]` matrix laid out like qkv. `@equissl/nn`'s `selfAttention` and
 * `attention` call these kernels where they are registered.
 *
 * - `EquisslAttention`: inputs `{ qkv }`, attrs `{ batch, heads, scale }`;
 *   outputs `[out [B·T, D], probs [B, H, T, T]]` (the probabilities, kept
 *   for the backward pass).
 * - `EquisslAttentionGrad`: inputs `{ dy [B·T, D], qkv, probs }`, the same
 *   attrs; output dQKV `[B·T, 3D]` (the gradient with respect to qkv).
 *
 * float32 only; other inputs, or shapes that do not fit the attrs, throw.
 *
 * @since 0.1.0
 */
import type * as tf from '@tensorflow/tfjs';
import { type Addon, type KernelArgs, type NativeKernel, type WasmBackend, fallback } from './kernel-support.js';

/** The forward kernel's name. */
export const ATTENTION_KERNEL = 'EquisslAttention';
/** The backward kernel's name. */
export const ATTENTION_GRAD_KERNEL = 'EquisslAttentionGrad';

/** The attrs of both kernels. */
export interface AttentionAttrs {
  /** B: qkv has B·T rows. */
  readonly batch: number;
  /** H: D is a multiple of it. */
  readonly heads: number;
  /** Multiplies the scores Q·Kᵀ (usually 1/√(D/H)). */
  readonly scale: number;
}

/** The addon's attention functions (byte offsets into `heap`; see native/attention.cc). */
interface AttentionAddon {
  readonly attentionForward: (heap: Uint8Array, batch: number, tokens: number, heads: number, headDim: number, scale: number, qkv: number, out: number, probs: number) => void;
  readonly attentionBackward: (
    heap: Uint8Array,
    batch: number,
    tokens: number,
    heads: number,
    headDim: number,
    scale: number,
    dOut: number,
    qkv: number,
    probs: number,
    dQkv: number,
  ) => void;
}

/** B, T, H, hd and D of a qkv matrix under the attrs. */
interface Sizes {
  readonly batch: number;
  readonly tokens: number;
  readonly heads: number;
  readonly headDim: number;
  readonly d: number;
  readonly scale: number;
}

const shapeError = (kernel: string, why: string): Error => new Error(`${kernel}: ${why}`);

/** The addon's attention functions, or an error saying the addon predates them. */
const attentionAddon = (kernel: string, addon: Addon): AttentionAddon => {
  if (typeof addon['attentionForward'] !== 'function' || typeof addon['attentionBackward'] !== 'function')
    throw shapeError(kernel, 'the OpenBLAS addon has no attention functions; rebuild it (npm run build:native -w @equissl/openblas)');
  return addon as unknown as AttentionAddon;
};

/** The sizes of `qkv` `[B·T, 3D]` under the attrs, or an error saying what does not fit. */
const sizes = (kernel: string, qkv: tf.TensorInfo, attrs: AttentionAttrs): Sizes => {
  const { batch, heads, scale } = attrs;
  if (qkv.shape.length !== 2) throw shapeError(kernel, `qkv must be [B·T, 3D], got [${qkv.shape.join(', ')}]`);
  const [rows, cols] = qkv.shape as [number, number];
  if (!Number.isInteger(batch) || batch < 1 || rows % batch !== 0 || rows === 0) throw shapeError(kernel, `qkv's ${rows} rows are not ${batch} batches of tokens`);
  if (!Number.isInteger(heads) || heads < 1 || cols % (3 * heads) !== 0 || cols === 0) throw shapeError(kernel, `qkv's ${cols} columns are not q | k | v of ${heads} heads`);
  if (!Number.isFinite(scale)) throw shapeError(kernel, `scale must be finite, got ${scale}`);
  const d = cols / 3;
  return { batch, tokens: rows / batch, heads, headDim: d / heads, d, scale };
};

const expectShape = (kernel: string, name: string, t: tf.TensorInfo, shape: ReadonlyArray<number>): void => {
  if (t.shape.length !== shape.length || t.shape.some((n, i) => n !== shape[i])) throw shapeError(kernel, `${name} must be [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
};

/** Where a tensor's floats start in the heap (bytes). */
const offsetOf = (backend: WasmBackend, t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset;

/** The forward pass: merged output and probabilities. */
const forward = (addon: Addon, backend: WasmBackend, qkv: tf.TensorInfo, attrs: AttentionAttrs): tf.TensorInfo[] => {
  const n = sizes(ATTENTION_KERNEL, qkv, attrs);
  const native = attentionAddon(ATTENTION_KERNEL, addon);
  const out = backend.makeOutput([n.batch * n.tokens, n.d], 'float32');
  const probs = backend.makeOutput([n.batch, n.heads, n.tokens, n.tokens], 'float32');
  // after makeOutput: allocating may have grown the memory, which replaces HEAPU8
  const heap = backend.wasm.HEAPU8;
  native.attentionForward(heap, n.batch, n.tokens, n.heads, n.headDim, n.scale, offsetOf(backend, qkv), offsetOf(backend, out), offsetOf(backend, probs));
  return [out, probs];
};

/** The backward pass: dQKV from the output's gradient and the forward's qkv and probabilities. */
const backward = (addon: Addon, backend: WasmBackend, dy: tf.TensorInfo, qkv: tf.TensorInfo, probs: tf.TensorInfo, attrs: AttentionAttrs): tf.TensorInfo => {
  const n = sizes(ATTENTION_GRAD_KERNEL, qkv, attrs);
  expectShape(ATTENTION_GRAD_KERNEL, 'dy', dy, [n.batch * n.tokens, n.d]);
  expectShape(ATTENTION_GRAD_KERNEL, 'probs', probs, [n.batch, n.heads, n.tokens, n.tokens]);
  const native = attentionAddon(ATTENTION_GRAD_KERNEL, addon);
  const dQkv = backend.makeOutput([n.batch * n.tokens, 3 * n.d], 'float32');
  const heap = backend.wasm.HEAPU8;
  const at = (t: tf.TensorInfo) => offsetOf(backend, t);
  native.attentionBackward(heap, n.batch, n.tokens, n.heads, n.headDim, n.scale, at(dy), at(qkv), at(probs), at(dQkv));
  return dQkv;
};

const allFloat32 = (...ts: tf.TensorInfo[]): boolean => ts.every((t) => t.dtype === 'float32');

/** The attention kernels, for `native-kernels.ts`. */
export const attentionKernels: ReadonlyArray<NativeKernel> = [
  {
    kernelName: ATTENTION_KERNEL,
    make: (addon, original) => (args: KernelArgs) => {
      const { qkv } = args.inputs as { qkv: tf.TensorInfo };
      if (!allFloat32(qkv)) return fallback(ATTENTION_KERNEL, original)(args);
      return forward(addon, args.backend as WasmBackend, qkv, args.attrs as unknown as AttentionAttrs);
    },
  },
  {
    kernelName: ATTENTION_GRAD_KERNEL,
    make: (addon, original) => (args: KernelArgs) => {
      const { dy, qkv, probs } = args.inputs as { dy: tf.TensorInfo; qkv: tf.TensorInfo; probs: tf.TensorInfo };
      if (!allFloat32(dy, qkv, probs)) return fallback(ATTENTION_GRAD_KERNEL, original)(args);
      return backward(addon, args.backend as WasmBackend, dy, qkv, probs, args.attrs as unknown as AttentionAttrs);
    },
  },
];
