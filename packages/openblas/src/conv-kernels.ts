/**
 * The 3×3 convolution kernels of `@equissl/nn`'s `conv3x3` (stride 1, 'same'
 * zero padding, NHWC, float32), run by the addon as im2col + `cblas_sgemm` in
 * place on the wasm heap. They are equissl kernels of their own, with no wasm
 * kernel behind them: the wasm backend has no filter gradient of a
 * convolution at all, and `conv3x3` composes its three products from forward
 * convolutions and transposes on backends without these kernels.
 *
 * - `EquisslConv3x3` — inputs `x` `[N, H, W, Cin]`, `filter` `[3, 3, Cin, Cout]`,
 *   `bias` `[Cout]`; output `[N, H, W, Cout]`.
 * - `EquisslConv3x3BackpropInput` — inputs `dy` `[N, H, W, Cout]`, `filter`;
 *   output dx `[N, H, W, Cin]` (dy convolved with the filter flipped in space,
 *   its channels swapped).
 * - `EquisslConv3x3BackpropFilter` — inputs `x`, `dy`; outputs dw
 *   `[3, 3, Cin, Cout]` (im2col(x)ᵀ · dy as one product) and db `[Cout]`.
 *
 * And the ×2 nearest-neighbour upsampling between the decoders' convolutions
 * (`upsample2x` of `@equissl/nn`), whose gradient on wasm (a reshape and a
 * Sum over two inner axes) cost a tenth of a decoder's step once the
 * convolutions were native:
 *
 * - `EquisslUpsample2x` — input `x` `[N, H, W, C]`; output `[N, 2H, 2W, C]`.
 * - `EquisslUpsample2xGrad` — input `dy` `[N, 2H, 2W, C]`; output dx
 *   `[N, H, W, C]`, the sums of dy's 2×2 blocks.
 *
 * @since 0.1.0
 */
import type * as tf from '@tensorflow/tfjs';
import { type Addon, type KernelArgs, type NativeKernel, type WasmBackend, fallback } from './kernel-support.js';

/** The names under which the kernels are registered on the wasm backend. */
export const conv3x3KernelNames = {
  forward: 'EquisslConv3x3',
  backpropInput: 'EquisslConv3x3BackpropInput',
  backpropFilter: 'EquisslConv3x3BackpropFilter',
} as const;

/** The names of the upsampling kernels. */
export const upsample2xKernelNames = { forward: 'EquisslUpsample2x', backward: 'EquisslUpsample2xGrad' } as const;

/** The addon's convolution functions (native/conv.cc); offsets are byte offsets into `heap`, -1 for an absent bias. */
interface ConvAddon {
  readonly conv3x3: (heap: Uint8Array, n: number, h: number, w: number, cin: number, cout: number, x: number, filter: number, bias: number, y: number) => void;
  readonly conv3x3BackpropInput: (heap: Uint8Array, n: number, h: number, w: number, cin: number, cout: number, dy: number, filter: number, dx: number) => void;
  readonly conv3x3BackpropFilter: (heap: Uint8Array, n: number, h: number, w: number, cin: number, cout: number, x: number, dy: number, dw: number, db: number) => void;
  /** h, w: the small size (x's, dx's). */
  readonly upsample2x: (heap: Uint8Array, n: number, h: number, w: number, c: number, x: number, y: number) => void;
  readonly upsample2xGrad: (heap: Uint8Array, n: number, h: number, w: number, c: number, dy: number, dx: number) => void;
}

/** The convolution functions, or an error saying that the addon predates them. */
const convAddon = (addon: Addon): ConvAddon => {
  if (typeof addon['conv3x3'] !== 'function') throw new Error('the OpenBLAS addon has no conv3x3: rebuild it (npm run build:native -w @equissl/openblas)');
  return addon as unknown as ConvAddon;
};

/** N, H, W, Cin, Cout of one call. */
type Dims = readonly [number, number, number, number, number];

const positive = (sizes: ReadonlyArray<number>): boolean => sizes.every((s) => s >= 1);

const isFloat4D = (t: tf.TensorInfo | undefined): t is tf.TensorInfo => t !== undefined && t.dtype === 'float32' && t.shape.length === 4;

/** Whether `filter` is a float32 `[3, 3, cin, cout]` filter. */
const isFilter = (filter: tf.TensorInfo | undefined, cin: number, cout?: number): filter is tf.TensorInfo =>
  isFloat4D(filter) && filter.shape[0] === 3 && filter.shape[1] === 3 && filter.shape[2] === cin && (cout === undefined || filter.shape[3] === cout);

/** The sizes of `x` `[N, H, W, Cin]` against a `[3, 3, Cin, Cout]` filter, or undefined when they do not fit. */
const dims = (x: tf.TensorInfo | undefined, filter: tf.TensorInfo | undefined): Dims | undefined => {
  if (!isFloat4D(x) || !positive(x.shape)) return undefined;
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  return isFilter(filter, cin) && positive([filter.shape[3]!]) ? [n, h, w, cin, filter.shape[3]!] : undefined;
};

/** Memory offsets of tensors on the wasm heap. */
const offsetOf =
  (backend: WasmBackend) =>
  (t: tf.TensorInfo): number =>
    backend.dataIdMap.get(t.dataId).memoryOffset;

/** `EquisslConv3x3`: y = conv(x, filter) + bias. */
const forward =
  (addon: Addon, original: tf.KernelFunc | undefined): tf.KernelFunc =>
  (args: KernelArgs) => {
    const { x, filter, bias } = args.inputs as { x?: tf.TensorInfo; filter?: tf.TensorInfo; bias?: tf.TensorInfo };
    const d = dims(x, filter);
    if (d === undefined || bias === undefined || bias.dtype !== 'float32' || bias.shape.length !== 1 || bias.shape[0] !== d[4]) return fallback(conv3x3KernelNames.forward, original)(args);
    const backend = args.backend as WasmBackend;
    const y = backend.makeOutput([d[0], d[1], d[2], d[4]], 'float32');
    const at = offsetOf(backend);
    // HEAPU8 after makeOutput: allocating may have grown the memory, which replaces the buffer
    convAddon(addon).conv3x3(backend.wasm.HEAPU8, ...d, at(x!), at(filter!), at(bias), at(y));
    return y;
  };

/** `EquisslConv3x3BackpropInput`: dx from dy and the filter. */
const backpropInput =
  (addon: Addon, original: tf.KernelFunc | undefined): tf.KernelFunc =>
  (args: KernelArgs) => {
    const { dy, filter } = args.inputs as { dy?: tf.TensorInfo; filter?: tf.TensorInfo };
    const fits = isFloat4D(dy) && isFilter(filter, filter?.shape[2] ?? 0, dy.shape[3]) && positive([...dy.shape, filter.shape[2]!]);
    if (!fits) return fallback(conv3x3KernelNames.backpropInput, original)(args);
    const [n, h, w, cout] = dy.shape as [number, number, number, number];
    const cin = filter.shape[2]!;
    const backend = args.backend as WasmBackend;
    const dx = backend.makeOutput([n, h, w, cin], 'float32');
    const at = offsetOf(backend);
    convAddon(addon).conv3x3BackpropInput(backend.wasm.HEAPU8, n, h, w, cin, cout, at(dy), at(filter), at(dx));
    return dx;
  };

/** `EquisslConv3x3BackpropFilter`: dw and db from x and dy. */
const backpropFilter =
  (addon: Addon, original: tf.KernelFunc | undefined): tf.KernelFunc =>
  (args: KernelArgs) => {
    const { x, dy } = args.inputs as { x?: tf.TensorInfo; dy?: tf.TensorInfo };
    const fits = isFloat4D(x) && isFloat4D(dy) && x.shape.slice(0, 3).every((s, i) => s === dy.shape[i]) && positive([...x.shape, dy.shape[3]!]);
    if (!fits) return fallback(conv3x3KernelNames.backpropFilter, original)(args);
    const [n, h, w, cin] = x.shape as [number, number, number, number];
    const cout = dy.shape[3]!;
    const backend = args.backend as WasmBackend;
    const dw = backend.makeOutput([3, 3, cin, cout], 'float32');
    const db = backend.makeOutput([cout], 'float32');
    const at = offsetOf(backend);
    convAddon(addon).conv3x3BackpropFilter(backend.wasm.HEAPU8, n, h, w, cin, cout, at(x), at(dy), at(dw), at(db));
    return [dw, db];
  };

/** `EquisslUpsample2x`: every pixel of x repeated in a 2×2 block. */
const upsample =
  (addon: Addon, original: tf.KernelFunc | undefined): tf.KernelFunc =>
  (args: KernelArgs) => {
    const { x } = args.inputs as { x?: tf.TensorInfo };
    if (!isFloat4D(x) || !positive(x.shape)) return fallback(upsample2xKernelNames.forward, original)(args);
    const [n, h, w, c] = x.shape as [number, number, number, number];
    const backend = args.backend as WasmBackend;
    const y = backend.makeOutput([n, 2 * h, 2 * w, c], 'float32');
    const at = offsetOf(backend);
    convAddon(addon).upsample2x(backend.wasm.HEAPU8, n, h, w, c, at(x), at(y));
    return y;
  };

/** `EquisslUpsample2xGrad`: the sums of dy's 2×2 blocks. */
const upsampleGrad =
  (addon: Addon, original: tf.KernelFunc | undefined): tf.KernelFunc =>
  (args: KernelArgs) => {
    const { dy } = args.inputs as { dy?: tf.TensorInfo };
    if (!isFloat4D(dy) || !positive(dy.shape) || dy.shape[1]! % 2 !== 0 || dy.shape[2]! % 2 !== 0) return fallback(upsample2xKernelNames.backward, original)(args);
    const [n, h2, w2, c] = dy.shape as [number, number, number, number];
    const backend = args.backend as WasmBackend;
    const dx = backend.makeOutput([n, h2 / 2, w2 / 2, c], 'float32');
    const at = offsetOf(backend);
    convAddon(addon).upsample2xGrad(backend.wasm.HEAPU8, n, h2 / 2, w2 / 2, c, at(dy), at(dx));
    return dx;
  };

/** The convolution and upsampling kernels, for `installOpenBlasKernels`. */
export const convKernels: ReadonlyArray<NativeKernel> = [
  { kernelName: conv3x3KernelNames.forward, make: forward },
  { kernelName: conv3x3KernelNames.backpropInput, make: backpropInput },
  { kernelName: conv3x3KernelNames.backpropFilter, make: backpropFilter },
  { kernelName: upsample2xKernelNames.forward, make: upsample },
  { kernelName: upsample2xKernelNames.backward, make: upsampleGrad },
];
