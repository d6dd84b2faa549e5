/**
 * What every native kernel module shares: the addon's functions, the parts of
 * the wasm backend a kernel reads (the heap, tensor offsets, outputs), and
 * the shape of a kernel the addon registers.
 *
 * @since 0.1.0
 */
import type * as tf from '@tensorflow/tfjs';

/** The native addon's functions. Offsets are byte offsets into `heap`; strides count floats. */
export interface Addon {
  /** Further functions of the addon, declared by the kernel modules that call them. */
  readonly [fn: string]: unknown;
  /**
   * For every `i < batch`: `C_i = act(op(A_i) · op(B_i) + bias)`, with
   * `A_i` at byte `a + 4·i·strideA` of `heap` (stride 0 repeats one matrix),
   * `op(A_i)` m×k, `op(B_i)` k×n, `C_i` m×n, all row-major. `bias` is a byte
   * offset (or -1 for none) to `biasSize` floats (1 or n) added to each row;
   * `activation` is tfjs's FusableActivation number: 0 linear, 1 relu,
   * 2 relu6, 4 leakyrelu with slope `alpha`. Throws a RangeError when an
   * operand does not lie inside `heap`.
   */
  readonly gemm: (
    heap: Uint8Array,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    batch: number,
    a: number,
    strideA: number,
    b: number,
    strideB: number,
    c: number,
    strideC: number,
    bias: number,
    biasSize: number,
    activation: number,
    alpha: number,
  ) => void;
  /** The number of threads OpenBLAS uses (initially `OPENBLAS_NUM_THREADS`, else `OMP_NUM_THREADS`, else one per core). */
  readonly getThreads: () => number;
  /** Sets OpenBLAS's thread count for the whole process and returns the count now in use. */
  readonly setThreads: (threads: number) => number;
}

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use (the same fields its own kernels read). */
export interface WasmBackend {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

export type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * A kernel the addon runs on the wasm backend: the replacement of one of the
 * backend's kernels (`original` is that kernel, for what the addon does not
 * handle), or a kernel of equissl's own (`Equissl…`, no original; `@equissl/nn`
 * calls it where it is registered and composes tfjs ops elsewhere).
 */
export interface NativeKernel {
  readonly kernelName: string;
  readonly make: (addon: Addon, original: tf.KernelFunc | undefined) => tf.KernelFunc;
}

/** The original kernel, or an error saying which kernel has none (an equissl kernel called with inputs it does not take). */
export const fallback = (name: string, original: tf.KernelFunc | undefined): tf.KernelFunc =>
  original ??
  (() => {
    throw new Error(`${name}: the native kernel does not take these inputs and there is no wasm kernel to fall back to`);
  });

