/**
 * Optional native matrix products for the wasm backend: the `BatchMatMul` and
 * `_FusedMatMul` kernels of `@tensorflow/tfjs-backend-wasm` replaced by
 * OpenBLAS's `cblas_sgemm`, run by a small Node-API addon on the tensors'
 * memory inside the WebAssembly heap (read and written in place, no copies).
 * Nothing else changes: tensors, tapes, gradients and custom gradients are the
 * wasm backend's own; only those two kernels, and so every `tf.matMul`,
 * `tf.fused.matMul` and matMul-based gradient, run at OpenBLAS speed.
 *
 * The addon (`build/Release/equissl_openblas.node`) is built by the
 * package's install step where Debian's `libopenblas-dev` (or
 * `libopenblas-openmp-dev`) is installed; without it {@link loadOpenBlas} and
 * {@link installOpenBlasKernels} return a `Left` with a one-line reason and
 * the wasm kernels stay in use.
 *
 * What runs natively: float32 products with any transpose flags and any
 * batch broadcasting; for `_FusedMatMul` also a rank-1 bias (1 or N values)
 * and the activations linear, relu, relu6 and leakyrelu. Anything else
 * (another dtype, prelu / elu / sigmoid, another bias shape) goes to the
 * original wasm kernel, kept from before the override.
 *
 * Results equal the wasm kernels' up to float rounding (another summation
 * order), except where the wasm kernels are wrong: a bias of N values with a
 * transpose flag, a bias of one value, and batch broadcasting where neither
 * side's batch is 1 (e.g. `[2, 1, m, k] × [1, 3, k, n]`); these follow the
 * tfjs op semantics (the product, then `tf.add(·, bias)`).
 *
 * @since 0.1.0
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { type Addon, type KernelArgs, type NativeKernel, type WasmBackend, fallback } from './kernel-support.js';
import { otherNativeKernels } from './native-kernels.js';

export * from './kernel-support.js';

/** Where the addon is built, relative to this package's root. */
export const ADDON_PATH = 'build/Release/equissl_openblas.node';

const howToGet = 'apt-get install libopenblas-dev (or libopenblas-openmp-dev), then npm rebuild @equissl/openblas in your project (npm run build:native -w @equissl/openblas in a checkout of equissl)';

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;

let loaded: E.Either<string, Addon> | undefined;

/**
 * The native addon, or why it cannot be used here (one line, saying how to
 * get it). Loaded once; the answer is remembered. Where
 * `OPENBLAS_NUM_THREADS` is set, OpenBLAS gets that many threads whichever
 * build is installed (the OpenMP build alone reads only `OMP_NUM_THREADS`).
 */
export const loadOpenBlas = (): E.Either<string, Addon> => {
  if (loaded !== undefined) return loaded;
  try {
    // src/index.ts and dist/index.js both sit one folder below the package root
    const addon = createRequire(import.meta.url)(`../${ADDON_PATH}`) as Addon;
    // the OpenMP build of OpenBLAS (Debian's libopenblas0-openmp) reads only OMP_NUM_THREADS: honour OPENBLAS_NUM_THREADS too
    const threads = Number(process.env['OPENBLAS_NUM_THREADS']);
    if (Number.isInteger(threads) && threads >= 1) addon.setThreads(threads);
    loaded = E.right(addon);
  } catch (e) {
    const code = (e as { code?: string }).code;
    loaded = E.left(
      code === 'MODULE_NOT_FOUND'
        ? `the OpenBLAS addon is not built (${ADDON_PATH}): ${howToGet}`
        : `the OpenBLAS addon did not load (${firstLine(e)}): ${howToGet}`,
    );
  }
  return loaded;
};

/** tfjs's FusableActivation numbers of the activations the addon applies. */
const nativeActivations: Readonly<Record<string, number>> = { linear: 0, relu: 1, relu6: 2, leakyrelu: 4 };

const product = (xs: ReadonlyArray<number>): number => xs.reduce((p, x) => p * x, 1);

/**
 * `op(a) · op(b)` (+ bias, activation) into a new wasm tensor, for the shapes
 * the tfjs op accepts (rank ≥ 2, broadcast batch dimensions). Undefined when
 * the shapes do not match, so that the original kernel throws its own error.
 */
const matMul = (
  addon: Addon,
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: tf.TensorInfo | undefined,
  activation: number,
  alpha: number,
): tf.TensorInfo | undefined => {
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  let outer: number[];
  try {
    outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return undefined;
  }
  if (bias !== undefined && !(bias.shape.length === 1 && (bias.shape[0] === 1 || bias.shape[0] === n))) return undefined;
  const batch = product(outer);
  const batchA = product(outerA);
  const batchB = product(outerB);
  const out = backend.makeOutput([...outer, m, n], 'float32');
  // after makeOutput: allocating may have grown the memory, which replaces HEAPU8
  const heap = backend.wasm.HEAPU8;
  const at = (t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId).memoryOffset;
  const biasAt = bias === undefined ? -1 : at(bias);
  const biasSize = bias === undefined ? 0 : bias.shape[0]!;
  const gemm = (count: number, aOff: number, sa: number, bOff: number, sb: number, cOff: number) =>
    addon.gemm(heap, transposeA, transposeB, m, n, k, count, aOff, sa, bOff, sb, cOff, m * n, biasAt, biasSize, activation, alpha);
  if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
    // equal batches, or one side repeated over the other's (stride 0)
    gemm(batch, at(a), batchA === 1 ? 0 : m * k, at(b), batchB === 1 ? 0 : k * n, at(out));
  } else {
    // general broadcasting ([2, 1] against [1, 3]): one product per output batch
    const rank = outer.length;
    const padA = [...Array<number>(rank - outerA.length).fill(1), ...outerA];
    const padB = [...Array<number>(rank - outerB.length).fill(1), ...outerB];
    for (let i = 0; i < batch; i++) {
      let rest = i;
      let ia = 0;
      let ib = 0;
      let sa = 1;
      let sb = 1;
      for (let d = rank - 1; d >= 0; d--) {
        const idx = rest % outer[d]!;
        rest = Math.floor(rest / outer[d]!);
        if (padA[d] !== 1) ia += idx * sa;
        if (padB[d] !== 1) ib += idx * sb;
        sa *= padA[d]!;
        sb *= padB[d]!;
      }
      gemm(1, at(a) + 4 * ia * m * k, 0, at(b) + 4 * ib * k * n, 0, at(out) + 4 * i * m * n);
    }
  }
  return out;
};

/** Marks the kernel configs registered here. */
interface OpenBlasKernelConfig extends tf.KernelConfig {
  readonly equisslOpenBlas: true;
}

const isOurs = (config: tf.KernelConfig | undefined): boolean => (config as Partial<OpenBlasKernelConfig> | undefined)?.equisslOpenBlas === true;

/** The wasm kernels replaced, by name, kept for fallbacks and {@link uninstallOpenBlasKernels}. */
const originals = new Map<string, tf.KernelConfig>();

const productKernels: ReadonlyArray<NativeKernel> = [
  {
    kernelName: 'BatchMatMul',
    make: (addon, original) => (args: KernelArgs) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
      const orig = fallback('BatchMatMul', original);
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return orig(args);
      return matMul(addon, args.backend as WasmBackend, a, b, transposeA === true, transposeB === true, undefined, 0, 0) ?? orig(args);
    },
  },
  {
    kernelName: '_FusedMatMul',
    make: (addon, original) => (args: KernelArgs) => {
      const { a, b, bias, preluActivationWeights } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo; preluActivationWeights?: tf.TensorInfo };
      const { transposeA, transposeB, activation, leakyreluAlpha } = (args.attrs ?? {}) as {
        transposeA?: boolean;
        transposeB?: boolean;
        activation?: string;
        leakyreluAlpha?: number;
      };
      const orig = fallback('_FusedMatMul', original);
      const act = nativeActivations[activation ?? 'linear'];
      if (a.dtype !== 'float32' || b.dtype !== 'float32' || act === undefined || preluActivationWeights != null || (bias != null && bias.dtype !== 'float32')) return orig(args);
      return matMul(addon, args.backend as WasmBackend, a, b, transposeA === true, transposeB === true, bias ?? undefined, act, leakyreluAlpha || 0) ?? orig(args);
    },
  },
];

/** Every kernel the addon runs: the products, and the kernels of `native-kernels.ts`. */
const nativeKernels: ReadonlyArray<NativeKernel> = [...productKernels, ...otherNativeKernels];

/** The kernels the addon registers on the wasm backend (replacements and equissl's own). */
export const openBlasKernelNames: ReadonlyArray<string> = nativeKernels.map((k) => k.kernelName);

/** The wasm kernels the addon replaces, which must be registered before it installs. */
const replacedKernelNames = (): string[] => productKernels.map((k) => k.kernelName);

/** Options of {@link installOpenBlasKernels}. */
export interface OpenBlasOptions {
  /**
   * OpenBLAS's thread count for the process (default: leave it, i.e.
   * `OPENBLAS_NUM_THREADS`, else `OMP_NUM_THREADS`, else one per core). Use
   * 1 where data-parallel worker threads already use every core.
   */
  readonly threads?: number;
}

/**
 * Replaces the wasm backend's `BatchMatMul` and `_FusedMatMul` with the
 * OpenBLAS ones; idempotent, and safe before or after the backend is
 * initialised (call it after importing `@tensorflow/tfjs-backend-wasm`).
 * Right: OpenBLAS's thread count. Left: why not (the addon is not built, or
 * the wasm kernels are not registered), in one line; nothing changed then.
 */
export const installOpenBlasKernels = (options: OpenBlasOptions = {}): E.Either<string, { readonly threads: number }> => {
  const addon = loadOpenBlas();
  if (E.isLeft(addon)) return addon;
  const missing = replacedKernelNames().filter((name) => tf.getKernel(name, 'wasm') === undefined);
  if (missing.length > 0) return E.left(`the wasm backend's ${missing.join(' and ')} kernels are not registered: import @tensorflow/tfjs-backend-wasm first`);
  if (options.threads !== undefined) {
    if (!Number.isInteger(options.threads) || options.threads < 1) return E.left(`threads must be a positive integer, got ${options.threads}`);
    addon.right.setThreads(options.threads);
  }
  for (const kernel of nativeKernels) {
    const current = tf.getKernel(kernel.kernelName, 'wasm');
    if (isOurs(current)) continue;
    if (current !== undefined) {
      originals.set(kernel.kernelName, current);
      tf.unregisterKernel(kernel.kernelName, 'wasm');
    }
    const config: OpenBlasKernelConfig = {
      kernelName: kernel.kernelName,
      backendName: 'wasm',
      kernelFunc: kernel.make(addon.right, current?.kernelFunc),
      // the original's setup binds its wasm function, which the fallbacks call
      ...(current?.setupFunc === undefined ? {} : { setupFunc: current.setupFunc }),
      ...(current?.disposeFunc === undefined ? {} : { disposeFunc: current.disposeFunc }),
      equisslOpenBlas: true,
    };
    tf.registerKernel(config);
  }
  return E.right({ threads: addon.right.getThreads() });
};

/** Puts the original wasm kernels back (nothing happens where they are in place). */
export const uninstallOpenBlasKernels = (): void => {
  for (const name of openBlasKernelNames) {
    if (!isOurs(tf.getKernel(name, 'wasm'))) continue;
    tf.unregisterKernel(name, 'wasm');
    const original = originals.get(name);
    if (original !== undefined) tf.registerKernel(original);
    originals.delete(name);
  }
};

/** Whether the OpenBLAS kernels are the wasm backend's now. */
export const openBlasKernelsInstalled = (): boolean => openBlasKernelNames.every((name) => isOurs(tf.getKernel(name, 'wasm')));
