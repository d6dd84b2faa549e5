/**
 * The worker-thread side of the equivariance suite on several workers (see
 * `suite-pool.ts`): loads the checkpoint's encoder, opens the evaluation
 * data, runs {@link equivarianceSuite} on the families it was given and posts
 * their results. Every family draws θ and trains its regressor from its own
 * seeded stream, so a family's R² does not depend on which worker ran it.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type PluginAddress, type UnloadableModule, firstLine, rebuildRegistry, selectBackend } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { parentPort, workerData } from 'node:worker_threads';
import type { FamilyResult, SuiteOptions } from './equivariance.js';
import { suiteFromCheckpoint } from './suite-pool.js';

/** What the main thread gives a suite worker. */
export interface SuiteWorkerData {
  readonly checkpoint: string;
  /** The evaluation data's slot (its test split already chosen). */
  readonly data: unknown;
  /** The evaluation data's slot with its train split chosen, where the suite fits its regressors there. */
  readonly fitData?: unknown;
  readonly backend: BackendPreference;
  /** Where the caller's plugins live. */
  readonly plugins: ReadonlyArray<PluginAddress>;
  readonly options: Omit<SuiteOptions, 'onTask'>;
}

/** Messages to the main thread. */
export type FromSuiteWorker =
  | { readonly type: 'task'; readonly task: string }
  | { readonly type: 'done'; readonly results: FamilyResult[] }
  /** `unloadable`: a plugin module this thread could not import (the caller then runs the suite itself). */
  | { readonly type: 'failed'; readonly message: string; readonly unloadable?: UnloadableModule };

const run = async (): Promise<FromSuiteWorker> => {
  const d = workerData as SuiteWorkerData;
  const backend = await selectBackend(d.backend)();
  if (E.isLeft(backend)) return { type: 'failed', message: backend.left.message };
  const registry = await rebuildRegistry(d.plugins);
  if (E.isLeft(registry)) return { type: 'failed', ...registry.left };
  const results = await suiteFromCheckpoint(registry.right, d.checkpoint, d.data, {
    ...d.options,
    onTask: (task) => parentPort!.postMessage({ type: 'task', task } satisfies FromSuiteWorker),
  }, d.fitData);
  return E.isLeft(results) ? { type: 'failed', message: results.left.message } : { type: 'done', results: results.right };
};

parentPort!.postMessage(await run().catch((e: unknown): FromSuiteWorker => ({ type: 'failed', message: firstLine(e instanceof Error ? e.message : String(e)) })));
