/**
 * A trainer runs training steps on a model and exposes its state for
 * checkpoints. {@link localTrainer} runs in this thread; `parallel.ts` runs
 * data-parallel replicas on worker threads (one per core) behind the same
 * interface, so the run loop and the benchmark do not care which one runs.
 *
 * @since 0.1.0
 */
import type { EquisslError, NamedArray, NonFiniteLoss } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { type AdamW, pretrainOptimizer } from './adamw.js';
import type { PretrainConfig } from '@equissl/encoder';
import type { PretrainModel } from './model.js';
import { type StepMetrics, type StepViews, stepOnViews, trainStep } from './step.js';

/** Parameters (`param/<name>`), the EMA teacher's (`teacher/<name>`) and optimizer moments (`adam.m/…`, `adam.v/…`). */
export type TrainerTensors = ReadonlyMap<string, NamedArray>;

/** Something that trains. */
export interface Trainer {
  /** Replicas (1 for a local trainer). */
  readonly workers: number;
  /** One step on a batch of images `[B, H, W, C]` (the caller keeps ownership of `images`). */
  readonly step: (images: tf.Tensor4D, step: number) => Promise<E.Either<NonFiniteLoss, StepMetrics>>;
  /** One step on views the caller prepared (its own augmentations; the same views given to two trainers to compare them, as the replica test and the benchmark do). */
  readonly stepOnViews: (views: StepViews, step: number) => Promise<E.Either<NonFiniteLoss, StepMetrics>>;
  /** The current parameters and optimizer state. */
  readonly exportState: () => Promise<TrainerTensors>;
  /** Restores parameters, optimizer state and the loss state after `step` completed steps. */
  readonly importState: (tensors: TrainerTensors, step: number, file: string, lossState: unknown) => Promise<E.Either<EquisslError, void>>;
  /** The SSL loss's state (JSON-serialisable), for checkpoints. */
  readonly lossState: () => unknown;
  /** `tf.memory().numTensors` of this thread plus, on replicas, each replica's count after its last step: flat over a run when nothing leaks. */
  readonly liveTensors: () => number;
  /** Copies the current parameters into `model` (for previews after a parallel run). */
  readonly syncInto: (model: PretrainModel) => Promise<void>;
  readonly dispose: () => Promise<void>;
}

/** A model's parameters (`param/…`) and its teacher's (`teacher/…`), as named arrays. */
export const modelArrays = (model: PretrainModel): Map<string, NamedArray> => {
  const out = new Map<string, NamedArray>();
  for (const [name, a] of model.store.toArrays()) out.set(`param/${name}`, a);
  for (const [name, a] of model.teacher?.store.toArrays() ?? []) out.set(`teacher/${name}`, a);
  return out;
};

/** All state of a model and its optimizer, as named arrays. */
export const stateArrays = (model: PretrainModel, optimizer: AdamW): Map<string, NamedArray> => {
  const out = modelArrays(model);
  for (const [name, a] of optimizer.toArrays()) out.set(name, a);
  return out;
};

/** Loads named arrays into a model and its optimizer. */
export const loadStateArrays = (model: PretrainModel, optimizer: AdamW, tensors: TrainerTensors, step: number, file: string): E.Either<EquisslError, void> => {
  const loaded = model.store.load(tensors, file, 'param/');
  if (E.isLeft(loaded)) return loaded;
  const teacher = model.teacher?.store.load(tensors, file, 'teacher/');
  if (teacher !== undefined && E.isLeft(teacher)) return teacher;
  return optimizer.load(tensors, step)
    ? E.right(undefined)
    : E.left({ _tag: 'DataError', file, message: `${file}: has no complete optimizer state (adam.m/…, adam.v/…)` });
};

/** Trains `model` in this thread. */
export const localTrainer = (model: PretrainModel, config: PretrainConfig): Trainer => {
  const optimizer = pretrainOptimizer(model.store, config.optimizer);
  let lossState: unknown = model.loss.initialState;
  const done = (r: E.Either<NonFiniteLoss, { metrics: StepMetrics; lossState: unknown }>) =>
    E.map((ok: { metrics: StepMetrics; lossState: unknown }) => {
      lossState = ok.lossState;
      return ok.metrics;
    })(r);
  return {
    workers: 1,
    step: async (images, step) => done(trainStep(model, optimizer, config, images, step, lossState)),
    stepOnViews: async (views, step) => done(stepOnViews(model, optimizer, config, views, step, lossState)),
    exportState: async () => stateArrays(model, optimizer),
    importState: async (tensors, step, file, state) => {
      lossState = state ?? model.loss.initialState;
      return loadStateArrays(model, optimizer, tensors, step, file);
    },
    lossState: () => lossState,
    liveTensors: () => tf.memory().numTensors,
    syncInto: async (target) => {
      if (target !== model) target.store.load(model.store.toArrays(), '<memory>');
    },
    dispose: async () => optimizer.dispose(),
  };
};

