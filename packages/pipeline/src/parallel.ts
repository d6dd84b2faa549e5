/**
 * Data-parallel training on worker threads, one replica per core.
 *
 * The wasm backend runs on one thread, so a 2-core machine leaves a core
 * idle. Here every step's batch is split into equal shards, each replica
 * (`replica.ts`) computes its shard's views, forward and backward, the
 * replicas exchange pooled embeddings inside the tape (batch-level losses see
 * the whole batch, as in a single process) and sum their gradients in shared
 * memory, and every replica applies the same AdamW update (and the same EMA
 * teacher update; the loss state, computed from the whole batch, is the same
 * on every replica). The step itself is `step.ts`'s, run with the replicas'
 * collective (`replica.ts`). With `workers: N`
 * the numbers are deterministic for that N (each shard draws its
 * augmentations from `stepRng(seed, step).fork(rank)`), but differ from
 * `workers: 1`. Replicas rebuild the caller's registry from the modules its
 * plugins name (`module: import.meta.url`; the built-in packages name theirs);
 * when they cannot import one (a `.ts` plugin module without tsx), training
 * runs on this thread instead, as with `workers: 1`, after one line saying why.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, configError, nonFiniteLoss, pluginAddresses, pluginError, sayFallback, siblingModule, startWorkers } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type { PretrainConfig } from '@equissl/encoder';
import type { PretrainModel } from './model.js';
import type { FromReplica, ReplicaData, ToReplica } from './replica.js';
import type { StepMetrics } from './step.js';
import { type Trainer, type TrainerTensors, localTrainer } from './trainer.js';


const shards = (t: tf.Tensor4D, n: number): Float32Array[] => {
  const data = t.dataSync() as Float32Array;
  const per = data.length / n;
  return Array.from({ length: n }, (_, r) => data.slice(r * per, (r + 1) * per));
};

/** Combines the replicas' metrics: SSL terms are the same everywhere, reconstruction terms are averaged. */
const combine = (replies: ReadonlyArray<Extract<FromReplica, { type: 'metrics' }>>, weight: number): StepMetrics => {
  const first = replies[0]!;
  const terms: Record<string, number> = {};
  for (const key of Object.keys(first.terms)) {
    terms[key] = key.startsWith('rec') ? replies.reduce((s, r) => s + r.terms[key]!, 0) / replies.length : first.terms[key]!;
  }
  terms['total'] = terms['ssl']! + (terms['rec'] === undefined ? 0 : weight * terms['rec']);
  return { step: first.step, lr: first.lr, loss: terms['total']!, terms };
};

/**
 * The floats one replica may exchange in one gather: for each of its
 * `shardBatch` images and both views, the pooled token and every patch token
 * (both parts), a mask per patch, and θ.
 */
export const exchangeFloats = (model: PretrainModel, shardBatch: number): number => {
  const d = model.dInv + model.dEqui;
  const tokens = model.backbone.grid * model.backbone.grid;
  return shardBatch * (2 * d * (1 + tokens) + 2 * tokens + model.family.identity.length);
};

/** Starts `workers` replicas of `model`'s configuration (`model` stays in this thread for previews). */
export const parallelTrainer = async (
  registry: Registry,
  config: PretrainConfig,
  model: PretrainModel,
  imageShape: readonly [number, number, number],
  workers: number,
  backend: BackendPreference,
  batchSize: number = config.batchSize,
): Promise<E.Either<EquisslError, Trainer>> => {
  if (batchSize % workers !== 0) return E.left(configError('workers', `${workers} replicas cannot split a batch of ${batchSize} evenly; choose a batchSize that is a multiple of workers`));
  const shardBatch = batchSize / workers;
  const sync = new SharedArrayBuffer(4 * (2 + workers));
  const exchange = new SharedArrayBuffer(4 * workers * exchangeFloats(model, shardBatch));
  const grads = new SharedArrayBuffer(4 * workers * model.store.count());
  const url = siblingModule(import.meta.url, 'replica');
  const { addresses } = pluginAddresses(registry);
  const data = Array.from({ length: workers }, (_, rank): ReplicaData => ({ config, imageShape, rank, world: workers, backend, sync, exchange, grads, plugins: addresses }));
  const started = await startWorkers<ToReplica, FromReplica>(url, data, 'replica', addresses);
  if (E.isLeft(started)) {
    const { fallback } = started.left;
    if (fallback !== undefined) {
      sayFallback(fallback);
      return E.right(localTrainer(model, config));
    }
    return E.left(started.left.started ? configError('workers', started.left.message) : pluginError('backbone', 'replica', `a worker replica failed to start (${started.left.message})`));
  }
  const channels = started.right;
  const stopAll = async () => {
    await Promise.all(channels.map((c) => c.worker.terminate()));
  };
  // every replica holds the same loss state (its loss sees the whole gathered batch); replica 0's is kept
  let lossState: unknown = model.loss.initialState;
  let replicaTensors = 0;
  const runStep = async (messages: { m: ToReplica; transfer: ArrayBuffer[] }[]) => {
    const replies = (await Promise.all(channels.map((c, r) => c.request(messages[r]!.m, messages[r]!.transfer)))) as Extract<FromReplica, { type: 'metrics' }>[];
    const failure = replies.find((x) => (x as FromReplica).type === 'failed') as FromReplica | undefined;
    if (failure?.type === 'failed') throw new Error(failure.message);
    const bad = replies.find((x) => x.bad !== undefined && x.bad[0] !== '(another replica)') ?? replies.find((x) => x.bad !== undefined);
    if (bad?.bad !== undefined) return E.left(nonFiniteLoss(bad.bad[0], bad.step, bad.bad[1]));
    lossState = replies[0]!.lossState;
    replicaTensors = replies.reduce((n, x) => n + (x.numTensors ?? 0), 0);
    return E.right(combine(replies, model.reconstructionWeight));
  };
  const exportState = async (): Promise<TrainerTensors> => {
    const reply = await channels[0]!.request({ type: 'export' });
    if (reply.type !== 'state') throw new Error('replica 0 did not export its state');
    return new Map(reply.tensors.map(([n, shape, data]) => [n, { shape, data }]));
  };
  const trainer: Trainer = {
    workers,
    step: (images, step) => {
      const parts = shards(images, workers);
      const shape: [number, number, number, number] = [shardBatch, ...(images.shape.slice(1) as [number, number, number])];
      return runStep(parts.map((p) => ({ m: { type: 'step', step, images: p, shape }, transfer: [p.buffer as ArrayBuffer] })));
    },
    stepOnViews: (views, step) => {
      const all = [views.v1, views.u, views.v2, ...views.targets].map((t) => shards(t, workers));
      const shape: [number, number, number, number] = [shardBatch, ...(views.v1.shape.slice(1) as [number, number, number])];
      const per = shardBatch;
      const thetas = (r: number) => views.thetas.slice(r * per, (r + 1) * per).map((th) => [...th]);
      return runStep(channels.map((_, r) => ({ m: { type: 'views', step, tensors: all.map((s) => s[r]!), shape, thetas: thetas(r) }, transfer: all.map((s) => s[r]!.buffer as ArrayBuffer) })));
    },
    exportState,
    lossState: () => lossState,
    liveTensors: () => tf.memory().numTensors + replicaTensors,
    importState: async (tensors, step, file, state) => {
      const list = [...tensors].map(([n, a]) => [n, [...a.shape], Float32Array.from(a.data)] as [string, number[], Float32Array]);
      lossState = state ?? model.loss.initialState;
      const replies = await Promise.all(channels.map((c) => c.request({ type: 'import', tensors: list, step, file, lossState })));
      const error = replies.find((r) => r.type === 'imported' && r.error !== undefined);
      return error?.type === 'imported' && error.error !== undefined ? E.left({ _tag: 'DataError', file, message: error.error }) : E.right(undefined);
    },
    syncInto: async (target) => {
      const state = await exportState();
      target.store.load(state, '<replica 0>', 'param/');
    },
    dispose: async () => {
      for (const c of channels) c.worker.postMessage({ type: 'close' } satisfies ToReplica);
      await stopAll();
    },
  };
  return E.right(trainer);
};
