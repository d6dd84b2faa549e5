/**
 * The equivariance suite on several worker threads: the families are dealt
 * to `workers` threads by their cost in regressor fits (rotation, with the
 * halves of the split, on one; colour, blur, translation on the other, for
 * two), each of which loads the encoder and
 * runs its families exactly as the single-threaded suite would — same θ
 * draws, same features, same regressor seeds — so the results equal the
 * single-threaded ones, in the suite's family order.
 *
 * @since 0.1.0
 */
import {
  type BackendPreference,
  type EquisslError,
  type Registry,
  type WorkerLoader,
  configError,
  fallbackLine,
  firstLine,
  pluginAddresses,
  sayFallback,
  siblingModule,
  spawnWorker,
  wasmHeapError,
  workerChannel,
  workerLoader,
} from '@equissl/core';
import { openDataset } from '@equissl/data';
import { loadEncoder } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import { type FamilyResult, type SuiteOptions, equivarianceSuite } from './equivariance.js';
import { defaultFamilies, resolveFamilies } from './families.js';
import type { FromSuiteWorker, SuiteWorkerData } from './suite-worker.js';

/**
 * Which families each of `workers` threads runs: the costliest first, each to
 * the thread with the least cost so far (the first such thread on a tie), each
 * group in the suite's order; empty groups dropped. With equal costs this is
 * round-robin.
 */
export const dealFamilies = (tasks: ReadonlyArray<string>, workers: number, cost: (task: string) => number = () => 1): string[][] => {
  const n = Math.max(1, workers);
  const load = Array.from({ length: n }, () => 0);
  const owner = new Map<string, number>();
  const byCost = tasks.map((task, i) => ({ task, i })).sort((a, b) => cost(b.task) - cost(a.task) || a.i - b.i);
  for (const { task } of byCost) {
    const w = load.indexOf(Math.min(...load));
    owner.set(task, w);
    load[w]! += cost(task);
  }
  return Array.from({ length: n }, (_, w) => tasks.filter((t) => owner.get(t) === w)).filter((g) => g.length > 0);
};

/** A family's cost in regressor fits: one, and one more for each further readout the main regressor scores on it (the halves of the split on rotation). */
const familyCost = (suite: SuiteOptions) => (task: string): number =>
  1 + ((suite.readoutTasks ?? ['rotation']).includes(task) ? (suite.mlpReadouts ?? []).filter((r) => r !== suite.part).length : 0);

/** Options of {@link equivarianceSuiteOnWorkers}. */
export interface PoolOptions {
  readonly checkpoint: string;
  /** The evaluation data's slot, test split chosen. */
  readonly data: unknown;
  /** The evaluation data's slot, train split chosen (read when the suite fits on it: `fitImages`). */
  readonly fitData?: unknown;
  readonly workers: number;
  readonly backend: BackendPreference;
}

/**
 * The suite's families of `options` for the encoder of `checkpoint` on the
 * evaluation data `data` (its slot), loaded here: what a suite worker runs,
 * and this thread when workers cannot; `fitData` (the train split's slot) when the suite fits there.
 */
export const suiteFromCheckpoint = async (registry: Registry, checkpoint: string, data: unknown, options: SuiteOptions, fitData?: unknown): Promise<E.Either<EquisslError, FamilyResult[]>> => {
  const encoder = await loadEncoder(checkpoint, registry)();
  if (E.isLeft(encoder)) return encoder;
  try {
    const dataset = await openDataset(registry, data, 'data')();
    if (E.isLeft(dataset)) return dataset;
    const fit = options.fitImages !== undefined && fitData !== undefined ? await openDataset(registry, fitData, 'data')() : E.right(undefined);
    return E.isLeft(fit) ? fit : await equivarianceSuite(encoder.right.encoder, dataset.right, registry, options, fit.right);
  } finally {
    encoder.right.encoder.dispose();
  }
};

/** Each group's worker started with `loader`: its results, or why it failed (`task` messages go to `onTask`). */
const runGroup = async (url: URL, loader: WorkerLoader, data: SuiteWorkerData, onTask: (task: string) => void): Promise<FromSuiteWorker> => {
  const channel = workerChannel<never, FromSuiteWorker>(spawnWorker(url, data, loader), 'evaluation worker');
  try {
    // the worker reports each family as it starts it, then its results (or why it failed)
    for (;;) {
      const m = await channel.next();
      if (m.type !== 'task') return m;
      onTask(m.task);
    }
  } catch (e) {
    return { type: 'failed', message: firstLine((e as Error).message) };
  } finally {
    void channel.worker.terminate();
  }
};

/** Runs the suite for `checkpoint` on `o.workers` threads; `suite.onTask` reports each family as a worker starts it. */
export const equivarianceSuiteOnWorkers = async (registry: Registry, suite: SuiteOptions, o: PoolOptions): Promise<E.Either<EquisslError, FamilyResult[]>> => {
  const chosen = resolveFamilies(registry, suite.families ?? defaultFamilies, suite.tasks);
  if (E.isLeft(chosen)) return chosen;
  const tasks = chosen.right.map((f) => f.task);
  const groups = dealFamilies(tasks, o.workers, familyCost(suite));
  const { addresses } = pluginAddresses(registry);
  const { onTask, ...options } = suite;
  const onThisThread = (line: string) => {
    sayFallback(line);
    return suiteFromCheckpoint(registry, o.checkpoint, o.data, { ...suite, tasks }, o.fitData);
  };
  const url = siblingModule(import.meta.url, 'suite-worker');
  const loader = workerLoader(url, [...new Set(addresses.map((a) => a.module))]);
  if (E.isLeft(loader)) return onThisThread(fallbackLine(o.workers, loader.left, false));
  let started = 0;
  const replies = await Promise.all(
    groups.map((group) =>
      runGroup(url, loader.right, { checkpoint: o.checkpoint, data: o.data, fitData: o.fitData, backend: o.backend, plugins: addresses, options: { ...options, tasks: group } }, (task) =>
        onTask?.(task, started++, tasks.length),
      ),
    ),
  );
  const unloadable = replies.find((r) => r.type === 'failed' && r.unloadable !== undefined);
  if (unloadable?.type === 'failed' && unloadable.unloadable !== undefined) return onThisThread(fallbackLine(o.workers, unloadable.unloadable, loader.right._tag === 'Tsx'));
  const failed = replies.find((r) => r.type === 'failed');
  if (failed?.type === 'failed') return E.left(wasmHeapError(failed.message, 'an evaluation worker') ?? configError('workers', `an evaluation worker failed: ${failed.message}`));
  const all = replies.flatMap((r) => (r.type === 'done' ? r.results : []));
  return E.right(tasks.flatMap((t) => all.filter((r) => r.task === t)));
};
