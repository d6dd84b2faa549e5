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
import { type BackendPreference, selectBackend } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { parentPort, workerData } from 'node:worker_threads';
import { pretrainOptimizer } from './adamw.js';
import { barrier } from './barrier.js';
import type { PretrainConfig } from './config.js';
import { buildModel } from './model.js';
import { standardRegistry } from './plugins.js';
import { type ShardView, type StepViews, firstNonFinite, lossGradients, makeViews, stepRng } from './step.js';
import { loadStateArrays, stateArrays } from './trainer.js';
import { warmupCosine } from './schedule.js';

/** What the main thread gives each replica. */
export interface ReplicaData {
  readonly config: PretrainConfig;
  readonly imageShape: readonly [number, number, number];
  readonly rank: number;
  readonly world: number;
  readonly backend: BackendPreference;
  readonly sync: SharedArrayBuffer;
  readonly embed: SharedArrayBuffer;
  readonly grads: SharedArrayBuffer;
}

/** Messages from the main thread. */
export type ToReplica =
  | { readonly type: 'step'; readonly step: number; readonly images: Float32Array; readonly shape: [number, number, number, number] }
  | { readonly type: 'views'; readonly step: number; readonly tensors: Float32Array[]; readonly shape: [number, number, number, number] }
  | { readonly type: 'export' }
  | { readonly type: 'import'; readonly tensors: [string, number[], Float32Array][]; readonly step: number; readonly file: string }
  | { readonly type: 'close' };

/** Messages to the main thread. */
export type FromReplica =
  | { readonly type: 'ready'; readonly parameters: number }
  | { readonly type: 'metrics'; readonly step: number; readonly lr: number; readonly terms: Record<string, number>; readonly bad?: [string, number] }
  | { readonly type: 'state'; readonly tensors: [string, number[], Float32Array][] }
  | { readonly type: 'imported'; readonly error?: string }
  | { readonly type: 'failed'; readonly message: string };

const run = async (): Promise<void> => {
  const port = parentPort!;
  const d = workerData as ReplicaData;
  const post = (m: FromReplica, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);
  const backend = await selectBackend(d.backend)();
  if (E.isLeft(backend)) return post({ type: 'failed', message: backend.left.message });
  const registry = standardRegistry();
  if (E.isLeft(registry)) return post({ type: 'failed', message: registry.left.message });
  const built = buildModel(d.config, registry.right, d.imageShape);
  if (E.isLeft(built)) {
    const hint = built.left._tag === 'UnknownPlugin' ? ' (worker replicas know the built-in plugins only; use workers: 1 with your own plugins)' : '';
    return post({ type: 'failed', message: built.left.message + hint });
  }
  const model = built.right;
  const optimizer = pretrainOptimizer(model.store, d.config.optimizer);
  const sync = new Int32Array(d.sync);
  const embed = new Float32Array(d.embed);
  const grads = new Float32Array(d.grads);
  const entries = model.store.entries();
  const total = model.store.count();
  let lossState: unknown = model.loss.initialState;

  const shard: ShardView = {
    recShare: 1 / d.world,
    gather: (z1, z2) => {
      const [bs, dim] = z1.shape;
      const slot = 2 * bs * dim;
      embed.set(z1.dataSync(), d.rank * slot);
      embed.set(z2.dataSync(), d.rank * slot + bs * dim);
      barrier(sync, d.world);
      const part = (offset: number, own: tf.Tensor2D) =>
        tf.concat(Array.from({ length: d.world }, (_, r) => (r === d.rank ? own : tf.tensor2d(embed.slice(r * slot + offset, r * slot + offset + bs * dim), [bs, dim])))) as tf.Tensor2D;
      const whole = { z1: part(0, z1), z2: part(bs * dim, z2) };
      barrier(sync, d.world); // nobody overwrites the exchange area before all have read it
      return whole;
    },
  };

  const trainOn = (views: StepViews, step: number): FromReplica => {
    const o = d.config.optimizer;
    const lr = warmupCosine(step, d.config.steps, o.lr, o.minLr, o.warmupSteps);
    const { grads: g, terms, lossState: next } = lossGradients(model, views, lossState, step, shard);
    // all-reduce: write this replica's gradients and finiteness, sum everyone's in rank order
    let offset = d.rank * total;
    for (const [, v] of entries) {
      const gv = g[v.name];
      if (gv === undefined) grads.fill(0, offset, offset + v.size);
      else grads.set(gv.dataSync(), offset);
      offset += v.size;
    }
    tf.dispose(Object.values(g));
    const bad = firstNonFinite(terms);
    Atomics.store(sync, 2 + d.rank, bad === undefined ? 0 : 1);
    barrier(sync, d.world);
    const anyBad = Array.from({ length: d.world }, (_, r) => Atomics.load(sync, 2 + r)).some((f) => f === 1);
    if (!anyBad) {
      const summed: Record<string, tf.Tensor> = {};
      let at = 0;
      for (const [, v] of entries) {
        const sum = new Float32Array(v.size);
        for (let r = 0; r < d.world; r++) {
          const base = r * total + at;
          for (let i = 0; i < v.size; i++) sum[i]! += grads[base + i]!;
        }
        summed[v.name] = tf.tensor(sum, v.shape);
        at += v.size;
      }
      optimizer.apply(summed, lr);
      tf.dispose(Object.values(summed));
      lossState = next;
    }
    barrier(sync, d.world); // the gradient area is free again
    return { type: 'metrics', step, lr, terms, ...(bad ? { bad: [bad[0], bad[1]] as [string, number] } : anyBad ? { bad: ['(another replica)', Number.NaN] as [string, number] } : {}) };
  };

  port.on('message', (m: ToReplica) => {
    try {
      if (m.type === 'step') {
        const images = tf.tensor4d(m.images, m.shape);
        const views = makeViews(model, d.config, images, stepRng(d.config.seed, m.step).fork(d.rank));
        const reply = trainOn(views, m.step);
        tf.dispose([images, views.v1, views.u, views.v2, ...views.targets]);
        post(reply);
      } else if (m.type === 'views') {
        const [v1, u, v2, ...targets] = m.tensors.map((t) => tf.tensor4d(t, m.shape));
        const reply = trainOn({ v1: v1!, u: u!, v2: v2!, targets, thetas: [] }, m.step);
        tf.dispose([v1!, u!, v2!, ...targets]);
        post(reply);
      } else if (m.type === 'export') {
        const tensors = [...stateArrays(model, optimizer)].map(([n, a]) => [n, [...a.shape], Float32Array.from(a.data)] as [string, number[], Float32Array]);
        post({ type: 'state', tensors }, tensors.map(([, , a]) => a.buffer as ArrayBuffer));
      } else if (m.type === 'import') {
        const r = loadStateArrays(model, optimizer, new Map(m.tensors.map(([n, shape, data]) => [n, { shape, data }])), m.step, m.file);
        post(E.isLeft(r) ? { type: 'imported', error: r.left.message } : { type: 'imported' });
      } else {
        optimizer.dispose();
        model.dispose();
        port.close();
      }
    } catch (e) {
      post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  });
  post({ type: 'ready', parameters: total });
};

await run();
