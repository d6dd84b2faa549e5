/**
 * What an evaluation suite is: a `suite` plugin whose config has its own
 * codec and defaults, and whose instance runs on a loaded encoder and the
 * evaluation data and returns its fields of the results. A suite also
 * presents them (`presentation`: its section of `report.md`, its figures and
 * the lines `equissl eval` prints; `presentation.ts`). A new downstream task
 * is one file (the plugin, its result fields declared in
 * {@link SuiteResults} by module augmentation, and its presentation) and one
 * registration.
 *
 * ```ts
 * declare module '@equissl/eval' {
 *   interface SuiteResults { readonly sharpness?: number }
 * }
 * export const sharpness = definePlugin({ kind: 'suite', name: 'sharpness', …,
 *   create: (c) => E.right({ byDefault: false, run: async (ctx) => E.right({ sharpness: … }),
 *     presentation: { id: 'sharpness', markdown: (entries) => […], summary: (r) => r.sharpness === undefined ? [] : [`sharpness = ${r.sharpness}`] } }) });
 * ```
 *
 * @since 0.1.0
 */
import type { EquisslError, Registry } from '@equissl/core';
import type { Dataset } from '@equissl/data';
import type { FrozenEncoder, Readout } from '@equissl/encoder';
import type * as E from 'fp-ts/lib/Either.js';
import type { SuitePresentation } from './presentation.js';
import type { ProbeFeatures } from './probe.js';

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * The results' fields that suites fill, one or more per suite. Suite
 * packages add theirs by module augmentation of this interface.
 */
export interface SuiteResults {}

/** What every suite may read. */
export interface SuiteContext {
  /** The encoder and what its checkpoint says (config, image shape, step). */
  readonly frozen: FrozenEncoder;
  readonly registry: Registry;
  /** The evaluation data's train split (heads train on it) and test split (they are scored on it). */
  readonly train: Dataset;
  readonly test: Dataset;
  /** The evaluation data's slot with its test split chosen, for suites that open it again on worker threads. */
  readonly testSlot: unknown;
  /** The evaluation data's slot with its train split chosen (for suites that fit on it on worker threads). */
  readonly trainSlot: unknown;
  /** The headline readout. */
  readonly part: Readout;
  readonly seed: number;
  /** Worker threads a suite may use beside this thread. */
  readonly workers: number;
  /** The labelled train/test features of the headline readout, encoded once for every suite that reads them. */
  readonly labelledFeatures: () => Promise<E.Either<EquisslError, ProbeFeatures>>;
  readonly onProgress: (what: string) => void;
}

/** A suite, created from its decoded config. */
export interface EvalSuite {
  /** Whether `equissl eval --suite all` (the default) runs it; the costly ones run only when named. */
  readonly byDefault: boolean;
  /** Needs labelled data; on unlabelled data it is skipped with a note in the results. */
  readonly needsLabels?: boolean;
  /** Runs off this thread (it is started before the others and awaited after them). */
  readonly background?: (ctx: SuiteContext) => boolean;
  readonly run: (ctx: SuiteContext) => Promise<E.Either<EquisslError, Partial<SuiteResults>>>;
  /** Its section of `report.md`, its figures and its printed lines; without one, its fields are in `results.json` only. */
  readonly presentation?: SuitePresentation;
}
