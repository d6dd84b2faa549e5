/**
 * `equissl reproduce`: the paper's synthetic comparison at CPU scale. From one
 * seed and one budget it pretrains the invariant baseline (VICReg, "all"
 * augmentations, no reconstruction) and the method (the same, plus K = 2
 * rotation-path decoders, λ = 1), evaluates both with the equivariance suite,
 * the linear probe and k-NN, and writes a side-by-side report in the shape of
 * the paper's Table 2 with the paper's numbers for reference.
 *
 * @since 0.1.0
 */
import type { EquisslError, Registry } from '@equissl/core';
import { type EvaluationResults, evaluateCheckpoint } from '@equissl/eval';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { join } from 'node:path';
import { writeReport } from '../report.js';
import { evalDefaults } from './eval.js';
import { runPretrain } from './pretrain.js';

/** Options of {@link runReproduce}. */
export interface ReproduceOptions {
  readonly out: string;
  readonly steps: number;
  readonly seed: number;
  readonly workers: number;
  readonly backend: string;
  /** A dataset slot replacing the procedural images. */
  readonly data?: unknown;
  /** Scales the evaluation sizes (tests use a small value). */
  readonly evalScale: number;
  readonly log: (line: string) => void;
  readonly shouldStop?: () => boolean;
}

/** The two pretraining configs: identical but for the reconstruction. */
export const reproduceConfigs = (o: Pick<ReproduceOptions, 'steps' | 'seed' | 'workers' | 'data'>) => {
  const shared = {
    seed: o.seed,
    steps: o.steps,
    batchSize: 32,
    workers: o.workers,
    data: o.data ?? { name: 'procedural', count: 8192, size: 32 },
    backbone: { name: 'vit-micro' },
    equiFraction: 0.5,
    loss: { name: 'vicreg', variant: 'sie' },
    augment: { name: 'all' },
    path: { name: 'rotation' },
    // no horizontal flips: a flip between the views reverses the apparent direction of the rotation
    views: { flip: 0 },
    optimizer: { lr: 5e-4, minLr: 1e-5, weightDecay: 0.05, warmupSteps: Math.max(1, Math.round(o.steps / 20)) },
    checkpointEvery: 100,
  };
  return {
    baseline: { ...shared, reconstruction: 'off' },
    method: { ...shared, reconstruction: { weight: 1, k: 2, decoder: { name: 'conv4', channels: 32 } } },
  };
};

/** Runs both pretrainings and evaluations and writes the report. */
export const runReproduce = (registry: Registry, o: ReproduceOptions): TE.TaskEither<EquisslError, { baseline: EvaluationResults; method: EvaluationResults; files: ReadonlyArray<string> }> => {
  const configs = reproduceConfigs(o);
  const scaled = (n: number) => Math.max(40, Math.round(n * o.evalScale));
  const train = (name: 'baseline' | 'method') =>
    pipe(
      TE.fromIO(() => o.log(`reproduce: pretraining the ${name} (${o.steps} steps)`)),
      TE.flatMap(() => runPretrain(registry, configs[name], { out: join(o.out, name), resume: false, backend: o.backend, log: o.log, ...(o.shouldStop ? { shouldStop: o.shouldStop } : {}) })),
      TE.tap((r) => TE.fromIO(() => r.result.model.dispose())),
      TE.flatMap((r) =>
        r.result.interrupted
          ? TE.left<EquisslError>({ _tag: 'IoError', file: r.result.checkpoint, message: `interrupted; the ${name}'s checkpoint is at ${r.result.checkpoint}` })
          : TE.right(r.result.checkpoint),
      ),
      TE.flatMap((checkpoint) => () =>
        evaluateCheckpoint(checkpoint, registry, {
          suites: ['equivariance', 'linear', 'knn'],
          ...(o.data !== undefined ? { data: o.data } : {}),
          part: evalDefaults.part,
          seed: o.seed,
          equivarianceImages: scaled(evalDefaults.equivarianceImages),
          probeTrainImages: scaled(evalDefaults.probeTrainImages),
          probeTestImages: scaled(evalDefaults.probeTestImages),
          regressor: evalDefaults.regressor,
          onProgress: (what) => o.log(`eval ${name}: ${what}`),
        }),
      ),
    );
  return pipe(
    TE.Do,
    TE.bind('baseline', () => train('baseline')),
    TE.bind('method', () => train('method')),
    TE.bind('files', ({ baseline, method }) =>
      writeReport(
        o.out,
        'equissl reproduce: invariant baseline vs intermediate-transformation reconstruction',
        [
          { label: 'baseline: VICReg (all), no reconstruction', results: baseline },
          { label: 'method: VICReg (all) + rotation path, K=2, λ=1', results: method },
        ],
        `Seed ${o.seed}, ${o.steps} steps each, batch 32, vit-micro (D=96, depth 4) on ${o.data === undefined ? 'procedural 32-px images' : JSON.stringify(o.data)}, ${o.workers} worker(s). The paper's rows are ViT-S/16 on ImageNet, for reference only.`,
      ),
    ),
  );
};

