/**
 * The element-wise kernels: the wasm backend's `Exp` and `Erf` replaced by
 * vectorised native ones, and equissl's own kernels for the exact GELU and
 * LayerNorm over the last axis with their gradients, run by the addon
 * (`native/elementwise.cc`) in place on the wasm heap.
 *
 * Why: the wasm kernels evaluate exp and erf one scalar libm call at a time,
 * and a GELU or LayerNorm composed of tfjs ops is a dozen such kernels, each
 * a pass over memory (with OpenBLAS products, Exp and Erf alone were 12 % of
 * a ViT training step, Multiply 4 %). The native loops use the CPU's widest
 * vectors (AVX-512, AVX2 + FMA, or SSE2, picked at load time) and make one
 * pass where the composed ops make many. `@equissl/nn`'s `gelu`, `mlp` and
 * `layerNorm` call the equissl kernels where they are registered.
 *
 * - `Exp`, `Erf`: float32 inputs of any shape run natively; other dtypes go
 *   to the wasm kernels they replace.
 * - `EquisslGelu`: inputs `{ x }`; output x·Φ(x), Φ(x) = ½(1 + erf(x/√2)).
 * - `EquisslGeluGrad`: inputs `{ dy, x }` (same shape); output
 *   dy·(Φ(x) + x·φ(x)).
 * - `EquisslLayerNorm`: inputs `{ x, gamma, beta }` (x of rank ≥ 1, γ and β
 *   of x's last size), attrs `{ epsilon }`; outputs `[y, xhat, rstd]`: y and
 *   x̂ shaped as x, rstd = 1/√(var + ε) shaped as x with a last size of 1.
 * - `EquisslLayerNormGrad`: inputs `{ dy, xhat, rstd, gamma }` (as the
 *   forward's); outputs `[dx, dgamma, dbeta]`.
 *
 * The equissl kernels take float32 only; other dtypes, or shapes that do
 * not fit, throw. Results agree with the composed tfjs ops to float
 * rounding (exp within 1 ulp, erf within 1.3 ulp of the exact values).
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { type Addon, type KernelArgs, type NativeKernel, type WasmBackend, fallback } from './kernel-support.js';

/** The GELU kernel's name. */
export const GELU_KERNEL = 'EquisslGelu';
/** The GELU gradient kernel's name. */
export const GELU_GRAD_KERNEL = 'EquisslGeluGrad';
/** The LayerNorm kernel's name. */
export const LAYER_NORM_KERNEL = 'EquisslLayerNorm';
/** The LayerNorm gradient kernel's name. */
export const LAYER_NORM_GRAD_KERNEL = 'EquisslLayerNormGrad';

/** The attrs of `EquisslLayerNorm`. */
export interface LayerNormAttrs {
  /** Added to the variance before the square root. */
  readonly epsilon: number;
}

/** The addon's element-wise functions (byte offsets into `heap`; see native/elementwise.cc). */
interface ElementwiseAddon {
  readonly exp: (heap: Uint8Array, x: number, y: number, n: number) => void;
  readonly erf: (heap: Uint8Array, x: number, y: number, n: number) => void;
  readonly gelu: (heap: Uint8Array, x: number, y: number, n: number) => void;
  readonly geluGrad: (heap: Uint8Array, dy: number, x: number, dx: number, n: number) => void;
  readonly layerNorm: (heap: Uint8Array, x: number, gamma: number, beta: number, y: number, xhat: number, rstd: number, rows: number, d: number, eps: number) => void;
  readonly layerNormGrad: (
    heap: Uint8Array,
    dy: number,
    xhat: number,
    rstd: number,
    gamma: number,
    dx: number,
    dgamma: number,
    dbeta: number,
    rows: number,
    d: number,
  ) => void;
}

type UnaryFn = 'exp' | 'erf' | 'gelu';

const kernelError = (kernel: string, why: string): Error => new Error(`${kernel}: ${why}`);

/** The addon's element-wise functions, or an error saying the addon predates them. */
const elementwiseAddon = (kernel: string, addon: Addon): ElementwiseAddon => {
  const fns = ['exp', 'erf', 'gelu', 'geluGrad', 'layerNorm', 'layerNormGrad'];
  if (fns.some((f) => typeof addon[f] !== 'function'))
    throw kernelError(kernel, 'the OpenBLAS addon has no element-wise functions; rebuild it (npm run build:native -w @equissl/openblas)');
  return addon as unknown as ElementwiseAddon;
};

/** Where a tensor's floats start in the heap (bytes). */
const offsetOf = (backend: WasmBackend, t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset;

const sizeOf = (t: tf.TensorInfo): number => tf.util.sizeFromShape(t.shape);

const allFloat32 = (...ts: tf.TensorInfo[]): boolean => ts.every((t) => t.dtype === 'float32');

const sameShape = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((n, i) => n === b[i]);

const expectShape = (kernel: string, name: string, t: tf.TensorInfo, shape: ReadonlyArray<number>): void => {
  if (!sameShape(t.shape, shape)) throw kernelError(kernel, `${name} must be [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
};

/** `fn` of the addon over every element of `x`, into a new tensor of x's shape. */
const unary = (addon: ElementwiseAddon, fn: UnaryFn, backend: WasmBackend, x: tf.TensorInfo): tf.TensorInfo => {
  const out = backend.makeOutput([...x.shape], 'float32');
  const n = sizeOf(x);
  // after makeOutput: allocating may have grown the memory, which replaces HEAPU8
  if (n > 0) addon[fn](backend.wasm.HEAPU8, offsetOf(backend, x), offsetOf(backend, out), n);
  return out;
};

/** A replacement of the wasm kernel `name` (float32 natively, other dtypes to the original). */
const replacement = (name: string, fn: UnaryFn): NativeKernel => ({
  kernelName: name,
  make: (addon, original) => (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!allFloat32(x)) return fallback(name, original)(args);
    return unary(elementwiseAddon(name, addon), fn, args.backend as WasmBackend, x);
  },
});

const gelu: NativeKernel = {
  kernelName: GELU_KERNEL,
  make: (addon, original) => (args: KernelArgs) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!allFloat32(x)) return fallback(GELU_KERNEL, original)(args);
    return unary(elementwiseAddon(GELU_KERNEL, addon), 'gelu', args.backend as WasmBackend, x);
  },
};

const geluGradOf = (addon: ElementwiseAddon, backend: WasmBackend, dy: tf.TensorInfo, x: tf.TensorInfo): tf.TensorInfo => {
  expectShape(GELU_GRAD_KERNEL, 'dy', dy, x.shape);
  const dx = backend.makeOutput([...x.shape], 'float32');
  const n = sizeOf(x);
  const at = (t: tf.TensorInfo) => offsetOf(backend, t);
  if (n > 0) addon.geluGrad(backend.wasm.HEAPU8, at(dy), at(x), at(dx), n);
  return dx;
};

const geluGrad: NativeKernel = {
  kernelName: GELU_GRAD_KERNEL,
  make: (addon, original) => (args: KernelArgs) => {
    const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    if (!allFloat32(dy, x)) return fallback(GELU_GRAD_KERNEL, original)(args);
    return geluGradOf(elementwiseAddon(GELU_GRAD_KERNEL, addon), args.backend as WasmBackend, dy, x);
  },
};

/** Rows and row length of x viewed as `[rows, d]` over its last axis. */
const rowsOf = (kernel: string, x: tf.TensorInfo): { rows: number; d: number } => {
  if (x.shape.length < 1) throw kernelError(kernel, 'x must have at least one axis');
  const d = x.shape[x.shape.length - 1]!;
  return { rows: d === 0 ? 0 : sizeOf(x) / d, d };
};

/** x's shape with a last size of 1 (rstd's). */
const rowShape = (x: tf.TensorInfo): number[] => [...x.shape.slice(0, -1), 1];

const layerNormOf = (addon: ElementwiseAddon, backend: WasmBackend, x: tf.TensorInfo, gamma: tf.TensorInfo, beta: tf.TensorInfo, eps: number): tf.TensorInfo[] => {
  const { rows, d } = rowsOf(LAYER_NORM_KERNEL, x);
  expectShape(LAYER_NORM_KERNEL, 'gamma', gamma, [d]);
  expectShape(LAYER_NORM_KERNEL, 'beta', beta, [d]);
  if (!Number.isFinite(eps) || eps < 0) throw kernelError(LAYER_NORM_KERNEL, `epsilon must be finite and ≥ 0, got ${eps}`);
  const y = backend.makeOutput([...x.shape], 'float32');
  const xhat = backend.makeOutput([...x.shape], 'float32');
  const rstd = backend.makeOutput(rowShape(x), 'float32');
  const at = (t: tf.TensorInfo) => offsetOf(backend, t);
  if (rows > 0) addon.layerNorm(backend.wasm.HEAPU8, at(x), at(gamma), at(beta), at(y), at(xhat), at(rstd), rows, d, eps);
  return [y, xhat, rstd];
};

const layerNorm: NativeKernel = {
  kernelName: LAYER_NORM_KERNEL,
  make: (addon, original) => (args: KernelArgs) => {
    const { x, gamma, beta } = args.inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
    if (!allFloat32(x, gamma, beta)) return fallback(LAYER_NORM_KERNEL, original)(args);
    const { epsilon } = (args.attrs ?? {}) as Partial<LayerNormAttrs>;
    return layerNormOf(elementwiseAddon(LAYER_NORM_KERNEL, addon), args.backend as WasmBackend, x, gamma, beta, Number(epsilon));
  },
};

const layerNormGradOf = (addon: ElementwiseAddon, backend: WasmBackend, dy: tf.TensorInfo, xhat: tf.TensorInfo, rstd: tf.TensorInfo, gamma: tf.TensorInfo): tf.TensorInfo[] => {
  const { rows, d } = rowsOf(LAYER_NORM_GRAD_KERNEL, xhat);
  expectShape(LAYER_NORM_GRAD_KERNEL, 'dy', dy, xhat.shape);
  expectShape(LAYER_NORM_GRAD_KERNEL, 'rstd', rstd, rowShape(xhat));
  expectShape(LAYER_NORM_GRAD_KERNEL, 'gamma', gamma, [d]);
  const dx = backend.makeOutput([...xhat.shape], 'float32');
  const dgamma = backend.makeOutput([d], 'float32');
  const dbeta = backend.makeOutput([d], 'float32');
  const at = (t: tf.TensorInfo) => offsetOf(backend, t);
  // with no rows the native call still writes the (zero) column sums
  if (d > 0) addon.layerNormGrad(backend.wasm.HEAPU8, at(dy), at(xhat), at(rstd), at(gamma), at(dx), at(dgamma), at(dbeta), rows, d);
  return [dx, dgamma, dbeta];
};

const layerNormGrad: NativeKernel = {
  kernelName: LAYER_NORM_GRAD_KERNEL,
  make: (addon, original) => (args: KernelArgs) => {
    const { dy, xhat, rstd, gamma } = args.inputs as { dy: tf.TensorInfo; xhat: tf.TensorInfo; rstd: tf.TensorInfo; gamma: tf.TensorInfo };
    if (!allFloat32(dy, xhat, rstd, gamma)) return fallback(LAYER_NORM_GRAD_KERNEL, original)(args);
    return layerNormGradOf(elementwiseAddon(LAYER_NORM_GRAD_KERNEL, addon), args.backend as WasmBackend, dy, xhat, rstd, gamma);
  },
};

/** The element-wise kernels, for `native-kernels.ts`. */
export const elementwiseKernels: ReadonlyArray<NativeKernel> = [replacement('Exp', 'exp'), replacement('Erf', 'erf'), gelu, geluGrad, layerNorm, layerNormGrad];
