/**
 * `equissl eval <checkpoint>`: the evaluation suites on a pretrained encoder,
 * written as `results.json`, `report.md` and PNG charts. What it prints and
 * what the report holds come from the suites that ran (their presentations).
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, configError, ensureWritableDir } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { probeImageDefaults, type EvaluateOptions, type EvaluationResults, defaultSuites, evaluateCheckpoint, registeredSuites, suitePresentations, suiteSlots, summaryLines } from '@equissl/eval';
import { type Readout, allReadouts, headlineReadout } from '@equissl/encoder';
import { type Command, InvalidArgumentError, Option } from 'commander';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { type CommandContext, backendOption, backendThenRegistry, integer, logLine, parseSlot, pluginsOption, runTask } from '../cli-support.js';
import { writeReport } from '@equissl/report';

/**
 * Evaluation defaults: about five minutes for vit-micro on one core. The
 * equivariance suite uses 4,096 images (3,276 to train the regressor): with
 * 1,280, R²(rotation) of the same checkpoints read 0.16–0.19 instead of
 * 0.46–0.50, the regressor being short of data (lab/notebook.md).
 */
export const evalDefaults = {
  equivarianceImages: 4096,
  probeTrainImages: probeImageDefaults.train,
  probeTestImages: probeImageDefaults.test,
  regressor: { name: 'mlp' },
  part: 'clsmean-full',
  seed: 0,
} as const;

/** The command's settings of each suite, keyed by suite name (see `suiteSlots`). */
export interface SuiteSettings {
  readonly equivariance?: {
    readonly images: number;
    /** Images of the training split the regressors fit on (then every one of `images` is scored). */
    readonly fitImages?: number;
    readonly regressor: unknown;
    readonly readouts: ReadonlyArray<Readout>;
    /** The families scored: transform plugin names or slots (default: rotation, colorJitter, gaussianBlur, translation). */
    readonly families?: ReadonlyArray<unknown>;
    readonly tasks?: ReadonlyArray<string>;
  };
  readonly homography?: object;
  readonly [suite: string]: object | undefined;
}

/** `--suite linear,knn`: suite names, comma-separated (repeats dropped), or `all`; the names are checked against the registry by {@link chosenSuites}. */
export const suiteList = (v: string): 'all' | string[] => {
  if (v.trim() === 'all') return 'all';
  const names = [...new Set(v.split(',').map((x) => x.trim()).filter((x) => x !== ''))];
  if (names.length === 0) throw new InvalidArgumentError(`no suite named in '${v}'; name suites comma-separated, or all`);
  return names;
};

/** The suites of `--suite`: `all` is every suite plugin that runs by default; a name the registry does not know is an error naming the known ones. */
export const chosenSuites = (registry: Registry, asked: 'all' | ReadonlyArray<string>): E.Either<EquisslError, string[]> => {
  if (asked === 'all') return E.right(defaultSuites(registry));
  const known = registeredSuites(registry);
  const unknown = asked.filter((n) => !known.includes(n));
  return unknown.length > 0
    ? E.left(configError('suite', `unknown suite ${unknown.map((n) => `'${n}'`).join(', ')}; choose from ${known.join(', ')} (comma-separated) or all; a suite of your own needs its module: --plugins FILE`))
    : E.right([...asked]);
};

/** `--probe-images 10000,2048`: two positive integers, training then test images of the probes. */
export const probeImages = (v: string): { train: number; test: number } => {
  const parts = v.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 2 || !parts.every((n) => Number.isInteger(n) && n > 0)) throw new InvalidArgumentError(`expected two positive integers <train>,<test>, e.g. 10000,2048; got '${v}'`);
  return { train: parts[0]!, test: parts[1]! };
};

/** Worker threads of `equissl eval` by default: one per core, at most one per family of the suite (4). */
export const defaultEvalWorkers = (cores: number = availableParallelism()): number => Math.max(1, Math.min(4, cores));

/** The homography suite's settings from `--homography` (YAML) and `--finetune`. */
export const homographySettings = (yaml: string | undefined, finetune: boolean): unknown => {
  const given = yaml === undefined ? {} : parseSlot(yaml);
  return finetune && typeof given === 'object' && given !== null ? { ...given, finetune: true } : given;
};

/**
 * Evaluates one checkpoint and writes its report into `out`: the sections
 * and figures of the suites that ran, and the lines they print (`summary`).
 */
export const runEval = (
  registry: Registry,
  checkpoint: string,
  out: string,
  o: Omit<EvaluateOptions, 'onProgress'> & { readonly log: (line: string) => void; readonly label?: string },
): TE.TaskEither<EquisslError, { results: EvaluationResults; files: ReadonlyArray<string>; summary: ReadonlyArray<string> }> =>
  pipe(
    // fail before the evaluation, not after it, when the results cannot be written
    ensureWritableDir(out),
    TE.flatMap(() => TE.fromEither(suitePresentations(registry, o.suites))),
    TE.flatMap((presentations) =>
      pipe(
        () => evaluateCheckpoint(checkpoint, registry, { ...o, onProgress: (what) => o.log(`eval: ${what}`) }),
        TE.flatMap((results) =>
          pipe(
            writeReport(out, `Evaluation of ${checkpoint}`, [{ label: o.label ?? 'this checkpoint', results }], presentations),
            TE.map((files) => ({ results, files, summary: summaryLines(presentations, results) })),
          ),
        ),
      ),
    ),
  );

/** `equissl eval <checkpoint>`: its options, and the scores and files it prints. */
export const evalCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('eval')
    .description('evaluate a checkpoint: equivariance suite (R² of θ), linear probe, k-NN (all by default), or homography estimation (--suite homography); writes report.md, results.json and PNG charts')
    .argument('<checkpoint>', 'a checkpoint.safetensors written by equissl pretrain')
    .option('--suite <names>', 'which evaluations, comma-separated, from the suite plugins (equissl plugins lists them: equivariance, linear, knn, homography …); all (the default) is every one but homography', suiteList, 'all')
    .option('--data <slot>', "dataset as YAML, e.g. '{name: idx}' or '{name: cifar-binary, dir: data/cifar-10-batches-bin}' (default: the checkpoint's training data); its train split trains the heads, its test split scores them")
    .addOption(new Option('--features <readout>', 'readout of every suite: <cls|clsmean|tokens>-<full|inv|equi> (tokens: patch tokens flattened; inv/equi: after the neck)').choices([...allReadouts]).default(headlineReadout))
    .option('--families <names...>', "the equivariance suite's families: transform plugins by name (default rotation colorJitter gaussianBlur translation; equissl plugins lists them)")
    .addOption(new Option('--readouts <names...>', 'further readouts scored on rotation, to show where θ is kept (e.g. cls-full tokens-equi)').choices([...allReadouts]))
    .option('--finetune', 'homography suite: fine-tune the encoder (backbone at finetuneLrScale × the head\'s learning rate, 0.1 by default) instead of training the head on frozen features')
    .option('--homography <settings>', "homography suite settings as YAML, e.g. '{steps: 100, trainPairs: 512, rhoFraction: 0.25}' (docs/homography.md)")
    .option('--out <dir>', 'report folder (default: eval/ beside the checkpoint)')
    .option('--seed <n>', 'seed of θ draws and heads', integer, 0)
    .option('--probe-images <train,test>', `images of the linear probe and k-NN: training (labelled set) and test (default ${evalDefaults.probeTrainImages},${evalDefaults.probeTestImages}; the standard protocol uses the whole train split, e.g. 60000,10000 for Fashion-MNIST)`, probeImages)
    .option('--regressor <slot>', "the equivariance suite's regressor as YAML (default SIE's MLP, '{name: mlp}'; '{name: mlp, hidden: [512, 512]}' fits ~3× faster, R² within ~0.02: docs/performance.md; '{name: ridge}' is closed-form)")
    .option('--fit-images <n>', `equivariance suite: fit the regressors on n images of the training split and score all ${evalDefaults.equivarianceImages} test images (default: fit on 80 % of the ${evalDefaults.equivarianceImages} test images, score 20 %)`, integer)
    .option('--workers <n>', 'worker threads for the equivariance suite\'s families (default: one per core, at most 4; the results do not depend on it)', integer, defaultEvalWorkers())
    .addOption(pluginsOption())
    .addOption(backendOption())
    .action(async (checkpoint: string, o: { plugins?: string[]; suite: 'all' | string[]; probeImages?: { train: number; test: number }; data?: string; features: Readout; readouts?: Readout[]; families?: string[]; out?: string; finetune?: boolean; homography?: string; regressor?: string; fitImages?: number; seed: number; workers: number; backend?: BackendPreference }) => {
      const out = o.out ?? join(dirname(checkpoint), 'eval');
      const settings: SuiteSettings = {
        equivariance: { images: evalDefaults.equivarianceImages, ...(o.fitImages !== undefined ? { fitImages: o.fitImages } : {}), regressor: o.regressor !== undefined ? parseSlot(o.regressor) : evalDefaults.regressor, readouts: o.readouts ?? [], ...(o.families !== undefined ? { families: o.families } : {}) },
        ...(o.homography !== undefined || o.finetune === true ? { homography: homographySettings(o.homography, o.finetune === true) as object } : {}),
      };
      await runTask(
        pipe(
          backendThenRegistry(shared, o.backend, { plugins: o.plugins ?? [], checkpoints: [checkpoint] }),
          TE.flatMap((registry) =>
            pipe(
              TE.fromEither(chosenSuites(registry, o.suite)),
              TE.flatMap((names: string[]) =>
                runEval(registry, checkpoint, out, {
                  suites: suiteSlots(names, settings),
                  part: o.features,
                  seed: o.seed,
                  workers: o.workers,
                  probeTrainImages: o.probeImages?.train ?? evalDefaults.probeTrainImages,
                  probeTestImages: o.probeImages?.test ?? evalDefaults.probeTestImages,
                  ...(o.data !== undefined ? { data: parseSlot(o.data) } : {}),
                  log: logLine,
                }),
              ),
            ),
          ),
        ),
        ({ summary, files }) => {
          for (const line of summary) process.stdout.write(`${line}\n`);
          for (const f of files) process.stdout.write(`wrote ${f}\n`);
        },
      );
    });
