/**
 * Writes an explore site for one or two checkpoints: the bundled page, each
 * model exported in the TF.js format of docs/export.md with its decoders
 * (by the exporter the caller passes: `equissl export`'s), each model's θ
 * regressors (one per family of the registry the caller passes, fitted here
 * on a few hundred pairs of the data's test split) and loss curves, the
 * sample images, the precomputed images of the families the page does not
 * warp itself, and explore.json naming them — a folder any static host can
 * serve. Checkpoints are loaded one at a time; explore.json is written last.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, configError, ensureWritableDir, ioError, writeFileAtomic } from '@equissl/core';
import { type FrozenEncoder, loadEncoder } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { copyFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { readCurves } from './curves.js';
import { exploreFamilies } from './families.js';
import { type ExploreImages, enoughPairs, readImages, sampleBytes } from './images.js';
import { type ModelEntry, type RegressorFile, type SiteManifest, siteFormat } from './manifest.js';
import { pageScript, pageStatics } from './build-page.js';
import { pageAssets } from './page-assets.js';
import { decoderCount, shownTargets } from './model-targets.js';
import { regressorFile } from './regressor-file.js';
import { type SiteFamilies, siteFamilies } from './site-families.js';

/** Writes a checkpoint's model (`model.json` and shards, with decoders) into a folder: `equissl export --format tfjs --decoders`. */
export type ModelExporter = (checkpoint: string, folder: string) => TE.TaskEither<EquisslError, unknown>;

/** Options of {@link buildSite}. */
export interface SiteOptions {
  /** One checkpoint, or two (e.g. a baseline and the method) shown side by side. */
  readonly checkpoints: ReadonlyArray<string>;
  /** The site folder. */
  readonly out: string;
  /** Dataset slot of the samples and the regressor's pairs; default: the first checkpoint's training data. */
  readonly data?: unknown;
  /** Images of the regressor's pairs (80 % fit, 20 % scored). */
  readonly pairs: number;
  /** Sample images offered on the page. */
  readonly samples: number;
  readonly seed: number;
  readonly log?: (line: string) => void;
}

/** Defaults of the command's options. */
export const siteDefaults = { pairs: 320, samples: 8, seed: 0 } as const;

/** What {@link buildSite} wrote. */
export interface SiteResult {
  readonly out: string;
  readonly manifest: SiteManifest;
  /** R² of each model's θ regressor per family, in the order of the checkpoints. */
  readonly r2: ReadonlyArray<Readonly<Record<string, number>>>;
}

/** A hint added to errors about a checkpoint file: explore reads pretraining checkpoints (the command adds it to errors of its own reading, e.g. the plugin modules a checkpoint names). */
export const aboutCheckpoint = (checkpoint: string) => (e: EquisslError): EquisslError =>
  e._tag === 'DataError' && e.file === checkpoint && !e.message.includes('equissl pretrain')
    ? { ...e, message: `${e.message}; explore reads the checkpoint.safetensors that \`equissl pretrain\` wrote (e.g. out/pretrain/checkpoint.safetensors)` }
    : e;

const load = (registry: Registry, checkpoint: string): TE.TaskEither<EquisslError, FrozenEncoder> => pipe(loadEncoder(checkpoint, registry), TE.mapLeft(aboutCheckpoint(checkpoint)));

/** A panel's title: the checkpoint's folder name (`method`, `baseline`), or its path when the two share one. */
export const labelOf = (checkpoints: ReadonlyArray<string>, index: number): string => {
  const folder = (c: string) => basename(dirname(resolve(c)));
  const mine = folder(checkpoints[index]!);
  if (mine !== '' && checkpoints.every((c, i) => i === index || folder(c) !== mine)) return mine;
  const rel = relative(process.cwd(), checkpoints[index]!);
  return rel.startsWith('..') ? resolve(checkpoints[index]!) : rel;
};

/** What {@link prepare} gives every model: the images, the families and the targets each model shows. */
interface SiteContext {
  readonly images: ExploreImages;
  readonly families: SiteFamilies;
  readonly targets: ReadonlyArray<number>;
}

/** One model's files: regressor.json, curves.json and the export, in models/<index>/. */
const writeModel = (
  registry: Registry,
  o: SiteOptions,
  exportModel: ModelExporter,
  index: number,
  context: SiteContext,
): TE.TaskEither<EquisslError, { entry: ModelEntry; r2: Record<string, number> }> => {
  const checkpoint = o.checkpoints[index]!;
  const dir = `models/${index}/`;
  return pipe(
    load(registry, checkpoint),
    TE.flatMap((frozen) => {
      const families = context.families.families;
      o.log?.(`explore: ${checkpoint}: fitting θ regressors on ${context.images.count} pairs (${families.map((f) => f.name).join(', ')})`);
      let regressors: RegressorFile;
      try {
        regressors = regressorFile(frozen, context.images, families, o.seed, o.log ?? (() => undefined));
      } finally {
        frozen.encoder.dispose();
      }
      const entry: ModelEntry = {
        label: labelOf(o.checkpoints, index),
        checkpoint,
        step: frozen.step,
        targets: context.targets[index]!,
        model: `${dir}model.json`,
        regressor: `${dir}regressor.json`,
        curves: `${dir}curves.json`,
      };
      return pipe(
        writeFileAtomic(join(o.out, entry.regressor), `${JSON.stringify(regressors)}\n`),
        TE.flatMap(() => writeFileAtomic(join(o.out, entry.curves), `${JSON.stringify(readCurves(checkpoint))}\n`)),
        TE.flatMap(() => exportModel(checkpoint, join(o.out, dir))),
        TE.map(() => ({ entry, r2: Object.fromEntries(Object.entries(regressors.families).map(([k, v]) => [k, v.r2])) })),
      );
    }),
  );
};

/** Every checkpoint loads (or the error says why) and takes the first one's images; what the first one was trained on, and every one's K. */
const checkAll = (registry: Registry, o: SiteOptions): TE.TaskEither<EquisslError, { imageShape: readonly [number, number, number]; config: { data?: unknown; path?: unknown }; ks: number[] }> =>
  pipe(
    TE.sequenceSeqArray(
      o.checkpoints.map((c) =>
        pipe(
          load(registry, c),
          TE.map((frozen) => {
            frozen.encoder.dispose();
            return { file: c, imageShape: frozen.imageShape, config: (frozen.config ?? {}) as { data?: unknown; path?: unknown } };
          }),
        ),
      ),
    ),
    TE.flatMapEither((all) => {
      const [first, ...rest] = all;
      const shape = first!.imageShape.join('×');
      const other = rest.find((r) => r.imageShape.join('×') !== shape);
      return other === undefined
        ? E.right({ ...first!, ks: all.map((c) => decoderCount(c.config)) })
        : E.left(configError('checkpoints', `${other.file} takes ${other.imageShape.join('×')} images, ${first!.file} ${shape}; explore compares checkpoints trained on the same image size`));
    }),
  );

/** The checkpoints checked, the registry's families (the first checkpoint's path first) with their strips, and the images read from its data (or `o.data`). */
const prepare = (registry: Registry, o: SiteOptions): TE.TaskEither<EquisslError, SiteContext> =>
  pipe(
    checkAll(registry, o),
    TE.flatMap(({ imageShape, config, ks }) => {
      const slot = o.data ?? config.data ?? { name: 'procedural' };
      const targets = shownTargets(ks);
      return pipe(
        TE.fromEither(exploreFamilies(registry, config.path ?? { name: 'rotation' }, imageShape)),
        TE.flatMap((found) =>
          pipe(
            readImages(registry, slot, Math.max(o.pairs, o.samples), imageShape),
            TE.flatMap((images) => TE.fromEither(E.map(() => images)(enoughPairs(images.count, images.source)))),
            TE.map((images): SiteContext => {
              o.log?.(`explore: drawing the paths the page cannot warp (${found.families.filter((f) => f.live === undefined).map((f) => f.name).join(', ') || 'none'})`);
              const families = siteFamilies(found, images, o.samples, targets, o.seed);
              for (const s of families.skipped) o.log?.(`explore: left out ${s.name}: ${s.reason}`);
              return { images, families, targets };
            }),
          ),
        ),
        TE.flatMapEither((context) =>
          context.families.specs.length > 0 ? E.right(context) : E.left(configError('path', 'no transform family of the registry can be drawn on these images')),
        ),
      );
    }),
  );

/** Copies the bundled page into the site folder. */
const copyPage = (page: string, out: string): TE.TaskEither<EquisslError, void> =>
  TE.tryCatch(
    async () => {
      for (const f of [...pageStatics, pageScript]) copyFileSync(join(page, f), join(out, f));
    },
    (e): EquisslError => ioError(out, `cannot copy the page here (${e instanceof Error ? e.message : String(e)})`),
  );

/** Writes the site for `o.checkpoints` into `o.out`. */
export const buildSite = (registry: Registry, o: SiteOptions, exportModel: ModelExporter): TE.TaskEither<EquisslError, SiteResult> => {
  if (o.checkpoints.length < 1 || o.checkpoints.length > 2) return TE.left(configError('checkpoints', `explore shows one or two checkpoints, got ${o.checkpoints.length}`));
  return pipe(
    prepare(registry, o),
    TE.tap(() => ensureWritableDir(o.out)),
    TE.tap(() => pipe(pageAssets(), TE.flatMap((page) => copyPage(page, o.out)))),
    TE.flatMap((context) =>
      pipe(
        TE.sequenceSeqArray(o.checkpoints.map((_, i) => writeModel(registry, o, exportModel, i, context))),
        TE.flatMap((models) => {
          const { images, families } = context;
          const manifest: SiteManifest = {
            format: siteFormat,
            imageShape: images.imageShape,
            samples: { file: 'samples.bin', count: Math.min(o.samples, images.count), source: images.source },
            upload: { fit: images.fit },
            families: families.specs,
            skipped: families.skipped,
            models: models.map((m) => m.entry),
          };
          return pipe(
            TE.sequenceSeqArray(families.strips.map((s) => writeFileAtomic(join(o.out, s.file), s.bytes))),
            TE.flatMap(() => writeFileAtomic(join(o.out, manifest.samples.file), sampleBytes(images, o.samples))),
            TE.flatMap(() => writeFileAtomic(join(o.out, 'explore.json'), `${JSON.stringify(manifest, null, 1)}\n`)),
            TE.map((): SiteResult => ({ out: o.out, manifest, r2: models.map((m) => m.r2) })),
          );
        }),
      ),
    ),
  );
};

/** Where the site goes by default: `explore/` beside the first checkpoint. */
export const defaultSiteFolder = (checkpoint: string): string => join(dirname(checkpoint), 'explore');
