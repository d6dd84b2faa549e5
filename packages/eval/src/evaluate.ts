/**
 * Evaluating a checkpoint: the requested suite plugins (`suite.ts`) on
 * held-out data, as one results object (what `equissl eval` writes to
 * `results.json`).
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, normaliseSlot } from '@equissl/core';
import { type Dataset, openDataset } from '@equissl/data';
import * as E from 'fp-ts/lib/Either.js';
import { type Readout, loadEncoder } from '@equissl/encoder';
import { type ProbeFeatures, probeFeatures } from './probe.js';
import type { EvalSuite, SuiteContext, SuiteResults } from './suite.js';

/** Options of {@link evaluateCheckpoint}. */
export interface EvaluateOptions {
  /**
   * The suites, as plugin slots: a name (`'knn'`) or a name with settings
   * (`{ name: 'homography', finetune: true }`); see {@link suiteSlots}.
   */
  readonly suites: ReadonlyArray<unknown>;
  /** Dataset slot; default: the checkpoint's training data. Its `train` split trains heads, its `test` split scores them. */
  readonly data?: unknown;
  /** The headline readout of every suite (default `clsmean-full`). */
  readonly part: Readout;
  readonly seed: number;
  /** Images of the labelled features the probe suites share: training (train split) and test (test split); default {@link probeImageDefaults}. */
  readonly probeTrainImages?: number;
  readonly probeTestImages?: number;
  /**
   * Worker threads a suite may use (default 1: this thread). The equivariance
   * suite runs its families on them while this thread runs the other suites;
   * the results equal one thread's (each family has its own seeded stream).
   */
  readonly workers?: number;
  readonly onProgress?: (what: string) => void;
}

/** Labelled images the probes read when the options do not say (`equissl eval`'s defaults). */
export const probeImageDefaults = { train: 2048, test: 1024 } as const;

/** Everything an evaluation measured: what was evaluated, and the fields of the suites that ran ({@link SuiteResults}). */
export interface EvaluationResults extends SuiteResults {
  readonly checkpoint: string;
  readonly step: number;
  readonly features: Readout;
  readonly data: string;
  /** Why a requested suite was not run (e.g. unlabelled data for the probes). */
  readonly skipped?: ReadonlyArray<string>;
}

/**
 * Suite slots from suite names and settings keyed by name: each name alone,
 * or `{ name, ...settings[name] }` where settings are given.
 */
export const suiteSlots = (names: ReadonlyArray<string>, settings: Readonly<Record<string, object | undefined>> = {}): unknown[] =>
  names.map((name) => (settings[name] === undefined ? name : { ...settings[name], name }));

/** The suite plugins of `registry`, in the order they were registered (the built-in ones: equivariance, linear, knn, homography). */
export const registeredSuites = (registry: Registry): string[] => registry.all().filter((p) => p.kind === 'suite').map((p) => p.name);

/** The suites `--suite all` runs: those of `registry` whose instance with default settings runs by default, in registration order. */
export const defaultSuites = (registry: Registry): string[] =>
  registeredSuites(registry).filter((name) => E.exists((s: EvalSuite) => s.byDefault)(registry.create('suite', name, 'suite')));

/** The slot's `split` set to `split` where its dataset plugin has disjoint splits (accepts a `split` field); others are unchanged. */
export const withSplit = (registry: Registry, slot: unknown, split: 'train' | 'test'): unknown => {
  const s = normaliseSlot(slot);
  return registry.accepts('dataset', s, { split }) ? { ...(s as Record<string, unknown>), split } : s;
};

/** Evaluates the encoder of `checkpoint` with every suite of `o.suites`. */
export const evaluateCheckpoint = async (checkpoint: string, registry: Registry, o: EvaluateOptions): Promise<E.Either<EquisslError, EvaluationResults>> => {
  const suites: { name: string; suite: EvalSuite }[] = [];
  for (const [i, slot] of o.suites.entries()) {
    const resolved = registry.decode('suite', slot, `suites.${i}`);
    if (E.isLeft(resolved)) return resolved;
    const created = registry.create('suite', slot, `suites.${i}`);
    if (E.isLeft(created)) return created;
    suites.push({ name: resolved.right.plugin.name, suite: created.right });
  }
  const loaded = await loadEncoder(checkpoint, registry)();
  if (E.isLeft(loaded)) return loaded;
  const frozen = loaded.right;
  let features: Promise<E.Either<EquisslError, ProbeFeatures>> | undefined;
  try {
    const slot = o.data ?? (frozen.config as { data?: unknown })?.data ?? { name: 'procedural' };
    const open = async (split: 'train' | 'test') => openDataset(registry, withSplit(registry, slot, split), 'data')();
    const train = await open('train');
    if (E.isLeft(train)) return train;
    const test = await open('test');
    if (E.isLeft(test)) return test;
    const shape = (d: Dataset) => d.imageShape.join('×');
    if (shape(test.right) !== frozen.imageShape.join('×')) {
      return E.left({ _tag: 'ShapeMismatch', tensor: 'evaluation images', expected: frozen.imageShape.join('×'), actual: [...test.right.imageShape], message: `evaluation images: the encoder takes ${frozen.imageShape.join('×')} images, the data gives ${shape(test.right)}; resize the data (e.g. image-folder "size")` });
    }
    const say = (what: string) => o.onProgress?.(what);
    const ctx: SuiteContext = {
      frozen,
      registry,
      train: train.right,
      test: test.right,
      testSlot: withSplit(registry, slot, 'test'),
      trainSlot: withSplit(registry, slot, 'train'),
      part: o.part,
      seed: o.seed,
      workers: o.workers ?? 1,
      // encoded once, by the first suite that asks
      labelledFeatures: () => {
        if (features === undefined) {
          say('encoding the labelled sets');
          features = probeFeatures(frozen.encoder, train.right, test.right, { trainImages: o.probeTrainImages ?? probeImageDefaults.train, testImages: o.probeTestImages ?? probeImageDefaults.test, part: o.part });
        }
        return features;
      },
      onProgress: say,
    };
    let results: EvaluationResults = { checkpoint, step: frozen.step, features: o.part, data: test.right.source };
    const labelled = train.right.classNames !== undefined && train.right.classNames.length >= 2;
    const unserved = suites.filter((s) => s.suite.needsLabels === true && !labelled).map((s) => s.name);
    if (unserved.length > 0) {
      const why = `${unserved.join(' and ')} skipped: ${train.right.source} has ${train.right.classNames === undefined ? 'no labels' : 'one class'}`;
      say(why);
      results = { ...results, skipped: [why] };
    }
    const runnable = suites.filter((s) => !unserved.includes(s.name));
    // suites off this thread start first and are awaited last; the others run here, in the order asked
    const background = runnable.filter((s) => s.suite.background?.(ctx) === true).map((s) => s.suite.run(ctx));
    const patches: Partial<SuiteResults>[] = [];
    for (const s of runnable.filter((s) => s.suite.background?.(ctx) !== true)) {
      const r = await s.suite.run(ctx);
      if (E.isLeft(r)) {
        await Promise.all(background);
        return r;
      }
      patches.push(r.right);
    }
    for (const r of await Promise.all(background)) {
      if (E.isLeft(r)) return r;
      patches.push(r.right);
    }
    return E.right(patches.reduce((all: EvaluationResults, patch) => ({ ...all, ...patch }), results));
  } finally {
    const f = await features;
    if (f !== undefined && E.isRight(f)) f.right.dispose();
    frozen.encoder.dispose();
  }
};
