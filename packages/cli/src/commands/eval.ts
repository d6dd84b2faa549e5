/**
 * `equissl eval <checkpoint>`: the evaluation suites on a pretrained encoder,
 * written as `results.json`, `report.md` and PNG charts.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, ensureWritableDir } from '@equissl/core';
import { type EvaluateOptions, type EvaluationResults, evaluateCheckpoint } from '@equissl/eval';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { writeReport } from '../report.js';

/**
 * Evaluation defaults: about five minutes for vit-micro on one core. The
 * equivariance suite uses 4,096 images (3,276 to train the regressor): with
 * 1,280, R²(rotation) of the same checkpoints read 0.16–0.19 instead of
 * 0.46–0.50, the regressor being short of data (docs/results.md).
 */
export const evalDefaults = {
  equivarianceImages: 4096,
  probeTrainImages: 2048,
  probeTestImages: 1024,
  regressor: { name: 'mlp' },
  part: 'clsmean-full',
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
    // fail before the evaluation, not after it, when the results cannot be written
    ensureWritableDir(out),
    TE.flatMap(() => () => evaluateCheckpoint(checkpoint, registry, { ...o, onProgress: (what) => o.log(`eval: ${what}`) })),
    TE.flatMap((results) =>
      pipe(
        writeReport(out, `Evaluation of ${checkpoint}`, [{ label: o.label ?? 'this checkpoint', results }]),
        TE.map((files) => ({ results, files })),
      ),
    ),
  );
