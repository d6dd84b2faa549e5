/**
 * Backend selection: `tensorflow` (libtensorflow through
 * `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node`, when installed and
 * loadable) → `wasm` (embedded, the default here) → `cpu` (pure JS).
 *
 * The optional native packages are imported dynamically, so their absence
 * never breaks install, tests or the CLI; the report says which backend is
 * active and why the ones before it were passed over.
 *
 * On wasm, the matrix products (`BatchMatMul`, `_FusedMatMul`) run through
 * OpenBLAS where `@equissl/openblas` has its addon built (Debian's
 * `libopenblas-dev` at install time): the same tensors, tapes and gradients,
 * the products 3–50× faster. `EQUISSL_OPENBLAS=0` keeps the wasm kernels (the
 * numbers of a machine without it); OpenBLAS runs one thread per process
 * unless `OPENBLAS_NUM_THREADS` says otherwise (data-parallel replicas
 * already use every core).
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { type BackendError, backendError } from './errors.js';

/** The backends equissl knows. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** A backend, or `auto` for the first that loads. */
export type BackendPreference = BackendName | 'auto';

export const backendNames: ReadonlyArray<BackendName> = ['tensorflow', 'wasm', 'cpu'];

/** The preference that selects a backend by its name (`tensorflow`, `wasm`, `cpu`; anything else is `auto`): how worker threads get the main thread's backend. */
export const backendPreference = (name: string = tf.getBackend()): BackendPreference => (name === 'tensorflow' || name === 'wasm' || name === 'cpu' ? name : 'auto');

/** What {@link selectBackend} did. */
export interface BackendReport {
  readonly name: BackendName;
  /** The tfjs backend name now active (`tensorflow`, `wasm`, `cpu`). */
  readonly tfBackend: string;
  /** Why this one: requested, or the first that loaded. */
  readonly reason: string;
  /** The backends tried before it and why each was passed over. */
  readonly skipped: ReadonlyArray<{ readonly name: BackendName; readonly reason: string }>;
  /** On wasm: the native products in use (`openblas (1 thread)`), or why the wasm kernels run them. */
  readonly products?: { readonly native: string } | { readonly wasm: string };
}

/** The environment variable that turns the OpenBLAS products off (`0`). */
export const OPENBLAS_ENV = 'EQUISSL_OPENBLAS';

/**
 * Puts the OpenBLAS products under the wasm backend where they are built and
 * not turned off; says which kernels run the products either way.
 */
const installNativeProducts = async (): Promise<{ native: string } | { wasm: string }> => {
  let blas: typeof import('@equissl/openblas');
  try {
    blas = await import('@equissl/openblas');
  } catch (e) {
    return { wasm: `@equissl/openblas is not installed (${message(e)})` };
  }
  if (process.env[OPENBLAS_ENV] === '0') {
    blas.uninstallOpenBlasKernels();
    return { wasm: `${OPENBLAS_ENV}=0` };
  }
  const threads = Number.parseInt(process.env['OPENBLAS_NUM_THREADS'] ?? '1', 10);
  const installed = blas.installOpenBlasKernels({ threads: Number.isInteger(threads) && threads > 0 ? threads : 1 });
  if (installed._tag === 'Left') return { wasm: installed.left };
  const n = installed.right.threads;
  return { native: `openblas (${n} thread${n === 1 ? '' : 's'})` };
};

/** The environment variable that overrides the backend (`wasm`, `cpu`, `tensorflow`, `auto`). */
export const BACKEND_ENV = 'EQUISSL_BACKEND';

const message = (e: unknown): string => (e instanceof Error ? e.message.split('\n')[0]! : String(e));

const importOptional = async (specifier: string): Promise<void> => {
  await import(/* @vite-ignore */ specifier);
};

const loaders: Record<BackendName, () => Promise<void>> = {
  tensorflow: async () => {
    try {
      await importOptional('@tensorflow/tfjs-node-gpu');
    } catch (gpu) {
      try {
        await importOptional('@tensorflow/tfjs-node');
      } catch (cpu) {
        throw new Error(
          `neither @tensorflow/tfjs-node-gpu (${message(gpu)}) nor @tensorflow/tfjs-node (${message(cpu)}) could be loaded; install one of them (needs internet for libtensorflow)`,
        );
      }
    }
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
  },
  cpu: async () => undefined,
};

/**
 * The wasm heap ran out: the message a wasm kernel throws past the 4 GB heap
 * ("memory access out of bounds", an abort for lack of memory), turned into
 * an error that says what to change; `undefined` for any other message.
 */
export const wasmHeapError = (message: string, what: string): BackendError | undefined =>
  /memory access out of bounds|out of memory|Cannot enlarge memory/i.test(message) || /\bOOM\b/.test(message)
    ? backendError('wasm', `${what}: ${message} (the 4 GB wasm heap is full); use fewer images or a smaller batch, or install @tensorflow/tfjs-node, which has no such limit`)
    : undefined;

/**
 * Replaces the wasm backend's Identity kernel (a full copy) with the
 * reference-counted one the cpu backend uses. The autodiff tape clones every
 * tensor it saves for the backward pass, so with the copying kernel a training
 * step holds each activation several times over (a ViT step at batch 128 runs
 * out of the 4 GB wasm heap). Safe because wasm kernels never write into
 * their inputs. Idempotent.
 */
export const installWasmKernelOverrides = (): void => {
  const existing = tf.getKernel('Identity', 'wasm');
  if (existing === undefined || (existing as { equisslZeroCopy?: boolean }).equisslZeroCopy === true) return;
  tf.unregisterKernel('Identity', 'wasm');
  const config = {
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend }: { inputs: { x?: tf.TensorInfo }; backend: unknown }) => {
      const x = inputs.x!;
      (backend as { incRef: (id: unknown) => void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
    equisslZeroCopy: true,
  };
  tf.registerKernel(config as unknown as tf.KernelConfig);
};

/** The last backend {@link selectBackend} activated in this thread. */
let active: BackendReport | undefined;

/**
 * The process's `uncaughtException` / `unhandledRejection` handlers as they
 * were before `run`, restored after it. The wasm backend's Emscripten module
 * adds handlers that rethrow, and Node then prints the rethrowing line —
 * the whole minified module, about 39 KB — above any later uncaught error.
 */
const keepingProcessHandlers = async <A>(run: () => Promise<A>): Promise<A> => {
  const events = ['uncaughtException', 'unhandledRejection'];
  const emitter: NodeJS.EventEmitter = process;
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    return await run();
  } finally {
    for (const e of events) for (const l of emitter.listeners(e)) if (!before.get(e)!.has(l)) emitter.off(e, l as (...args: unknown[]) => void);
  }
};

const activate = (name: BackendName): Promise<BackendReport['products']> =>
  keepingProcessHandlers(async () => {
    await loaders[name]();
    if (name === 'wasm') installWasmKernelOverrides();
    const products = name === 'wasm' ? await installNativeProducts() : undefined;
    const ok = await tf.setBackend(name);
    if (!ok) throw new Error(`tf.setBackend('${name}') returned false`);
    await tf.ready();
    return products;
  });

/** Reads a preference from `EQUISSL_BACKEND`, if set to a known value. */
export const preferenceFromEnv = (env: NodeJS.ProcessEnv = process.env): BackendPreference | undefined => {
  const v = env[BACKEND_ENV];
  return v === 'auto' || v === 'tensorflow' || v === 'wasm' || v === 'cpu' ? v : undefined;
};

/**
 * Activates a backend. With `auto` (the default, or `EQUISSL_BACKEND`) the
 * first of tensorflow → wasm → cpu that loads; a named backend that fails to
 * load is an error (nothing silently runs 50× slower than asked).
 */
export const selectBackend = (
  preference: BackendPreference = preferenceFromEnv() ?? 'auto',
): TE.TaskEither<BackendError, BackendReport> => async () => {
  const skipped: { name: BackendName; reason: string }[] = [];
  if (preference !== 'auto') {
    try {
      const products = await activate(preference);
      active = { name: preference, tfBackend: tf.getBackend(), reason: 'requested', skipped, ...(products ? { products } : {}) };
      return { _tag: 'Right', right: active };
    } catch (e) {
      return { _tag: 'Left', left: backendError(preference, `${message(e)}; choose another with --backend or ${BACKEND_ENV}`) };
    }
  }
  for (const name of backendNames) {
    try {
      const products = await activate(name);
      const reason = skipped.length === 0 ? 'first choice' : `first that loaded after ${skipped.map((s) => s.name).join(', ')}`;
      active = { name, tfBackend: tf.getBackend(), reason, skipped, ...(products ? { products } : {}) };
      return { _tag: 'Right', right: active };
    } catch (e) {
      skipped.push({ name, reason: message(e) });
    }
  }
  return { _tag: 'Left', left: backendError('auto', skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')) };
};

/** The backend and the kernels of its products: `wasm + openblas (1 thread)`, `wasm`, `cpu`. */
export const backendLabel = (r: BackendReport | undefined = active): string =>
  r === undefined ? tf.getBackend() : `${r.name}${r.products !== undefined && 'native' in r.products ? ` + ${r.products.native}` : ''}`;

/** One line for logs: `backend wasm + openblas (1 thread) (first that loaded after tensorflow: …)`. */
export const describeBackend = (r: BackendReport): string => {
  const why = r.products !== undefined && 'wasm' in r.products ? `; products on wasm: ${r.products.wasm}` : '';
  return `backend ${backendLabel(r)} (${r.reason}${r.skipped.length > 0 ? `; skipped ${r.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}` : ''}${why})`;
};
