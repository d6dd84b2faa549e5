/**
 * `equissl pretrain`: runs the pretraining pipeline from a config (file +
 * overrides), shows progress, stops cleanly on Ctrl-C with a checkpoint, and
 * leaves in `--out`: `checkpoint.safetensors`, `metrics.jsonl`,
 * `config.json`, `loss.png` (loss curves) and `reconstructions.png`
 * (v1, the K targets u_k, the K reconstructions û_k, and v2 per row).
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry } from '@equissl/core';
import { type PretrainResult, pretrain, reconstructionPreview } from '@equissl/pipeline';
import * as tf from '@tensorflow/tfjs';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeImageGrid } from '../images.js';
import { type CurvePoint, lossCurveSpec, writeChart } from '../plots.js';
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

/** What the command wrote. */
export interface PretrainOutputs {
  readonly result: PretrainResult;
  readonly lossPlot: string;
  readonly previewGrid: string;
}

const curves = (metricsFile: string): CurvePoint[] =>
  readFileSync(metricsFile, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      const m = JSON.parse(l) as Record<string, number>;
      return ['total', 'ssl', 'rec'].filter((k) => m[k] !== undefined).map((series) => ({ step: m['step']!, series, value: m[series]! }));
    });

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
      onStart: ({ model, dataset, startStep, config: c }) => {
        log(
          `pretrain: ${model.backboneDescription}, ${model.store.count().toLocaleString('en')} parameters; loss ${model.lossName} on ${model.dInv} invariant channels; ` +
            (model.reconstruction ? `K=${model.reconstruction.k} decoders on ${model.dEqui} equivariant channels, λ=${model.reconstructionWeight}, path ${model.family.name}` : 'reconstruction off') +
            `; data ${dataset.name} (${dataset.size} images ${dataset.imageShape.join('×')}); batch ${c.batchSize}; ${startStep > 0 ? `resuming at step ${startStep} of ${c.steps}` : `${c.steps} steps`}`,
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
        TE.map(() => ({ result, lossPlot, previewGrid })),
      );
    }),
  );
};

/** Ends a run's model (frees its tensors). */
export const disposeOutputs = (o: PretrainOutputs): void => o.result.model.dispose();

