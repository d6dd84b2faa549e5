/**
 * The benchmark step: the reference configuration of
 * `shared/bench/torch_reference.py` built from equissl's own packages —
 * ViT D=192, depth 6, 3 heads, patch 4, 32×32 images, batch B per view, VICReg
 * (SIE) on the invariant half of the cls token, K = 2 conv4 decoders (64
 * channels) on the equivariant halves, AdamW (lr 1e-4, weight decay 0.05) —
 * timed on fixed random views (no data loading or augmentation, as the
 * reference).
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { decodePretrainConfig } from './run.js';
import { buildModel } from './model.js';
import { parallelTrainer } from './parallel.js';
import type { StepViews } from './step.js';
import { localTrainer } from './trainer.js';

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

/** The reference configuration as an equissl pretraining config. */
export const referenceConfig = (batch: number) => ({
  steps: 1_000_000,
  batchSize: batch,
  backbone: { name: 'vit', imageSize: 32, patchSize: 4, dim: 192, depth: 6, heads: 3, mlpRatio: 4 },
  equiFraction: 0.5,
  loss: { name: 'vicreg', variant: 'sie' },
  reconstruction: { weight: 1, k: 2, decoder: { name: 'conv4', channels: 64 } },
  optimizer: { lr: 1e-4, minLr: 1e-4, weightDecay: 0.05, warmupSteps: 0 },
});

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

/** Times the training step of the reference configuration (on `workers` replicas when above 1). */
export const benchTrainStep = async (registry: Registry, o: BenchOptions): Promise<E.Either<EquisslError, BenchResult>> => {
  const built = pipe(
    E.Do,
    E.bind('config', () => decodePretrainConfig(referenceConfig(o.batch))),
    E.bind('model', ({ config }) => buildModel(config, registry, [32, 32, 3])),
  );
  if (E.isLeft(built)) return built;
  const { config, model } = built.right;
  const trainer = o.workers > 1 ? await parallelTrainer(registry, config, model, [32, 32, 3], o.workers, o.backend) : E.right(localTrainer(model, config));
  if (E.isLeft(trainer)) {
    model.dispose();
    return trainer;
  }
  const views: StepViews = {
    v1: tf.randomUniform([o.batch, 32, 32, 3], 0, 1, 'float32', 1),
    u: tf.randomUniform([o.batch, 32, 32, 3], 0, 1, 'float32', 2),
    v2: tf.randomUniform([o.batch, 32, 32, 3], 0, 1, 'float32', 3),
    targets: [tf.randomUniform([o.batch, 32, 32, 3], 0, 1, 'float32', 4), tf.randomUniform([o.batch, 32, 32, 3], 0, 1, 'float32', 5)],
    thetas: [],
  };
  const step = async (i: number) => {
    const r = await trainer.right.stepOnViews(views, i);
    if (E.isLeft(r)) throw new Error(r.left.message);
  };
  try {
    let i = 0;
    for (; i < o.warmup; i++) await step(i);
    const secondsPerStep: number[] = [];
    for (let r = 0; r < o.repeats; r++) {
      const t0 = performance.now();
      for (let s = 0; s < o.steps; s++) await step(i++);
      const sec = (performance.now() - t0) / 1000 / o.steps;
      secondsPerStep.push(sec);
      o.onRepeat?.(r, sec);
    }
    return E.right({
      description: `${model.backboneDescription}, batch ${o.batch}/view, vicreg + K=2 conv4(64) decoders, AdamW, ${o.workers} worker${o.workers > 1 ? 's' : ''}`,
      parameters: model.store.count(),
      secondsPerStep,
      viewsPerSecond: (2 * o.batch) / median(secondsPerStep),
    });
  } finally {
    tf.dispose([views.v1, views.u, views.v2, ...views.targets]);
    await trainer.right.dispose();
    model.dispose();
  }
};
