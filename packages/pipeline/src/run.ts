/**
 * The pretraining loop: open the data, build the model, and run steps with
 * checkpoints every N steps and at the end, a JSONL metrics log, resume from
 * the last checkpoint, a clean stop on request (Ctrl-C) with a checkpoint,
 * and a stop with a {@link NonFiniteLoss} error — keeping the last good
 * checkpoint — when a loss term goes NaN or infinite.
 *
 * Files under `out/`: `checkpoint.safetensors`, `metrics.jsonl` (one line per
 * step, with the gradient norm; a resume that changes run-control fields adds
 * an `event: resume` line), `config.json` (the decoded config). A fresh run
 * refuses a folder holding a run unless `overwrite` (`resume.ts`); a resumed
 * run takes the caller's config as changes to the checkpoint's. Before every
 * save the parameters and optimizer state are checked: a non-finite tensor is
 * named and never replaces the last finite checkpoint.
 *
 * @since 0.1.0
 */
import { type EquisslError, type NamedArray, type NonFiniteLoss, type Registry, Rng, backendPreference, configError, ioError, writeFileAtomic } from '@equissl/core';
import { BatchStream, type Dataset, openDataset } from '@equissl/data';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckpointState, type PretrainConfig, decodePretrainConfig, pluginUses, readCheckpoint, saveCheckpoint } from '@equissl/encoder';
import { type PretrainModel, buildModel } from './model.js';
import { parallelTrainer } from './parallel.js';
import type { StepMetrics } from './step.js';
import { localTrainer, modelArrays } from './trainer.js';
import { claimRunFolder, resumeConfig } from './resume.js';

/** The first tensor holding NaN or ±Infinity, with that value. */
export const firstNonFiniteTensor = (tensors: ReadonlyMap<string, NamedArray>): [string, number] | undefined => {
  for (const [name, a] of tensors) for (const v of a.data) if (!Number.isFinite(v)) return [name, v];
  return undefined;
};

/** A checkpoint that would hold a non-finite tensor: not written; the message names the tensor and the checkpoint kept. */
const nonFiniteState = (tensor: string, step: number, value: number, kept: number | undefined): NonFiniteLoss => ({
  _tag: 'NonFiniteLoss',
  term: tensor,
  step,
  value,
  message:
    `tensor "${tensor}" holds ${value} after step ${step}, so no checkpoint was written` +
    (kept === undefined ? '' : `; the last finite checkpoint (step ${kept}) is kept`) +
    '; lower optimizer.lr (or the weight of the term that grew) and resume or restart',
});

/** What the loop reports after each step. */
export interface StepReport extends StepMetrics {
  readonly viewsPerSecond: number;
  readonly seconds: number;
}

/** Options of {@link pretrain}. */
export interface PretrainOptions {
  readonly out: string;
  /**
   * Continue from `out/checkpoint.safetensors`; the `input` config then holds
   * changes to the checkpoint's (run-control fields only, see `resume.ts`).
   */
  readonly resume?: boolean;
  /** A fresh run into a folder that holds a run removes that run first (default: refuse). */
  readonly overwrite?: boolean;
  /** Name of the active backend, recorded in checkpoints. */
  readonly backend?: string;
  /** Called once the trainer runs; `workers` is the number of data-parallel replicas it trains on (1 after a fallback to this thread). */
  readonly onStart?: (info: { model: PretrainModel; dataset: Dataset; startStep: number; config: PretrainConfig; workers: number }) => void;
  readonly onStep?: (report: StepReport) => void;
  readonly onCheckpoint?: (file: string, step: number) => void;
  /** Polled after every step; when true the loop checkpoints and stops. */
  readonly shouldStop?: () => boolean;
}

/** The outcome of a run. The model stays alive for previews; dispose it when done. */
export interface PretrainResult {
  readonly config: PretrainConfig;
  readonly model: PretrainModel;
  readonly dataset: Dataset;
  readonly stepsDone: number;
  readonly interrupted: boolean;
  readonly checkpoint: string;
  readonly metricsFile: string;
  readonly last: StepMetrics | undefined;
  /** Corrupt images the batch stream skipped (over the whole run, resumes included). */
  readonly skippedImages: number;
}

const keepMetricsBefore = (file: string, step: number): TE.TaskEither<EquisslError, void> => {
  if (!existsSync(file)) return TE.right(undefined);
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && (JSON.parse(l) as { step: number }).step < step);
  return writeFileAtomic(file, lines.map((l) => `${l}\n`).join(''));
};

/** Runs (or resumes) a pretraining run. */
export const pretrain = (input: unknown, registry: Registry, options: PretrainOptions): TE.TaskEither<EquisslError, PretrainResult> => {
  const checkpointFile = join(options.out, 'checkpoint.safetensors');
  const metricsFile = join(options.out, 'metrics.jsonl');
  const backend = options.backend ?? tf.getBackend();
  return pipe(
    TE.Do,
    TE.bind('resumed', () =>
      options.resume === true
        ? pipe(
            readCheckpoint(checkpointFile),
            TE.mapLeft((e) => ({ ...e, message: `${e.message}; run without --resume to start a new run` })),
            TE.map((c) => c as typeof c | undefined),
          )
        : TE.right(undefined),
    ),
    TE.bind('resumedWith', ({ resumed }) =>
      TE.fromEither(resumed === undefined ? E.right({ given: input, changed: {} }) : resumeConfig(resumed.state.config, input, decodePretrainConfig)),
    ),
    TE.bind('given', ({ resumedWith }) => TE.right<EquisslError, unknown>(resumedWith.given)),
    TE.bind('config', ({ given }) => TE.fromEither(decodePretrainConfig(given))),
    TE.tap(({ resumed }) => TE.fromEither(resumed === undefined ? claimRunFolder(options.out, options.overwrite === true) : E.right(undefined))),
    TE.bind('dataset', ({ config }) => openDataset(registry, config.data, 'data')),
    TE.tap(({ config, dataset }) =>
      TE.fromEither(
        dataset.size < config.batchSize
          ? E.left(configError('batchSize', `${config.batchSize} is more than the ${dataset.size} images of ${dataset.source}; lower batchSize or add images`))
          : E.right(undefined),
      ),
    ),
    TE.bind('model', ({ config, dataset }) => TE.fromEither(buildModel(config, registry, dataset.imageShape))),
    TE.tap(({ config }) => writeFileAtomic(join(options.out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`)),
    TE.flatMap(({ resumed, resumedWith, given, config, dataset, model }) => async () => {
      const started = config.workers > 1 ? await parallelTrainer(registry, config, model, dataset.imageShape, config.workers, backendPreference(backend)) : E.right(localTrainer(model, config));
      if (E.isLeft(started)) {
        model.dispose();
        return started;
      }
      const trainer = started.right;
      const fail = async (e: EquisslError): Promise<E.Either<EquisslError, PretrainResult>> => {
        await trainer.dispose();
        model.dispose();
        return E.left(e);
      };
      let startStep = 0;
      let stream = new BatchStream(dataset, { batchSize: config.batchSize, rng: Rng.seeded(config.seed).fork('data') });
      if (resumed !== undefined) {
        const restored = await trainer.importState(resumed.tensors, resumed.state.step, resumed.file, resumed.state.lossState);
        if (E.isLeft(restored)) return fail(restored.left);
        startStep = resumed.state.step;
        stream = new BatchStream(dataset, { batchSize: config.batchSize, rng: Rng.seeded(config.seed).fork('data') }, resumed.state.stream);
        const trimmed = await keepMetricsBefore(metricsFile, startStep)();
        if (E.isLeft(trimmed)) return fail(trimmed.left);
        if (Object.keys(resumedWith.changed).length > 0) {
          try {
            appendFileSync(metricsFile, `${JSON.stringify({ step: startStep, event: 'resume', changed: resumedWith.changed })}\n`);
          } catch (e) {
            return fail(ioError(metricsFile, (e as Error).message));
          }
        }
      } else {
        const cleared = await writeFileAtomic(metricsFile, '')();
        if (E.isLeft(cleared)) return fail(cleared.left);
      }
      options.onStart?.({ model, dataset, startStep, config, workers: trainer.workers });
      let lastSaved = startStep;
      const checkpoint = async (step: number): Promise<E.Either<EquisslError, void>> => {
        const state: CheckpointState = { step, stream: stream.state(), lossState: trainer.lossState(), config: given, backend, imageShape: dataset.imageShape, encoder: model.spec, plugins: pluginUses(config, registry) };
        const tensors = await trainer.exportState();
        const bad = firstNonFiniteTensor(tensors);
        if (bad !== undefined) return E.left(nonFiniteState(bad[0], step, bad[1], existsSync(checkpointFile) ? lastSaved : undefined));
        const r = await saveCheckpoint(checkpointFile, tensors, state)();
        if (E.isRight(r)) lastSaved = step;
        if (E.isRight(r)) options.onCheckpoint?.(checkpointFile, step);
        return r;
      };
      const finish = async (stepsDone: number, interrupted: boolean, last: StepMetrics | undefined): Promise<E.Either<EquisslError, PretrainResult>> => {
        const saved = await checkpoint(stepsDone);
        if (E.isLeft(saved)) return fail(saved.left);
        await trainer.syncInto(model);
        await trainer.dispose();
        return E.right({ config, model, dataset, stepsDone, interrupted, checkpoint: checkpointFile, metricsFile, last, skippedImages: stream.skipped });
      };
      let last: StepMetrics | undefined;
      let step = startStep;
      for (; step < config.steps; step++) {
        const began = performance.now();
        const batch = await stream.next();
        if (E.isLeft(batch)) return fail(batch.left);
        if (batch.right === undefined) break;
        const images = batch.right.images;
        const r = await trainer.step(images, step);
        tf.dispose([images, ...(batch.right.labels ? [batch.right.labels] : [])]);
        if (E.isLeft(r)) return fail(r.left);
        last = r.right;
        const seconds = (performance.now() - began) / 1000;
        const report: StepReport = { ...r.right, seconds, viewsPerSecond: (2 * images.shape[0]) / seconds };
        try {
          appendFileSync(metricsFile, `${JSON.stringify({ step, loss: report.loss, lr: report.lr, viewsPerSecond: report.viewsPerSecond, ...report.terms, tensors: trainer.liveTensors(), rssMB: Math.round(process.memoryUsage().rss / 2 ** 20) })}\n`);
        } catch (e) {
          return fail(ioError(metricsFile, (e as Error).message));
        }
        options.onStep?.(report);
        // a macrotask turn lets signal handlers (Ctrl-C) and I/O callbacks run between steps
        await new Promise<void>((resolve) => setImmediate(resolve));
        const done = step + 1;
        if (options.shouldStop?.() === true) return finish(done, true, last);
        if (config.checkpointEvery > 0 && done % config.checkpointEvery === 0 && done < config.steps) {
          const saved = await checkpoint(done);
          if (E.isLeft(saved)) return fail(saved.left);
        }
      }
      return finish(step, false, last);
    }),
  );
};

/**
 * Writes the checkpoint of a model as initialised from `input`'s seed, before
 * any step (step 0): the untrained-encoder control of `equissl reproduce`.
 */
export const saveUntrained = (input: unknown, registry: Registry, out: string, backend = tf.getBackend()): TE.TaskEither<EquisslError, string> => {
  const file = join(out, 'checkpoint.safetensors');
  return pipe(
    TE.Do,
    TE.bind('config', () => TE.fromEither(decodePretrainConfig(input))),
    TE.bind('dataset', ({ config }) => openDataset(registry, config.data, 'data')),
    TE.bind('model', ({ config, dataset }) => TE.fromEither(buildModel(config, registry, dataset.imageShape))),
    TE.flatMap(({ config, dataset, model }) => {
      const tensors = modelArrays(model);
      const stream = new BatchStream(dataset, { batchSize: config.batchSize, rng: Rng.seeded(config.seed).fork('data') });
      const state: CheckpointState = { step: 0, stream: stream.state(), lossState: model.loss.initialState, config: input, backend, imageShape: dataset.imageShape, encoder: model.spec, plugins: pluginUses(config, registry) };
      model.dispose();
      return pipe(
        writeFileAtomic(join(out, 'config.json'), `${JSON.stringify(config, null, 2)}\n`),
        TE.flatMap(() => saveCheckpoint(file, tensors, state)),
        TE.map(() => file),
      );
    }),
  );
};
