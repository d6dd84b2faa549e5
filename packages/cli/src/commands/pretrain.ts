/**
 * `equissl pretrain`: runs the pretraining pipeline from a config (file +
 * overrides), shows progress, stops cleanly on Ctrl-C with a checkpoint, and
 * leaves in `--out`: `checkpoint.safetensors`, `metrics.jsonl`,
 * `config.json`, `loss.png` (loss curves) and `reconstructions.png`
 * (v1, the K targets u_k, the K reconstructions û_k, and v2 per row).
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry } from '@equissl/core';
import { type TeacherHealth, teacherHealthLine, teacherHealthOf } from '@equissl/losses';
import { type PretrainResult, pretrain, reconstructionPreview } from '@equissl/pipeline';
import * as tf from '@tensorflow/tfjs';
import { type Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type CommandContext, backendOption, backendThenRegistry, collect, interruptible, pluginsOption, runTask } from '../cli-support.js';
import { configPlugins } from '../user-plugins.js';
import { applyOverrides, readConfigFile } from '../config-input.js';
import { type CurvePoint, lossCurveSpec, writeChart, writeImageGrid } from '@equissl/report';
import { progress } from '../progress.js';

/** Options of {@link runPretrain}. */
export interface PretrainCommandOptions {
  readonly out: string;
  readonly resume: boolean;
  /** A fresh run replaces a run already in `out` (default: refuse). */
  readonly overwrite?: boolean;
  readonly backend: string;
  /** Polled after each step (Ctrl-C). */
  readonly shouldStop?: () => boolean;
  readonly log?: (line: string) => void;
  /** Called after each checkpoint is written (file, completed steps). */
  readonly onCheckpoint?: (file: string, step: number) => void;
}

/** What the command wrote, and the health of the loss's teacher where it has one. */
export interface PretrainOutputs {
  readonly result: PretrainResult;
  readonly lossPlot: string;
  readonly previewGrid: string;
  readonly teacher?: TeacherHealth;
}

const metricsLines = (metricsFile: string): Record<string, number>[] =>
  readFileSync(metricsFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, number>);

/** The teacher's health over the run (iBOT, DINOv2: losses that log the teacher's entropies), K from the loss's decoded `prototypes`. */
const teacherOf = (registry: Registry, result: PretrainResult): TeacherHealth | undefined => {
  const decoded = registry.decode('loss', result.config.loss, 'loss');
  const prototypes = E.isRight(decoded) ? (decoded.right.config as { prototypes?: unknown }).prototypes : undefined;
  return typeof prototypes === 'number' ? teacherHealthOf(metricsLines(result.metricsFile), prototypes) : undefined;
};

const curves = (metricsFile: string): CurvePoint[] =>
  metricsLines(metricsFile).flatMap((m) => ['total', 'ssl', 'rec'].filter((k) => m[k] !== undefined).map((series) => ({ step: m['step']!, series, value: m[series]! })));

/** Runs pretraining and writes the plots. */
export const runPretrain = (registry: Registry, config: unknown, o: PretrainCommandOptions): TE.TaskEither<EquisslError, PretrainOutputs> => {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let bar: ReturnType<typeof progress> | undefined;
  return pipe(
    pretrain(config, registry, {
      out: o.out,
      resume: o.resume,
      overwrite: o.overwrite === true,
      backend: o.backend,
      ...(o.shouldStop ? { shouldStop: o.shouldStop } : {}),
      ...(o.onCheckpoint ? { onCheckpoint: o.onCheckpoint } : {}),
      onStart: ({ model, dataset, startStep, config: c, workers }) => {
        log(
          `pretrain: ${model.backboneDescription}, ${model.store.count().toLocaleString('en')} parameters; loss ${model.lossName} on ${model.dInv} invariant channels; ` +
            (model.reconstruction ? `K=${model.reconstruction.k} decoders on ${model.dEqui} equivariant channels, λ=${model.reconstructionWeight}, path ${model.family.name}` : 'reconstruction off') +
            `; data ${dataset.name} (${dataset.size} images ${dataset.imageShape.join('×')}); batch ${c.batchSize} on ${workers} worker${workers === 1 ? '' : 's'}; ${startStep > 0 ? `resuming at step ${startStep} of ${c.steps}` : `${c.steps} step${c.steps === 1 ? '' : 's'}`}`,
        );
        bar = progress('pretrain', c.steps, startStep);
      },
      onStep: (r) => bar?.update(r.step + 1, { loss: r.loss.toFixed(4), 'views/s': r.viewsPerSecond.toFixed(1) }),
    }),
    TE.tapError(() => TE.fromIO(() => bar?.stop())),
    TE.tap(() => TE.fromIO(() => bar?.stop())),
    TE.flatMap((result) => {
      const lossPlot = join(o.out, 'loss.png');
      const previewGrid = join(o.out, 'reconstructions.png');
      const n = Math.min(6, result.dataset.size);
      return pipe(
        writeChart(lossPlot, lossCurveSpec(`pretraining loss (${result.model.lossName}${result.model.reconstruction ? ' + λ·L_rec' : ''})`, curves(result.metricsFile))),
        TE.mapLeft((e): EquisslError => e),
        TE.flatMap(() => pipe(result.dataset.read(Array.from({ length: n }, (_, i) => i)), TE.mapLeft((e): EquisslError => e))),
        TE.flatMap((raw) => {
          const [h, w, c] = result.dataset.imageShape;
          const images = tf.tensor4d(raw.pixels, [raw.indices.length, h, w, c]);
          const preview = reconstructionPreview(result.model, result.config, images, result.model.loss.initialState);
          images.dispose();
          return pipe(
            writeImageGrid(previewGrid, preview.rows, { scale: h <= 32 ? 4 : 2, columns: preview.columns }),
            TE.mapLeft((e): EquisslError => e),
            TE.tapIO(() => () => tf.dispose(preview.rows.flat())),
          );
        }),
        TE.map((): PretrainOutputs => {
          const teacher = teacherOf(registry, result);
          return { result, lossPlot, previewGrid, ...(teacher === undefined ? {} : { teacher }) };
        }),
      );
    }),
  );
};

/** Ends a run's model (frees its tensors). */
export const disposeOutputs = (o: PretrainOutputs): void => o.result.model.dispose();


/** `equissl pretrain`: its options, the config they make, and the lines it prints (exit code 130 when interrupted). */
export const pretrainCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('pretrain')
    .description('pretrain an encoder with the method (default: a short run on procedural images, a few minutes on a CPU)')
    .option('--config <file>', 'YAML or JSON config (see docs/pretraining.md); defaults fill every missing field')
    .option('--set <key=value>', 'override one field, e.g. --set optimizer.lr=1e-3 --set loss.name=simclr (repeatable)', collect, [])
    .option('--steps <n>', 'number of steps (same as --set steps=N)')
    .option('--out <dir>', 'output folder', 'out/pretrain')
    .option('--resume', 'continue from <out>/checkpoint.safetensors; --steps, optimizer.* and other run-control fields may change, anything else is refused', false)
    .option('--overwrite', 'replace a run already in <out> (default: refuse, so a finished run is never lost by accident)', false)
    .addOption(pluginsOption())
    .addOption(backendOption())
    .action(async (o: { config?: string; set: string[]; steps?: string; out: string; resume: boolean; overwrite: boolean; plugins?: string[]; backend?: BackendPreference }) => {
      const interrupt = interruptible();
      // a config file's `plugins:` list is resolved against the file's folder, and is not part of the run's config
      const given = pipe(
        o.config === undefined ? E.right({}) : readConfigFile(o.config),
        E.flatMap((c) => applyOverrides(c, [...o.set, ...(o.steps !== undefined ? [`steps=${o.steps}`] : [])])),
        E.flatMap((c) => configPlugins(c, o.config === undefined ? process.cwd() : dirname(resolve(o.config)))),
      );
      await runTask(
        pipe(
          TE.fromEither(given),
          TE.flatMap(({ config, modules }) =>
            pipe(
              backendThenRegistry(shared, o.backend, { plugins: [...modules, ...(o.plugins ?? [])], checkpoints: o.resume && existsSync(join(o.out, 'checkpoint.safetensors')) ? [join(o.out, 'checkpoint.safetensors')] : [] }),
              TE.flatMap((registry) => runPretrain(registry, config, { out: o.out, resume: o.resume, overwrite: o.overwrite, backend: tf.getBackend(), shouldStop: interrupt.shouldStop })),
            ),
          ),
        ),
        (r) => {
          const { result } = r;
          const last = result.last;
          if (result.interrupted) {
            process.stdout.write(`interrupted after step ${result.stepsDone}; checkpoint: ${result.checkpoint}\ncontinue with: equissl pretrain --out ${o.out} --resume\n`);
            process.exitCode = 130;
          } else {
            process.stdout.write(`done: ${result.stepsDone} steps${last ? `, final loss ${last.loss.toFixed(4)}` : ''}\n`);
          }
          if (r.teacher !== undefined) process.stdout.write(`${teacherHealthLine(r.teacher)}\n`);
          if (result.skippedImages > 0) process.stdout.write(`skipped ${result.skippedImages} corrupt image(s) of ${result.dataset.source} (skipCorrupt)\n`);
          for (const f of [result.checkpoint, result.metricsFile, r.lossPlot, r.previewGrid]) process.stdout.write(`wrote ${f}\n`);
          result.model.dispose();
        },
      );
      interrupt.release();
    });
