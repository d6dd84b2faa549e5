/**
 * The benchmark step: the reference configuration of
 * `shared/bench/torch_reference.py` built from equissl's own packages —
 * ViT D=192, depth 6, 3 heads, patch 4, 32×32 images, batch B per view, VICReg
 * (SIE) on the invariant half of the cls token, K = 2 conv4 decoders (64
 * channels) on the equivariant halves, AdamW (lr 1e-4, weight decay 0.05) —
 * timed on fixed random views (no data loading or augmentation, as the
 * reference).
 *
 * A {@link BenchSession} keeps one trainer (and its worker replicas) alive, so
 * `equissl bench` can alternate timed repeats of this step with the PyTorch
 * reference's; mode `encode` times the forward-only encoder on the 2B images
 * instead (the reference's `enc` mode). {@link profileBench} runs a few steps
 * under `tf.profile` and sums the time per kernel.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, configError, pluginError, siblingModule, startWorkers } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { type PretrainModel, type StepViews, type Trainer, buildModel, localTrainer, parallelTrainer } from '@equissl/pipeline';
import { type PretrainConfig, decodePretrainConfig } from '@equissl/encoder';
import type { EncoderData, FromEncoder, ToEncoder } from './encoder-worker.js';

/** What is timed: the full training step, or the encoder's forward pass alone on the 2B images. */
export type BenchMode = 'train' | 'encode';

/** The sizes of the benchmark model (the reference's by default; smaller ones for tests). */
export interface BenchShape {
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly decoderChannels: number;
}

/** The reference model of torch_reference.py: D=192, depth 6, 3 heads, 64 decoder channels. */
export const referenceShape: BenchShape = { dim: 192, depth: 6, heads: 3, decoderChannels: 64 };

/** A tiny model of the same structure, for tests of the benchmark's machinery (never for timings). */
export const tinyShape: BenchShape = { dim: 32, depth: 1, heads: 2, decoderChannels: 16 };

/** The reference configuration as an equissl pretraining config. */
export const referenceConfig = (batch: number, shape: BenchShape = referenceShape) => ({
  steps: 1_000_000,
  batchSize: batch,
  backbone: { name: 'vit', imageSize: 32, patchSize: 4, dim: shape.dim, depth: shape.depth, heads: shape.heads, mlpRatio: 4 },
  equiFraction: 0.5,
  loss: { name: 'vicreg', variant: 'sie' },
  reconstruction: { weight: 1, k: 2, decoder: { name: 'conv4', channels: shape.decoderChannels } },
  optimizer: { lr: 1e-4, minLr: 1e-4, weightDecay: 0.05, warmupSteps: 0 },
});

/** Options of {@link openBenchSession}. */
export interface BenchSessionOptions {
  readonly mode: BenchMode;
  /** Images per view (each step handles 2B views). */
  readonly batch: number;
  /** Data-parallel replicas (1: this thread). */
  readonly workers: number;
  /** Backend for the replicas. */
  readonly backend: BackendPreference;
  readonly shape?: BenchShape;
}

/** Tensors and resident memory at one moment of a benchmark. */
export interface MemorySnapshot {
  /** `tf.memory().numTensors` of this (the main) thread. */
  readonly numTensors: number;
  /** The sum over the encoder workers (mode `encode` on several workers); train replicas do not report theirs. */
  readonly workerTensors?: number;
  /** `process.memoryUsage().rss`: the whole process, worker heaps included. */
  readonly rssBytes: number;
}

/** One long-lived benchmark subject: a trainer (or encoder) kept warm across repeats. */
export interface BenchSession {
  readonly mode: BenchMode;
  readonly description: string;
  readonly parameters: number;
  readonly workers: number;
  /** Views (images) per step: 2B. */
  readonly viewsPerStep: number;
  /** Runs `steps` untimed steps. */
  readonly warmup: (steps: number) => Promise<void>;
  /** Runs `steps` steps and returns the wall time per step in seconds. */
  readonly time: (steps: number) => Promise<number>;
  readonly memory: () => Promise<MemorySnapshot>;
  readonly dispose: () => Promise<void>;
}



const describe = (model: PretrainModel, o: BenchSessionOptions, shape: BenchShape): string => {
  const workers = `${o.workers} worker${o.workers > 1 ? 's' : ''}`;
  return o.mode === 'train'
    ? `${model.backboneDescription}, batch ${o.batch}/view, vicreg + K=2 conv4(${shape.decoderChannels}) decoders, AdamW, ${workers}`
    : `${model.backboneDescription}, encoder forward only on 2×${o.batch} images (no tape), ${workers}`;
};

const randomViews = (batch: number): StepViews => ({
  v1: tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 1),
  u: tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 2),
  v2: tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 3),
  targets: [tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 4), tf.randomUniform([batch, 32, 32, 3], 0, 1, 'float32', 5)],
  thetas: [],
});

const timeLoop = async (steps: number, step: () => Promise<void>): Promise<number> => {
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) await step();
  return (performance.now() - t0) / 1000 / steps;
};

const trainSession = async (registry: Registry, config: PretrainConfig, model: PretrainModel, o: BenchSessionOptions, shape: BenchShape): Promise<E.Either<EquisslError, BenchSession>> => {
  const trainer: E.Either<EquisslError, Trainer> = o.workers > 1 ? await parallelTrainer(registry, config, model, [32, 32, 3], o.workers, o.backend) : E.right(localTrainer(model, config));
  if (E.isLeft(trainer)) {
    model.dispose();
    return trainer;
  }
  const views = randomViews(o.batch);
  let i = 0;
  const step = async () => {
    const r = await trainer.right.stepOnViews(views, i++);
    if (E.isLeft(r)) throw new Error(r.left.message);
  };
  return E.right({
    mode: 'train',
    description: describe(model, o, shape),
    parameters: model.store.count(),
    workers: o.workers,
    viewsPerStep: 2 * o.batch,
    warmup: async (steps) => {
      for (let s = 0; s < steps; s++) await step();
    },
    time: (steps) => timeLoop(steps, step),
    memory: async () => ({ numTensors: tf.memory().numTensors, rssBytes: process.memoryUsage().rss }),
    dispose: async () => {
      tf.dispose([views.v1, views.u, views.v2, ...views.targets]);
      await trainer.right.dispose();
      model.dispose();
    },
  });
};

/** Encoder workers: each builds the model and encodes its share of the 2B images on every request. */
const encoderWorkers = async (config: PretrainConfig, o: BenchSessionOptions): Promise<E.Either<EquisslError, { step: () => Promise<void>; tensors: () => Promise<number>; close: () => Promise<void> }>> => {
  const url = siblingModule(import.meta.url, 'encoder-worker');
  const per = (2 * o.batch) / o.workers;
  const data = Array.from({ length: o.workers }, (_, rank): EncoderData => ({ config, backend: o.backend, images: per, seed: 11 + rank }));
  const started = await startWorkers<ToEncoder, FromEncoder>(url, data, 'encoder worker');
  if (E.isLeft(started)) return E.left(pluginError('backbone', 'bench-encoder', started.left.started ? started.left.message : `an encoder worker failed to start (${started.left.message})`));
  const workers = started.right;
  const close = async () => {
    await Promise.all(workers.map((w) => w.worker.terminate()));
  };
  const ask = async (m: { type: 'encode' } | { type: 'memory' }) => {
    const replies = await Promise.all(workers.map((w) => w.request(m)));
    const bad = replies.find((x) => x.type === 'failed');
    if (bad?.type === 'failed') throw new Error(bad.message);
    return replies.reduce((n, x) => n + (x.type === 'done' ? x.numTensors : 0), 0);
  };
  return E.right({
    step: async () => {
      await ask({ type: 'encode' });
    },
    tensors: () => ask({ type: 'memory' }),
    close: async () => {
      for (const w of workers) w.worker.postMessage({ type: 'close' } satisfies ToEncoder);
      await close();
    },
  });
};

const encodeSession = async (config: PretrainConfig, model: PretrainModel, o: BenchSessionOptions, shape: BenchShape): Promise<E.Either<EquisslError, BenchSession>> => {
  const base = { mode: 'encode' as const, description: describe(model, o, shape), parameters: model.store.count('encoder.'), workers: o.workers, viewsPerStep: 2 * o.batch };
  if (o.workers > 1) {
    const pool = await encoderWorkers(config, o);
    if (E.isLeft(pool)) {
      model.dispose();
      return pool;
    }
    const step = pool.right.step;
    return E.right({
      ...base,
      warmup: async (steps) => {
        for (let s = 0; s < steps; s++) await step();
      },
      time: (steps) => timeLoop(steps, step),
      memory: async () => ({ numTensors: tf.memory().numTensors, workerTensors: await pool.right.tensors(), rssBytes: process.memoryUsage().rss }),
      dispose: async () => {
        await pool.right.close();
        model.dispose();
      },
    });
  }
  const images = tf.randomUniform([2 * o.batch, 32, 32, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const step = async () => {
    tf.tidy(() => {
      model.backbone.forward(images);
    });
  };
  return E.right({
    ...base,
    warmup: async (steps) => {
      for (let s = 0; s < steps; s++) await step();
    },
    time: (steps) => timeLoop(steps, step),
    memory: async () => ({ numTensors: tf.memory().numTensors, rssBytes: process.memoryUsage().rss }),
    dispose: async () => {
      images.dispose();
      model.dispose();
    },
  });
};

const buildReference = (registry: Registry, batch: number, shape: BenchShape) =>
  pipe(
    E.Do,
    E.bind('config', () => decodePretrainConfig(referenceConfig(batch, shape))),
    E.bind('model', ({ config }) => buildModel(config, registry, [32, 32, 3])),
  );

/**
 * Builds the reference configuration and its trainer (mode `train`, on
 * `workers` replicas when above 1) or encoder (mode `encode`), kept alive
 * until `dispose`.
 */
export const openBenchSession = async (registry: Registry, o: BenchSessionOptions): Promise<E.Either<EquisslError, BenchSession>> => {
  const shape = o.shape ?? referenceShape;
  if ((o.mode === 'train' ? o.batch : 2 * o.batch) % o.workers !== 0)
    return E.left(configError('workers', `${o.workers} replicas cannot split ${o.mode === 'train' ? `a batch of ${o.batch}` : `${2 * o.batch} images`} evenly; choose a batch that is a multiple of workers`));
  const built = buildReference(registry, o.batch, shape);
  if (E.isLeft(built)) return built;
  const { config, model } = built.right;
  return o.mode === 'train' ? trainSession(registry, config, model, o, shape) : encodeSession(config, model, o, shape);
};

/** Options of {@link benchTrainStep}. */
export interface BenchOptions {
  readonly batch: number;
  readonly warmup: number;
  readonly steps: number;
  readonly repeats: number;
  /** Data-parallel replicas (1: this thread). */
  readonly workers: number;
  /** Backend for the replicas. */
  readonly backend: BackendPreference;
  readonly onRepeat?: (repeat: number, secondsPerStep: number) => void;
}

/** Measured throughput. */
export interface BenchResult {
  readonly description: string;
  readonly parameters: number;
  readonly secondsPerStep: ReadonlyArray<number>;
  /** Median views per second (2B views per step). */
  readonly viewsPerSecond: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Times the training step of the reference configuration (on `workers` replicas when above 1): `repeats` × `steps` after `warmup`. */
export const benchTrainStep = async (registry: Registry, o: BenchOptions): Promise<E.Either<EquisslError, BenchResult>> => {
  const session = await openBenchSession(registry, { mode: 'train', batch: o.batch, workers: o.workers, backend: o.backend });
  if (E.isLeft(session)) return session;
  const s = session.right;
  try {
    await s.warmup(o.warmup);
    const secondsPerStep: number[] = [];
    for (let r = 0; r < o.repeats; r++) {
      const sec = await s.time(o.steps);
      secondsPerStep.push(sec);
      o.onRepeat?.(r, sec);
    }
    return E.right({ description: s.description, parameters: s.parameters, secondsPerStep, viewsPerSecond: s.viewsPerStep / median(secondsPerStep) });
  } finally {
    await s.dispose();
  }
};

/** One row of a kernel profile. */
export interface KernelRow {
  readonly kernel: string;
  /** Calls over all profiled steps. */
  readonly calls: number;
  /** Milliseconds over all profiled steps. */
  readonly totalMs: number;
  /** Share of the profiled steps' wall time, in percent. */
  readonly percent: number;
}

/** What {@link profileBench} measured. */
export interface KernelProfile {
  readonly mode: BenchMode;
  readonly description: string;
  readonly parameters: number;
  readonly steps: number;
  /** Wall time of the profiled steps, in milliseconds. */
  readonly wallMs: number;
  /** Time inside backend kernels, in milliseconds (the sum of every kernel's total). */
  readonly kernelMs: number;
  /** Every kernel, the slowest first. */
  readonly rows: ReadonlyArray<KernelRow>;
  /** Memory after the warm-up and after the profiled steps. */
  readonly memory: { readonly afterWarmup: MemorySnapshot; readonly end: MemorySnapshot };
}

/**
 * Sums `tf.profile` records by kernel: only the backend's registered kernels
 * (`known`) count — a custom-gradient op is recorded too, but its time
 * already includes the kernels it ran, which are recorded on their own.
 * Sorted by total time, the slowest first (ties by name).
 */
export const kernelTable = (records: ReadonlyArray<{ readonly name: string; readonly kernelTimeMs: number | { error: string } }>, known: ReadonlySet<string>, wallMs: number): KernelRow[] => {
  const by = new Map<string, { calls: number; totalMs: number }>();
  for (const r of records) {
    if (!known.has(r.name)) continue;
    const ms = typeof r.kernelTimeMs === 'number' ? r.kernelTimeMs : 0;
    const row = by.get(r.name) ?? { calls: 0, totalMs: 0 };
    row.calls += 1;
    row.totalMs += ms;
    by.set(r.name, row);
  }
  return [...by]
    .map(([kernel, r]) => ({ kernel, calls: r.calls, totalMs: r.totalMs, percent: wallMs > 0 ? (100 * r.totalMs) / wallMs : 0 }))
    .sort((a, b) => b.totalMs - a.totalMs || a.kernel.localeCompare(b.kernel));
};

/** Options of {@link profileBench}. */
export interface ProfileOptions {
  readonly mode: BenchMode;
  readonly batch: number;
  readonly warmup: number;
  readonly steps: number;
  readonly shape?: BenchShape;
}

/**
 * Runs `steps` steps of the benchmark (after `warmup` untimed ones) under
 * `tf.profile`, in this thread on one worker (replicas' kernels are not
 * visible to this thread's profiler; each runs the same kernels on its
 * shard), and sums the time per kernel.
 */
export const profileBench = async (registry: Registry, o: ProfileOptions): Promise<E.Either<EquisslError, KernelProfile>> => {
  const session = await openBenchSession(registry, { mode: o.mode, batch: o.batch, workers: 1, backend: tf.getBackend() as BackendPreference, shape: o.shape });
  if (E.isLeft(session)) return session;
  const s = session.right;
  try {
    await s.warmup(o.warmup);
    const afterWarmup = await s.memory();
    const records: { name: string; kernelTimeMs: number | { error: string } }[] = [];
    let wallMs = 0;
    // one tf.profile per step: its peak-bytes summary spreads every record into Math.max
    for (let i = 0; i < o.steps; i++) {
      const t0 = performance.now();
      const info = await tf.profile(async () => {
        await s.warmup(1);
      });
      wallMs += performance.now() - t0;
      for (const k of info.kernels) records.push({ name: k.name, kernelTimeMs: await k.kernelTimeMs });
    }
    const known = new Set(tf.getKernelsForBackend(tf.getBackend()).map((k) => k.kernelName));
    const rows = kernelTable(records, known, wallMs);
    const end = await s.memory();
    return E.right({ mode: o.mode, description: s.description, parameters: s.parameters, steps: o.steps, wallMs, kernelMs: rows.reduce((n, r) => n + r.totalMs, 0), rows, memory: { afterWarmup, end } });
  } finally {
    await s.dispose();
  }
};
