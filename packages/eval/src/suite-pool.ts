/**
 * The equivariance suite on several worker threads: the families are dealt
 * round-robin to `workers` threads (rotation, blur on one; colour,
 * translation on the other, for two), each of which loads the encoder and
 * runs its families exactly as the single-threaded suite would — same θ
 * draws, same features, same regressor seeds — so the results equal the
 * single-threaded ones, in the suite's family order.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, configError, pluginAddresses, siblingModule, spawnWorker, workerChannel } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { type FamilyResult, type SuiteOptions, suiteFamilies } from './equivariance.js';
import type { FromSuiteWorker, SuiteWorkerData } from './suite-worker.js';

/** Which families each of `workers` threads runs (round-robin over the suite's order; empty groups dropped). */
export const dealFamilies = (tasks: ReadonlyArray<string>, workers: number): string[][] =>
  Array.from({ length: Math.max(1, workers) }, (_, w) => tasks.filter((_, i) => i % Math.max(1, workers) === w)).filter((g) => g.length > 0);

/** Options of {@link equivarianceSuiteOnWorkers}. */
export interface PoolOptions {
  readonly checkpoint: string;
  /** The evaluation data's slot, test split chosen. */
  readonly data: unknown;
  readonly workers: number;
  readonly backend: BackendPreference;
}

/** Runs the suite for `checkpoint` on `o.workers` threads; `suite.onTask` reports each family as a worker starts it. */
export const equivarianceSuiteOnWorkers = async (registry: Registry, suite: SuiteOptions, o: PoolOptions): Promise<E.Either<EquisslError, FamilyResult[]>> => {
  const tasks = suiteFamilies.map((f) => f.task).filter((t) => suite.tasks === undefined || suite.tasks.includes(t));
  const groups = dealFamilies(tasks, o.workers);
  const { addresses } = pluginAddresses(registry);
  const { onTask, ...options } = suite;
  let started = 0;
  const url = siblingModule(import.meta.url, 'suite-worker');
  const replies = await Promise.all(
    groups.map(async (group): Promise<FromSuiteWorker> => {
      const data: SuiteWorkerData = { checkpoint: o.checkpoint, data: o.data, backend: o.backend, plugins: addresses, options: { ...options, tasks: group } };
      const channel = workerChannel<never, FromSuiteWorker>(spawnWorker(url, data), 'evaluation worker');
      try {
        // the worker reports each family as it starts it, then its results (or why it failed)
        for (;;) {
          const m = await channel.next();
          if (m.type !== 'task') return m;
          onTask?.(m.task, started++, tasks.length);
        }
      } catch (e) {
        return { type: 'failed', message: (e as Error).message };
      } finally {
        void channel.worker.terminate();
      }
    }),
  );
  const failed = replies.find((r) => r.type === 'failed');
  if (failed?.type === 'failed') return E.left(configError('workers', `an evaluation worker failed: ${failed.message}`));
  const all = replies.flatMap((r) => (r.type === 'done' ? r.results : []));
  return E.right(tasks.flatMap((t) => all.filter((r) => r.task === t)));
};
