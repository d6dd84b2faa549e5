/**
 * `equissl eval <checkpoint>`: the evaluation suites on a pretrained encoder,
 * written as `results.json`, `report.md` and PNG charts.
 *
 * @since 0.1.0
 */
import type { EquisslError, Registry } from '@equissl/core';
import { type EvaluateOptions, type EvaluationResults, evaluateCheckpoint } from '@equissl/eval';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { writeReport } from '../report.js';

/** Evaluation defaults: sizes that finish in about two minutes for vit-micro on one core. */
export const evalDefaults = {
  equivarianceImages: 1280,
  probeTrainImages: 2048,
  probeTestImages: 1024,
  regressor: { name: 'mlp' },
  part: 'full',
  seed: 0,
} as const;

/** Evaluates one checkpoint and writes its report into `out`. */
export const runEval = (
  registry: Registry,
  checkpoint: string,
  out: string,
  o: Omit<EvaluateOptions, 'onProgress'> & { readonly log: (line: string) => void; readonly label?: string },
): TE.TaskEither<EquisslError, { results: EvaluationResults; files: ReadonlyArray<string> }> =>
  pipe(
    () => evaluateCheckpoint(checkpoint, registry, { ...o, onProgress: (what) => o.log(`eval: ${what}`) }),
    TE.flatMap((results) =>
      pipe(
        writeReport(out, `Evaluation of ${checkpoint}`, [{ label: o.label ?? 'this checkpoint', results }]),
        TE.map((files) => ({ results, files })),
      ),
    ),
  );
