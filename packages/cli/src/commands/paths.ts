/**
 * `equissl paths`: draws each transformation family along its path — one PNG
 * per family, one row per image, columns at t = 0, 1/(S−1), …, 1 — so a user
 * can see what the encoder is asked to reconstruct. Until pretraining lands,
 * this is also the main job behind `npm start`.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, Rng } from '@equissl/core';
import { type Dataset, openDataset } from '@equissl/data';
import type { TransformFamily } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import { type Command } from 'commander';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { join } from 'node:path';
import { type CommandContext, backendOption, backendThenRegistry, integer, pluginsOption, runTask } from '../cli-support.js';
import { writeImageGrid } from '@equissl/report';

/** Options of {@link drawPaths}. */
export interface PathsOptions {
  readonly out: string;
  /** Dataset config slot (default: 64-px procedural images). */
  readonly data?: unknown;
  /** The families drawn (default: every transform plugin of the registry, in the order they were registered). */
  readonly families?: ReadonlyArray<string>;
  readonly images?: number;
  readonly steps?: number;
  readonly seed?: number;
}

/** One written strip. */
export interface PathStrip {
  readonly family: string;
  readonly file: string;
  readonly paramNames: ReadonlyArray<string>;
  readonly thetas: ReadonlyArray<ReadonlyArray<number>>;
}

const createFamily = (registry: Registry, name: string, imageSize: number): TE.TaskEither<EquisslError, TransformFamily> =>
  TE.fromEither(registry.create('transform', { name }, `paths.${name}`, { imageShape: [imageSize, imageSize, 3] }));

const drawOne = (dataset: Dataset, family: TransformFamily, o: Required<Omit<PathsOptions, 'data' | 'families'>>): TE.TaskEither<EquisslError, PathStrip> =>
  pipe(
    dataset.read(Array.from({ length: o.images }, (_, i) => i)),
    TE.mapLeft((e): EquisslError => e),
    TE.flatMap((raw) => {
      const [h, w, c] = dataset.imageShape;
      const rng = Rng.seeded(o.seed).fork(family.name);
      const thetas = raw.indices.map(() => family.sample(rng));
      const u = tf.tensor4d(raw.pixels, [raw.indices.length, h, w, c]);
      const columns = Array.from({ length: o.steps }, (_, s) => family.apply(u, thetas.map((th) => family.interpolate(th, s / (o.steps - 1)))));
      const rows = raw.indices.map((_, r) => columns.map((col) => tf.slice(col, [r, 0, 0, 0], [1, h, w, c])));
      const file = join(o.out, `${family.name}.png`);
      return pipe(
        writeImageGrid(file, rows, { scale: h < 64 ? 4 : 2 }),
        TE.map((): PathStrip => ({ family: family.name, file, paramNames: family.paramNames, thetas })),
        TE.mapLeft((e): EquisslError => e),
        TE.tapIO(() => () => tf.dispose([u, ...columns, ...rows.flat()])),
      );
    }),
  );

/** The transform plugins of `registry`, in the order they were registered (the built-in ones first: rotation, translation, se2, …). */
export const registeredFamilies = (registry: Registry): string[] => registry.all().filter((p) => p.kind === 'transform').map((p) => p.name);

/** Writes one PNG strip per family into `out`. */
export const drawPaths = (registry: Registry, options: PathsOptions): TE.TaskEither<EquisslError, ReadonlyArray<PathStrip>> => {
  const o = { out: options.out, images: options.images ?? 4, steps: options.steps ?? 6, seed: options.seed ?? 0 };
  return pipe(
    openDataset(registry, options.data ?? { name: 'procedural', size: 64, count: o.images }, 'data'),
    TE.flatMap((dataset) =>
      pipe(
        [...(options.families ?? registeredFamilies(registry))],
        TE.traverseSeqArray((name) =>
          pipe(
            createFamily(registry, name, dataset.imageShape[0]),
            TE.flatMap((family) => drawOne(dataset, family, o)),
          ),
        ),
      ),
    ),
  );
};

/** `equissl paths`: its options, and a line per written strip. */
export const pathsCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('paths')
    .description('draw every transformation family along its path as PNG strips (one row per image, t = 0 … 1)')
    .option('--out <dir>', 'output folder', 'out/paths')
    .option('--family <names...>', 'families to draw (default: every registered transform plugin; equissl plugins lists them)')
    .option('--images <n>', 'images (rows) per strip', integer, 4)
    .option('--steps <n>', 'points along the path (columns)', integer, 6)
    .option('--seed <n>', 'seed of the drawn parameters', integer, 0)
    .addOption(pluginsOption())
    .addOption(backendOption())
    .action(async (o: { out: string; family?: string[]; images: number; steps: number; seed: number; plugins?: string[]; backend?: BackendPreference }) => {
      await runTask(
        pipe(
          backendThenRegistry(shared, o.backend, { plugins: o.plugins ?? [] }),
          TE.flatMap((registry) =>
            drawPaths(registry, { out: o.out, images: o.images, steps: Math.max(2, o.steps), seed: o.seed, ...(o.family ? { families: o.family } : {}) }),
          ),
        ),
        (strips) => {
          for (const s of strips) {
            const first = s.thetas[0] ?? [];
            const shown = s.paramNames.map((n, i) => `${n}=${(first[i] ?? 0).toFixed(2)}`).filter((p) => !p.endsWith('=0.00'));
            process.stdout.write(`wrote ${s.file}  (first row: ${shown.join(', ') || 'identity'})\n`);
          }
        },
      );
    });
