/**
 * `equissl reproduce`: the paper's comparison at CPU scale, over seeds. For
 * every seed it writes the untrained encoder (control), pretrains the
 * invariant baseline and the method (and, with `--ablation`, the method with
 * K = 1 or 3 and the (SIE, all, rot) pair; with `--systems`, other losses and
 * their `ours-X` rows) from the preset in `preset.ts`, scores each final
 * checkpoint with the equivariance suite (four families from the headline
 * readout with SIE's MLP regressor; rotation from six readouts with a ridge
 * regressor), the linear probe and k-NN, and scores R²(rotation) (headline
 * readout, ridge, fitted and scored on the test images' 80/20 split) at every
 * saved checkpoint, the final one included, for the training curves: every
 * point of a curve is scored the same way. Each run's numbers are written as soon as they exist
 * (`<row>/seed<k>/eval.json`), and a rerun into the same folder reuses them,
 * so an interrupted reproduce continues where it stopped.
 *
 * The report (results.json, report.md, r2-curve.png, r2.png, accuracy.png)
 * gives mean ± std over seeds with the per-seed values, and decides each
 * requirement by a one-sided test over the seeds, Holm-corrected over its
 * table (docs/protocol.md). With `--suites …,homography` every
 * final checkpoint is also scored on homography estimation (Mean Corner
 * Error, frozen encoder, the zero predictor and the from-scratch CNN as
 * references; the untrained encoder is already a row), and the report gains
 * an MCE column. The from-scratch CNN does not read the encoder, so it is
 * trained once per seed (with that seed's first row), not once per run.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, configError, ensureWritableDir, writeFileAtomic } from '@equissl/core';
import { openDataset } from '@equissl/data';
import { type EvaluationResults, evaluateCheckpoint, suiteSlots, withSplit } from '@equissl/eval';
import { type Readout, headlineReadout } from '@equissl/encoder';
import { teacherHealthLine } from '@equissl/losses';
import { saveUntrained } from '@equissl/pipeline';
import * as tf from '@tensorflow/tfjs';
import { type Command, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { copyFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type CommandContext, backendOption, backendThenRegistry, evalDefaults, integer, interruptible, logLine, parseSlot, runPretrain, runTask } from '@equissl/cli';
import { writeReproduceReport } from './report.js';
import type { ReproduceRun } from './summary.js';
import { type TeacherHealth, readTeacherHealth } from './systems-report.js';
import {
  type AblationName,
  type PresetName,
  ablationNames,
  cpuTeacherTemp,
  type SystemName,
  type TrainedRow,
  presetNames,
  presetSteps,
  presets,
  reproduceConfigs,
  reproduceRows,
  scenesCommand,
  scenesDir,
  scenesValidationCommand,
  scenesValidationDir,
  type SplitName,
  splitNames,
  systemNames,
  systemPresets,
} from './preset.js';

/** A row of the comparison. */
export type RowName = 'untrained' | TrainedRow;

/** Options of {@link runReproduce}. */
export interface ReproduceOptions {
  readonly out: string;
  /** Steps per trained run (default: the preset's). */
  readonly steps?: number;
  /** Seeds 0 … seeds − 1 for every row. */
  readonly seeds: number;
  readonly workers: number;
  readonly backend: string;
  /** The preset's data set (default `fashion-mnist`). */
  readonly preset?: PresetName;
  /** `validation`: train and score on the preset's validation cut (choosing settings); `test` (default): the results. */
  readonly split?: SplitName;
  /** A dataset slot replacing the preset's data. */
  readonly data?: unknown;
  /** Extra rows: `k1` / `k3` the method with K = 1 / 3, `sie-all-rot` SIE (all) and Ours(SIE, all, rot). */
  readonly ablations?: ReadonlyArray<AblationName>;
  /** Systems added as baseline rows (`vicreg` is the default baseline). */
  readonly systems?: ReadonlyArray<SystemName>;
  /** With {@link systems}: also each system's `ours-X` row. */
  readonly withMethod?: boolean;
  /** Write the report from the runs already finished in `out` (any evaluation version) and run nothing. */
  readonly reportOnly?: boolean;
  /** Train (or resume) every run and evaluate none: the checkpoints exist before the evaluation protocol is fixed; a later run without it evaluates them. */
  readonly trainOnly?: boolean;
  /** Suites scored on each final checkpoint (default {@link reproduceSuites}); `homography` adds the MCE column. */
  readonly suites?: ReadonlyArray<string>;
  /** Settings of the homography suite (`HomographyConfig`; the references are always the zero predictor and, once per seed, the from-scratch CNN). */
  readonly homography?: unknown;
  /** Scales the evaluation set sizes of {@link reproduceEval} (tests use a small value). */
  readonly evalScale: number;
  readonly log: (line: string) => void;
  readonly shouldStop?: () => boolean;
}

/** The suites of reproduce by default (homography is added with `--suites`). */
export const reproduceSuites: ReadonlyArray<string> = ['equivariance', 'linear', 'knn'];
/** Every suite `--suites` accepts (the report has a column for each). */
export const suiteNames: ReadonlyArray<string> = ['equivariance', 'linear', 'knn', 'homography'];

/**
 * Readouts scored on rotation with the ridge regressor, to show where θ is
 * kept (`clsmean-full` is also the training curves' readout). The flattened
 * tokens are left out: their ridge on the protocol's fitting images is a
 * 12,288-wide system per family.
 */
export const reproduceReadouts: ReadonlyArray<Readout> = ['clsmean-full', 'cls-full', 'clsmean-inv', 'clsmean-equi'];

/**
 * Evaluation sizes of reproduce, fixed by the rule of docs/protocol.md on
 * Fashion-MNIST's validation cut: the equivariance suite's regressors fit on
 * {@link reproduceEval.equivarianceFitImages} images of the training split and
 * score 4,096 test images; every row is scored on the same images.
 */
export const reproduceEval = { ...evalDefaults, equivarianceImages: 4096, equivarianceFitImages: 16384 } as const;

/**
 * The version of what a finished run's `eval.json` measured: a rerun reuses a
 * run only when it matches (a run of an older version is re-evaluated from
 * its checkpoint, not retrained). 2: the colour family leaves saturation and
 * hue out of the targets on grey images. 3: the regressors fit on images of
 * the training split and every scored test image is held out (docs/protocol.md).
 */
export const evaluationVersion = 3;

/**
 * The version of a run's training curve: 2 scores the curve's last point as
 * its other points (before, it was the final evaluation's ridge readout,
 * fitted on the training split). A reused run of an older curve version has
 * its last point scored again; nothing else is re-evaluated.
 */
export const curveVersion = 2;

/** Row labels in tables and charts. */
export const rowLabels: Record<RowName, string> = {
  untrained: 'untrained encoder (control)',
  baseline: 'baseline: VICReg on the whole representation',
  method: 'method: VICReg on z_inv + rotation path, K=2, λ=5',
  'method-k1': 'method, K=1 (ablation)',
  'method-k3': 'method, K=3 (ablation)',
  'sie-all': 'SIE (all): SIE, views also differ by one of the "all" families',
  'ours-sie-all-rot': 'Ours(SIE, all, rot): SIE (all) on z_inv + rotation path, K=2, λ=5',
  ...(Object.fromEntries(
    Object.keys(systemPresets).flatMap((s) => {
      const name = { sie: 'SIE', ibot: 'iBOT', dinov2: 'DINOv2', stl: 'STL' }[s]!;
      return [
        [s, `${name} (baseline)`],
        [`ours-${s}`, `Ours(${name}): ${name} on z_inv + rotation path, K=2, λ=5`],
      ];
    }),
  ) as Record<Exclude<RowName, 'untrained' | 'baseline' | 'method' | 'method-k1' | 'method-k3' | 'sie-all' | 'ours-sie-all-rot'>, string>),
};

const readJson = <A>(file: string): A | undefined => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as A) : undefined);

/** Runs every row for every seed (reusing finished runs in `out`) and writes the report. */
export const runReproduce = (registry: Registry, options: ReproduceOptions): TE.TaskEither<EquisslError, { runs: ReadonlyArray<ReproduceRun>; files: ReadonlyArray<string> }> => async () => {
  const preset = options.preset ?? 'fashion-mnist';
  const split = options.split ?? 'test';
  if (split === 'validation' && options.data !== undefined) {
    return E.left<EquisslError>(configError('--split', 'validation scores the preset\'s validation cut; with --data, give your own validation data as --data instead'));
  }
  // Fashion-MNIST is the configs' own default; another preset's data, or a validation cut, is a slot like --data
  const presetData = split === 'validation' ? presets[preset].validation : preset === 'fashion-mnist' ? undefined : presets[preset].data;
  const o = { ...options, data: options.data ?? presetData, teacherTemp: cpuTeacherTemp[preset] };
  const [photoDir, photoCommand] = split === 'validation' ? [scenesValidationDir, `${scenesCommand.split(' && ')[0]} && ${scenesValidationCommand}`] : [scenesDir, scenesCommand];
  if (options.data === undefined && preset === 'photos' && options.reportOnly !== true && !existsSync(photoDir)) {
    return E.left<EquisslError>(configError('--preset', `photos reads ${photoDir}, which does not exist here; cut it from Debian's wallpapers first: ${photoCommand}`));
  }
  const steps = o.steps ?? presetSteps;
  const seeds = Array.from({ length: o.seeds }, (_, i) => i);
  const rows: RowName[] = reproduceRows({ ablations: o.ablations ?? [], systems: o.systems ?? [], withMethod: o.withMethod === true });
  const scaled = (n: number) => Math.max(40, Math.round(n * o.evalScale));
  const trainData = o.data === undefined ? undefined : withSplit(registry, o.data, 'train');
  const total = rows.length * seeds.length;
  const runs: ReproduceRun[] = [];
  const suites = o.suites ?? reproduceSuites;
  // a finished run is reused only when it holds every suite asked for (else its checkpoint is evaluated again)
  const hasSuites = (r: EvaluationResults) => !suites.includes('homography') || r.homography !== undefined;
  // the from-scratch CNN reads pixels, not the encoder: it is trained once per seed, with the seed's first row
  const evaluate = (checkpoint: string, seed: number, what: string, full: boolean, scratch = false) =>
    evaluateCheckpoint(checkpoint, registry, {
      suites: suiteSlots(full ? suites : ['equivariance'], {
        equivariance: {
          images: scaled(reproduceEval.equivarianceImages),
          // the curves' ridge on rotation settles on fewer images (docs/protocol.md): 80/20 of the scored images
          ...(full ? { fitImages: scaled(reproduceEval.equivarianceFitImages) } : {}),
          readouts: full ? reproduceReadouts : [],
          // curves: R²(rotation) from the headline readout with the ridge regressor (a fraction of the MLP's cost)
          regressor: full ? reproduceEval.regressor : { name: 'ridge' },
          ...(full ? {} : { tasks: ['rotation'] }),
        },
        homography: { ...(typeof o.homography === 'object' && o.homography !== null ? o.homography : {}), references: scratch ? ['zero', 'scratch'] : ['zero'] },
      }),
      ...(o.data !== undefined ? { data: o.data } : {}),
      part: headlineReadout,
      seed,
      probeTrainImages: scaled(reproduceEval.probeTrainImages),
      probeTestImages: scaled(reproduceEval.probeTestImages),
      workers: o.workers,
      onProgress: (p) => o.log(`  eval ${what}: ${p}`),
    });
  // a curve's last point (step 0 for the untrained control), scored as its other points are
  const curveEnd = async (checkpoint: string, seed: number, row: string) => {
    const end = await evaluate(checkpoint, seed, `${row} seed ${seed} step ${row === 'untrained' ? 0 : steps}`, false);
    return E.map((r: EvaluationResults) => r.equivariance?.[0]?.r2 ?? Number.NaN)(end);
  };
  const writable = await ensureWritableDir(o.out)();
  if (E.isLeft(writable)) return E.left<EquisslError>(writable.left);
  if (o.reportOnly !== true) {
    // before any training: can the data fill a batch, and which suites can it serve?
    const trainConfig = reproduceConfigs({ seed: 0, steps, workers: o.workers, data: trainData }).baseline;
    const opened = await openDataset(registry, trainConfig['data'], 'data')();
    if (E.isLeft(opened)) return opened;
    const batch = Number(trainConfig['batchSize']);
    if (opened.right.size < batch) return E.left<EquisslError>(configError('data', `${opened.right.source} holds ${opened.right.size} training images, fewer than one batch of ${batch}; add images`));
    const classes = opened.right.classNames?.length ?? 0;
    if (classes < 2) o.log(`reproduce: ${opened.right.source} has ${classes === 0 ? 'no labels' : 'one class'}: the linear probe and k-NN are left out, R² only`);
  }
  let index = 0;
  for (const seed of seeds) {
    for (const row of rows) {
      index++;
      const dir = join(o.out, row, `seed${seed}`);
      const done = readJson<ReproduceRun>(join(dir, 'eval.json'));
      if (o.reportOnly === true) {
        if (done !== undefined) runs.push(done);
        continue;
      }
      if (done !== undefined && done.steps === (row === 'untrained' ? 0 : steps) && done.evaluationVersion === evaluationVersion && hasSuites(done.results)) {
        if (done.curveVersion === curveVersion) {
          o.log(`reproduce: run ${index} of ${total}: ${row}, seed ${seed} — already done (${join(dir, 'eval.json')})`);
          runs.push(done);
          continue;
        }
        o.log(`reproduce: run ${index} of ${total}: ${row}, seed ${seed} — done; scoring its curve's last point as the others`);
        const end = await curveEnd(join(dir, 'checkpoint.safetensors'), seed, row);
        if (E.isLeft(end)) return end;
        const run: ReproduceRun = { ...done, curveVersion, curve: [...done.curve.filter((p) => p.step !== done.steps), { step: done.steps, rotation: end.right }] };
        const saved = await writeFileAtomic(join(dir, 'eval.json'), `${JSON.stringify(run, null, 2)}\n`)();
        if (E.isLeft(saved)) return saved;
        runs.push(run);
        continue;
      }
      o.log(`reproduce: run ${index} of ${total}: ${row}, seed ${seed}${row === 'untrained' ? '' : `, ${steps} steps`}`);
      const started = Date.now();
      // how long the run took, for planning the rest (not stored: eval.json holds measurements only)
      const took = () => `(${((Date.now() - started) / 60000).toFixed(1)} min)`;
      const made = await ensureWritableDir(dir)();
      if (E.isLeft(made)) return E.left<EquisslError>(made.left);
      const configs = reproduceConfigs({ seed, steps, workers: o.workers, data: trainData, teacherTemp: o.teacherTemp });
      const curveFiles: { step: number; file: string }[] = [];
      let checkpoint: string;
      if (row === 'untrained') {
        const saved = await saveUntrained(configs.method, registry, dir, o.backend)();
        if (E.isLeft(saved)) return saved;
        checkpoint = saved.right;
        if (o.trainOnly === true) continue;
      } else {
        const resume = existsSync(join(dir, 'checkpoint.safetensors')) && readJson<unknown>(join(dir, 'config.json')) !== undefined;
        const trained = await runPretrain(registry, resume ? {} : configs[row], {
          out: dir,
          resume,
          // a run that never reached its first checkpoint starts over
          overwrite: !resume,
          backend: o.backend,
          log: o.log,
          ...(o.shouldStop ? { shouldStop: o.shouldStop } : {}),
          onCheckpoint: (file, step) => {
            if (step >= steps) return;
            const copy = join(dir, `checkpoint-step${step}.safetensors`);
            copyFileSync(file, `${copy}.tmp`);
            renameSync(`${copy}.tmp`, copy);
          },
        })();
        if (E.isLeft(trained)) return trained;
        trained.right.result.model.dispose();
        if (trained.right.result.interrupted) {
          return E.left<EquisslError>({ _tag: 'IoError', file: trained.right.result.checkpoint, message: `interrupted; run the same command again to continue from ${trained.right.result.checkpoint}` });
        }
        checkpoint = trained.right.result.checkpoint;
        const teacher = trained.right.teacher;
        if (teacher !== undefined) o.log(`reproduce: ${row} seed ${seed}: ${teacherHealthLine(teacher)}`);
        if (o.trainOnly === true) {
          o.log(`reproduce: ${row} seed ${seed}: trained (${checkpoint}); not evaluated (--train-only) ${took()}`);
          continue;
        }
        const every = Number((configs[row] as { checkpointEvery: number }).checkpointEvery);
        for (let s = every; s < steps; s += every) {
          const f = join(dir, `checkpoint-step${s}.safetensors`);
          if (existsSync(f)) curveFiles.push({ step: s, file: f });
        }
      }
      const results = await evaluate(checkpoint, seed, `${row} seed ${seed}`, true, row === rows[0]);
      if (E.isLeft(results)) return results;
      const curve: { step: number; rotation: number }[] = [];
      for (const c of curveFiles) {
        const r = await evaluate(c.file, seed, `${row} seed ${seed} step ${c.step}`, false);
        if (E.isLeft(r)) return r;
        curve.push({ step: c.step, rotation: r.right.equivariance?.[0]?.r2 ?? Number.NaN });
      }
      const end = await curveEnd(checkpoint, seed, row);
      if (E.isLeft(end)) return end;
      curve.push({ step: row === 'untrained' ? 0 : steps, rotation: end.right });
      const run: ReproduceRun = { row, seed, steps: row === 'untrained' ? 0 : steps, evaluationVersion, curveVersion, results: results.right, curve };
      const saved = await writeFileAtomic(join(dir, 'eval.json'), `${JSON.stringify(run, null, 2)}\n`)();
      if (E.isLeft(saved)) return saved;
      o.log(`reproduce: ${row} seed ${seed}: ${summaryLine(results.right)}  ${took()}`);
      runs.push(run);
    }
  }
  if (o.trainOnly === true) return E.right({ runs, files: [] });
  if (runs.length === 0) return E.left<EquisslError>({ _tag: 'IoError', file: o.out, message: 'holds no finished run (no <row>/seed<k>/eval.json); run equissl reproduce without --report-only first' });
  const reported = [...new Set(runs.map((r) => r.seed))].sort((a, b) => a - b);
  const files = await writeReproduceReport(o.out, runs, {
    rows,
    seeds: reported,
    steps,
    data: runs[0]?.results.data ?? '',
    labels: rowLabels,
    workers: o.workers,
    accuracyTargets: preset === 'fashion-mnist' && options.data === undefined,
    teacher: teacherOf(o.out, runs),
    split,
  })();
  if (E.isLeft(files)) return files;
  return E.right({ runs, files: files.right });
};

/**
 * The teacher health of the runs: from their metrics where the folder has them, else from the folder's earlier
 * results.json (a committed report keeps the runs' eval.json and the teacher table, not the metrics logs).
 */
const teacherOf = (out: string, runs: ReadonlyArray<ReproduceRun>): TeacherHealth[] => {
  const read = readTeacherHealth(out, runs);
  const kept = readJson<{ teacher?: TeacherHealth[] }>(join(out, 'results.json'))?.teacher ?? [];
  const has = (t: { row: string; seed: number }) => read.some((r) => r.row === t.row && r.seed === t.seed);
  const at = (t: { row: string; seed: number }) => runs.findIndex((r) => r.row === t.row && r.seed === t.seed);
  return [...read, ...kept.filter((t) => !has(t) && at(t) >= 0)].sort((a, b) => at(a) - at(b));
};

/** One line of a run's headline numbers. */
export const summaryLine = (r: EvaluationResults): string =>
  [
    ...(r.equivariance ?? []).map((f) => `${f.task} ${f.r2.toFixed(3)}`),
    ...(r.meanR2 !== undefined ? [`mean ${r.meanR2.toFixed(3)}`] : []),
    ...(r.linearAccuracy !== undefined ? [`linear ${(100 * r.linearAccuracy).toFixed(1)} %`] : []),
    ...(r.knnAccuracy !== undefined ? [`k-NN ${(100 * r.knnAccuracy).toFixed(1)} %`] : []),
    ...(r.homography !== undefined ? [`MCE ${r.homography.mce.toFixed(2)} px`] : []),
  ].join('  ');

/** `equissl reproduce`: its options (an unknown `--systems` name exits with code 2 before anything runs), and the report it prints. */
export const reproduceCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('reproduce')
    .description('the paper\'s comparison over seeds: untrained control, invariant baseline and the method (preset: Fashion-MNIST 32 px, vit-micro), evaluated and reported as mean ± std')
    .option('--out <dir>', 'output folder (a rerun into it reuses finished runs)', 'out/reproduce')
    .option('--steps <n>', `pretraining steps of each trained run (default: the preset's ${presetSteps})`, integer)
    .option('--seeds <n>', 'seeds 0 … n−1 for every row', integer, 3)
    .addOption(new Option('--preset <name>', `the data set: ${presetNames.map((n) => `${n} (${presets[n].description})`).join('; ')}`).choices(presetNames).default('fashion-mnist'))
    .addOption(new Option('--split <name>', "where the runs are trained and scored: test (the results) or validation (the preset's validation cut inside its training data, for choosing settings)").choices(splitNames).default('test'))
    .option('--data <slot>', "dataset as YAML replacing the preset's, e.g. '{name: image-folder, dir: photos, size: 32}'; image folders are split into disjoint train/test parts (or read from their train/ and test/ sub-folders)")
    .addOption(new Option('--ablation <names...>', 'extra rows: k1, k3 (the method with K = 1, 3: the K ablation), sie-all-rot (SIE (all) and Ours(SIE, all, rot))').choices(ablationNames))
    .option('--systems <names>', `comma-separated losses to add as baseline rows (${systemNames.join(', ')}; vicreg is the default baseline)`, (v) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''))
    .option('--with-method', 'with --systems: also each system\'s Ours(X) row (X on z_inv plus the method\'s decoders)')
    .option('--suites <names>', `comma-separated suites scored on each final checkpoint (${suiteNames.join(', ')}; default ${reproduceSuites.join(',')}); homography adds the MCE column`, (v) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''))
    .option('--homography <settings>', "homography suite settings as YAML, e.g. '{steps: 100}' (docs/homography.md)")
    .option('--workers <n>', 'data-parallel replicas (default: one per core, at most 2)', integer, Math.min(2, availableParallelism()))
    .option('--eval-scale <x>', 'scale of the evaluation set sizes', (v) => Number.parseFloat(v), 1)
    .option('--report-only', 'write the report from the runs already finished in --out, and run nothing')
    .option('--train-only', 'train (or resume) every run and evaluate none; a later run without it evaluates the checkpoints (the evaluation fixed after training, the test split scored once)')
    .addOption(backendOption())
    .action(async (o: { out: string; preset: PresetName; split: SplitName; steps?: number; seeds: number; data?: string; ablation?: AblationName[]; systems?: string[]; suites?: string[]; homography?: string; withMethod?: boolean; workers: number; evalScale: number; reportOnly?: boolean; trainOnly?: boolean; backend?: BackendPreference }) => {
      const unknown = (o.systems ?? []).filter((s) => !(systemNames as ReadonlyArray<string>).includes(s));
      if (unknown.length > 0) {
        process.stderr.write(`equissl: --systems: unknown system ${unknown.map((s) => `"${s}"`).join(', ')}; choose from ${systemNames.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const unknownSuites = (o.suites ?? []).filter((s) => !(suiteNames as ReadonlyArray<string>).includes(s));
      if (unknownSuites.length > 0 || (o.suites !== undefined && o.suites.length === 0)) {
        process.stderr.write(`equissl: --suites: ${unknownSuites.length > 0 ? `unknown suite ${unknownSuites.map((s) => `"${s}"`).join(', ')}` : 'no suite named'}; choose from ${suiteNames.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      if (o.trainOnly === true && o.reportOnly === true) {
        process.stderr.write('equissl: --train-only trains without evaluating and --report-only reports without training; give one of them\n');
        process.exitCode = 2;
        return;
      }
      if (o.withMethod === true && (o.systems ?? []).length === 0) process.stderr.write('equissl: --with-method adds Ours(X) rows for the systems of --systems; none given, so it changes nothing\n');
      const interrupt = interruptible();
      await runTask(
        pipe(
          backendThenRegistry(shared, o.backend),
          TE.flatMap((registry) =>
            runReproduce(registry, {
              out: o.out,
              ...(o.steps !== undefined ? { steps: o.steps } : {}),
              seeds: o.seeds,
              preset: o.preset,
              split: o.split,
              workers: o.workers,
              backend: tf.getBackend(),
              evalScale: o.evalScale,
              ablations: o.ablation ?? [],
              systems: (o.systems ?? []) as SystemName[],
              withMethod: o.withMethod === true,
              ...(o.suites !== undefined ? { suites: o.suites } : {}),
              ...(o.homography !== undefined ? { homography: parseSlot(o.homography) } : {}),
              reportOnly: o.reportOnly === true,
              trainOnly: o.trainOnly === true,
              ...(o.data !== undefined ? { data: parseSlot(o.data) } : {}),
              log: logLine,
              shouldStop: interrupt.shouldStop,
            }),
          ),
        ),
        ({ files }) => {
          const report = files.find((f) => f.endsWith('report.md'));
          if (report !== undefined) process.stdout.write(readFileSync(report, 'utf8'));
          for (const f of files) process.stdout.write(`wrote ${f}\n`);
        },
      );
      interrupt.release();
    });
