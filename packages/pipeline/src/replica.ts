/**
 * The worker-thread side of data-parallel training (see `parallel.ts`): one
 * full replica of the model and optimizer, trained on its shard of every
 * batch. Inside the gradient tape it exchanges pooled embeddings with the
 * other replicas (so batch-level losses such as VICReg see the whole batch),
 * and after it the gradients are summed over replicas in shared memory, so
 * every replica applies the same AdamW update and stays identical.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type PluginAddress, type UnloadableModule, firstLine, rebuildRegistry, selectBackend } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { parentPort, workerData } from 'node:worker_threads';
import { pretrainOptimizer } from './adamw.js';
import { barrier } from './barrier.js';
import type { PretrainConfig } from '@equissl/encoder';
import { type PretrainModel, buildModel } from './model.js';
import { type Collective, type GatherParts, type StepViews, stepOnViews, stepRng, trainStep, viewTensors } from './step.js';
import { loadStateArrays, stateArrays } from './trainer.js';

/** What the main thread gives each replica. */
export interface ReplicaData {
  readonly config: PretrainConfig;
  readonly imageShape: readonly [number, number, number];
  readonly rank: number;
  readonly world: number;
  readonly backend: BackendPreference;
  readonly sync: SharedArrayBuffer;
  /** The exchange area of {@link Collective.gather}: `world` slots of `exchangeFloats` floats. */
  readonly exchange: SharedArrayBuffer;
  readonly grads: SharedArrayBuffer;
  /** Where the caller's plugins live (their `module` URLs), imported and registered here. */
  readonly plugins: ReadonlyArray<PluginAddress>;
}

/**
 * The replicas' collective over shared memory: `gather` writes this shard's
 * tensors into its slot, waits for all, and concatenates the slots in rank
 * order (its own rows stay on the tape); `allReduce` sums the gradients in
 * rank order, so every replica applies the same update. The loss's own
 * parameters (`loss.…`) see the whole gathered batch on every replica, so
 * their summed gradient is divided by the number of replicas.
 */
const replicaCollective = (d: ReplicaData, model: PretrainModel): Collective => {
  const sync = new Int32Array(d.sync);
  const exchange = new Float32Array(d.exchange);
  const grads = new Float32Array(d.grads);
  const entries = model.store.entries();
  const total = model.store.count();
  const slot = exchange.length / d.world;
  return {
    world: d.world,
    gather: <P extends GatherParts<P>>(given: P): P => {
      const parts = Object.fromEntries(Object.entries(given as Record<string, tf.Tensor | undefined>).filter((e): e is [string, tf.Tensor] => e[1] !== undefined));
      const names = Object.keys(parts).sort();
      const size = names.reduce((n, k) => n + parts[k]!.size, 0);
      if (size > slot) throw new Error(`replica exchange: ${size} floats do not fit the ${slot} reserved per replica (${names.join(', ')})`);
      let at = d.rank * slot;
      for (const k of names) {
        exchange.set(parts[k]!.dataSync() as Float32Array, at);
        at += parts[k]!.size;
      }
      barrier(sync, d.world);
      const whole: Record<string, tf.Tensor> = {};
      let offset = 0;
      for (const k of names) {
        const own = parts[k]!;
        whole[k] = tf.concat(
          Array.from({ length: d.world }, (_, r) => (r === d.rank ? own : tf.tensor(exchange.slice(r * slot + offset, r * slot + offset + own.size), own.shape))),
        );
        offset += own.size;
      }
      barrier(sync, d.world); // nobody overwrites the exchange area before all have read it
      // the same keys as given, each tensor now the whole batch's
      return whole as P;
    },
    allReduce: (g, bad) => {
      let offset = d.rank * total;
      for (const [, v] of entries) {
        const gv = g[v.name];
        if (gv === undefined) grads.fill(0, offset, offset + v.size);
        else grads.set(gv.dataSync(), offset);
        offset += v.size;
      }
      Atomics.store(sync, 2 + d.rank, bad ? 1 : 0);
      barrier(sync, d.world);
      const anyBad = Array.from({ length: d.world }, (_, r) => Atomics.load(sync, 2 + r)).some((f) => f === 1);
      const summed: Record<string, tf.Tensor> = {};
      if (!anyBad) {
        let at = 0;
        for (const [name, v] of entries) {
          const sum = new Float32Array(v.size);
          for (let r = 0; r < d.world; r++) {
            const base = r * total + at;
            for (let i = 0; i < v.size; i++) sum[i]! += grads[base + i]!;
          }
          if (name.startsWith('loss.')) for (let i = 0; i < v.size; i++) sum[i]! /= d.world;
          summed[v.name] = tf.tensor(sum, v.shape);
          at += v.size;
        }
      }
      barrier(sync, d.world); // the gradient area is free again
      return { grads: summed, anyBad };
    },
  };
};

/** Messages from the main thread. */
export type ToReplica =
  | { readonly type: 'step'; readonly step: number; readonly images: Float32Array; readonly shape: [number, number, number, number] }
  | { readonly type: 'views'; readonly step: number; readonly tensors: Float32Array[]; readonly shape: [number, number, number, number]; readonly thetas: number[][] }
  | { readonly type: 'export' }
  | { readonly type: 'import'; readonly tensors: [string, number[], Float32Array][]; readonly step: number; readonly file: string; readonly lossState: unknown }
  | { readonly type: 'close' };

/** Messages to the main thread. */
export type FromReplica =
  | { readonly type: 'ready'; readonly parameters: number }
  | { readonly type: 'metrics'; readonly step: number; readonly lr: number; readonly terms: Record<string, number>; readonly lossState: unknown; readonly bad?: [string, number]; readonly numTensors?: number }
  | { readonly type: 'state'; readonly tensors: [string, number[], Float32Array][]; readonly lossState: unknown }
  | { readonly type: 'imported'; readonly error?: string }
  /** `unloadable`: a plugin module this thread could not import (the caller then trains on one thread). */
  | { readonly type: 'failed'; readonly message: string; readonly unloadable?: UnloadableModule };

const run = async (): Promise<void> => {
  const port = parentPort!;
  const d = workerData as ReplicaData;
  const post = (m: FromReplica, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const backend = await selectBackend(d.backend)();
  if (E.isLeft(backend)) return post({ type: 'failed', message: backend.left.message });
  const loaded = await rebuildRegistry(d.plugins);
  if (E.isLeft(loaded)) return post({ type: 'failed', ...loaded.left });
  const registry = loaded.right;
  const built = buildModel(d.config, registry, d.imageShape);
  if (E.isLeft(built)) {
    const hint = built.left._tag === 'UnknownPlugin' ? ' (worker replicas import the modules your plugins name in `module: import.meta.url`; add that field to your plugin, or use workers: 1)' : '';
    return post({ type: 'failed', message: built.left.message + hint });
  }
  const model = built.right;
  const optimizer = pretrainOptimizer(model.store, d.config.optimizer);
  const collective = replicaCollective(d, model);
  let lossState: unknown = model.loss.initialState;

  const reply = (step: number, r: ReturnType<typeof stepOnViews>): FromReplica => {
    if (E.isLeft(r)) return { type: 'metrics', step, lr: 0, terms: {}, lossState, bad: [r.left.term, r.left.value] };
    lossState = r.right.lossState;
    return { type: 'metrics', step, lr: r.right.metrics.lr, terms: { ...r.right.metrics.terms }, lossState, numTensors: tf.memory().numTensors };
  };

  port.on('message', (m: ToReplica) => {
    try {
      if (m.type === 'step') {
        const images = tf.tensor4d(m.images, m.shape);
        const r = trainStep(model, optimizer, d.config, images, m.step, lossState, collective, stepRng(d.config.seed, m.step).fork(d.rank));
        images.dispose();
        post(reply(m.step, r));
      } else if (m.type === 'views') {
        const [v1, u, v2, ...targets] = m.tensors.map((t) => tf.tensor4d(t, m.shape));
        const views: StepViews = { v1: v1!, u: u!, v2: v2!, targets, thetas: m.thetas };
        const r = stepOnViews(model, optimizer, d.config, views, m.step, lossState, collective);
        tf.dispose(viewTensors(views));
        post(reply(m.step, r));
      } else if (m.type === 'export') {
        const tensors = [...stateArrays(model, optimizer)].map(([n, a]) => [n, [...a.shape], Float32Array.from(a.data)] as [string, number[], Float32Array]);
        post({ type: 'state', tensors, lossState }, tensors.map(([, , a]) => a.buffer as ArrayBuffer));
      } else if (m.type === 'import') {
        const r = loadStateArrays(model, optimizer, new Map(m.tensors.map(([n, shape, data]) => [n, { shape, data }])), m.step, m.file);
        if (E.isRight(r)) lossState = m.lossState ?? model.loss.initialState;
        post(E.isLeft(r) ? { type: 'imported', error: r.left.message } : { type: 'imported' });
      } else {
        optimizer.dispose();
        model.dispose();
        port.close();
      }
    } catch (e) {
      post({ type: 'failed', message: firstLine(e instanceof Error ? e.message : String(e)) });
    }
  });
  post({ type: 'ready', parameters: model.store.count() });
};

await run();
