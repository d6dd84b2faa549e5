/**
 * Evaluating a checkpoint: the requested suites on held-out data, as one
 * results object (what `equissl eval` writes to `results.json`).
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, backendPreference, normaliseSlot } from '@equissl/core';
import { type Dataset, openDataset } from '@equissl/data';
import * as E from 'fp-ts/lib/Either.js';
import { type Readout, loadEncoder, readoutAvailable } from '@equissl/encoder';
import { type FamilyResult, equivarianceSuite } from './equivariance.js';
import { type HomographyResult, homographySuite } from './homography.js';
import { probeAccuracy, probeFeatures } from './probe.js';
import { equivarianceSuiteOnWorkers } from './suite-pool.js';

/** The suites (`homography` runs only when named: it is not part of {@link allSuites}, the default `all`, as it trains several heads). */
export type Suite = 'equivariance' | 'linear' | 'knn' | 'homography';
export const allSuites: ReadonlyArray<Suite> = ['equivariance', 'linear', 'knn'];

/** Options of {@link evaluateCheckpoint}. */
export interface EvaluateOptions {
  readonly suites: ReadonlyArray<Suite>;
  /** Dataset slot; default: the checkpoint's training data. Its `train` split trains heads, its `test` split scores them. */
  readonly data?: unknown;
  /** The readout of every suite (default headline `clsmean-full`). */
  readonly part: Readout;
  /** Further readouts of the equivariance suite, scored on rotation (those the model lacks, e.g. `equi` of a baseline, are left out). */
  readonly readouts?: ReadonlyArray<Readout>;
  readonly seed: number;
  /** Families of the equivariance suite (default: all four). */
  readonly tasks?: ReadonlyArray<string>;
  /** Images for the equivariance suite (80 % train / 20 % test). */
  readonly equivarianceImages: number;
  readonly probeTrainImages: number;
  readonly probeTestImages: number;
  readonly regressor: unknown;
  /** Settings of the homography suite as given (`HomographyConfig`, e.g. `{finetune: true, steps: 100}`; default: its defaults). */
  readonly homography?: unknown;
  /**
   * Worker threads for the equivariance suite (default 1: this thread). With
   * more, its families run on workers while this thread scores the probes;
   * the results equal one thread's (each family has its own seeded stream).
   */
  readonly workers?: number;
  readonly onProgress?: (what: string) => void;
}

/** Everything an evaluation measured. */
export interface EvaluationResults {
  readonly checkpoint: string;
  readonly step: number;
  readonly features: Readout;
  readonly data: string;
  /** Why a requested suite was not run (e.g. unlabelled data for the probes). */
  readonly skipped?: ReadonlyArray<string>;
  readonly equivariance?: ReadonlyArray<FamilyResult>;
  /** Mean R² over the families. */
  readonly meanR2?: number;
  readonly linearAccuracy?: number;
  readonly knnAccuracy?: number;
  /** The homography suite: Mean Corner Error of this checkpoint and of the references. */
  readonly homography?: HomographyResult;
}

/** The slot's `split` set to `split` where its dataset plugin has disjoint splits (accepts a `split` field); others are unchanged. */
export const withSplit = (registry: Registry, slot: unknown, split: 'train' | 'test'): unknown => {
  const s = normaliseSlot(slot);
  return registry.accepts('dataset', s, { split }) ? { ...(s as Record<string, unknown>), split } : s;
};

/** Evaluates the encoder of `checkpoint`. */
export const evaluateCheckpoint = async (checkpoint: string, registry: Registry, o: EvaluateOptions): Promise<E.Either<EquisslError, EvaluationResults>> => {
  const encoder = await loadEncoder(checkpoint, registry)();
  if (E.isLeft(encoder)) return encoder;
  const model = encoder.right.encoder;
  try {
    const slot = o.data ?? (encoder.right.config as { data?: unknown })?.data ?? { name: 'procedural' };
    const open = async (split: 'train' | 'test') => openDataset(registry, withSplit(registry, slot, split), 'data')();
    const train = await open('train');
    if (E.isLeft(train)) return train;
    const test = await open('test');
    if (E.isLeft(test)) return test;
    const shape = (d: Dataset) => d.imageShape.join('×');
    if (shape(test.right) !== encoder.right.imageShape.join('×')) {
      return E.left({ _tag: 'ShapeMismatch', tensor: 'evaluation images', expected: encoder.right.imageShape.join('×'), actual: [...test.right.imageShape], message: `evaluation images: the encoder takes ${encoder.right.imageShape.join('×')} images, the data gives ${shape(test.right)}; resize the data (e.g. image-folder "size")` });
    }
    let results: EvaluationResults = { checkpoint, step: encoder.right.step, features: o.part, data: test.right.source };
    const suiteOptions = {
      images: o.equivarianceImages,
      part: o.part,
      readouts: (o.readouts ?? []).filter((r) => readoutAvailable(model, r)),
      ...(o.tasks !== undefined ? { tasks: o.tasks } : {}),
      seed: o.seed,
      regressor: o.regressor,
      onTask: (task: string, i: number, n: number) => o.onProgress?.(`equivariance ${i + 1}/${n}: ${task}`),
    };
    const workers = o.workers ?? 1;
    // on workers the suite runs beside the probes below; on this thread, before them
    const running = !o.suites.includes('equivariance')
      ? undefined
      : workers > 1
        ? equivarianceSuiteOnWorkers(registry, suiteOptions, { checkpoint, data: withSplit(registry, slot, 'test'), workers, backend: backendPreference() })
        : await equivarianceSuite(model, test.right, registry, suiteOptions);
    const asked = (['linear', 'knn'] as const).filter((suite) => o.suites.includes(suite));
    const labelled = train.right.classNames !== undefined && train.right.classNames.length >= 2;
    const probes = labelled ? asked : [];
    if (!labelled && asked.length > 0) {
      const why = `${asked.join(' and ')} skipped: ${train.right.source} has ${train.right.classNames === undefined ? 'no labels' : 'one class'}`;
      o.onProgress?.(why);
      results = { ...results, skipped: [why] };
    }
    if (probes.length > 0) {
      o.onProgress?.('encoding the labelled sets');
      const features = await probeFeatures(model, train.right, test.right, { trainImages: o.probeTrainImages, testImages: o.probeTestImages, part: o.part });
      if (E.isLeft(features)) return features;
      try {
        for (const suite of probes) {
          o.onProgress?.(`${suite === 'linear' ? 'linear probe' : 'k-NN'}`);
          const acc = probeAccuracy(registry, { name: suite }, features.right, o.seed);
          if (E.isLeft(acc)) return acc;
          results = suite === 'linear' ? { ...results, linearAccuracy: acc.right } : { ...results, knnAccuracy: acc.right };
        }
      } finally {
        features.right.dispose();
      }
    }
    if (o.suites.includes('homography')) {
      const h = await homographySuite(model, train.right, test.right, registry, {
        ...(o.homography !== undefined ? { config: o.homography } : {}),
        seed: o.seed,
        imageShape: encoder.right.imageShape,
        pretrainConfig: encoder.right.config,
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      });
      if (E.isLeft(h)) return h;
      results = { ...results, homography: h.right };
    }
    if (running !== undefined) {
      const eq = await running;
      if (E.isLeft(eq)) return eq;
      results = { ...results, equivariance: eq.right, meanR2: eq.right.reduce((s, r) => s + r.r2, 0) / eq.right.length };
    }
    return E.right(results);
  } finally {
    model.dispose();
  }
};
