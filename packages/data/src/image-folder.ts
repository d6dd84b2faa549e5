/**
 * `image-folder`: a folder of images (PNG, JPEG, WebP, GIF, TIFF, AVIF),
 * decoded and resized with sharp. Class sub-folders are optional: with them,
 * each image's label is its sub-folder (sorted by name); without them the set
 * is unlabelled.
 *
 * `split: train | test` keeps a disjoint, seeded, class-stratified part of the
 * folder: in every class (or in the whole folder when it is unlabelled) the
 * files are shuffled with `splitSeed` and the first `testFraction` of them
 * are the test split, the rest the train split. The images of a split are
 * listed in a seeded shuffled order, so the first N of them cover every class.
 * `split: all` (default) keeps every file in listing order.
 *
 * A folder whose only entries are the sub-folders `train/` and `test/`
 * (e.g. written by `tools/make-crops.ts --regions`) is already split:
 * `split: train` and `split: test` read those sub-folders (labels by class
 * name, so a class has one label in both), `split: all` reads both, and
 * `testFraction` is not used.
 *
 * Files are decoded only when a batch asks for them. An undecodable image is a
 * {@link CorruptImage} error naming the file; with `skipCorrupt` it is skipped
 * and counted instead (the batch stream fills its place with the next image).
 *
 * @since 0.1.0
 */
import { type CorruptImage, type DataError, Rng, corruptImage, dataError, definePlugin, finite, positiveInt, probability, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { type Dataset, type DatasetSource, bytesToFloats } from './dataset.js';

/** Config of the `image-folder` dataset. */
export const ImageFolderConfig = struct(
  'image-folder',
  {
    /** The folder (with optional class sub-folders). */
    dir: t.string,
    /** Output height and width in pixels. */
    size: positiveInt,
    channels: t.union([t.literal(1), t.literal(3)]),
    /** How to fit non-square images: crop (`cover`), stretch (`fill`) or pad (`contain`). */
    fit: t.union([t.literal('cover'), t.literal('fill'), t.literal('contain')]),
    /** File extensions to include (lower case, with the dot). */
    extensions: t.array(t.string),
    /** Skip (and count) undecodable images instead of failing. */
    skipCorrupt: t.boolean,
    /** `all` files, or the disjoint class-stratified `train` / `test` part. */
    split: t.union([t.literal('all'), t.literal('train'), t.literal('test')]),
    /** Fraction of each class in the test split. */
    testFraction: probability,
    /** Seed of the split and of its order. */
    splitSeed: finite,
  },
  {
    dir: '',
    size: 32,
    channels: 3,
    fit: 'cover',
    extensions: ['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif'],
    skipCorrupt: false,
    split: 'all',
    testFraction: 0.2,
    splitSeed: 0,
  },
);
export type ImageFolderConfig = t.TypeOf<typeof ImageFolderConfig>;

interface Entry {
  readonly file: string;
  readonly label: number | undefined;
}

/** A folder's images and, where it has class sub-folders, their names. */
interface Listing {
  readonly entries: Entry[];
  readonly classNames: string[] | undefined;
}

const listImages = (c: ImageFolderConfig): TE.TaskEither<DataError, Listing> =>
  TE.tryCatch(
    async () => {
      if (c.dir === '') throw new Error('no folder given; set "dir" to a folder of images');
      let top;
      try {
        top = await readdir(c.dir, { withFileTypes: true });
      } catch (e) {
        throw new Error((e as { code?: string }).code === 'ENOENT' ? 'no such directory' : (e as Error).message);
      }
      const isImage = (name: string) => c.extensions.includes(extname(name).toLowerCase());
      const rootFiles = top.filter((d) => d.isFile() && isImage(d.name)).map((d) => d.name).sort();
      const classes: { name: string; files: string[] }[] = [];
      for (const d of top.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
        const files = (await readdir(join(c.dir, d.name), { withFileTypes: true }))
          .filter((f) => f.isFile() && isImage(f.name))
          .map((f) => join(c.dir, d.name, f.name))
          .sort();
        if (files.length > 0) classes.push({ name: d.name, files });
      }
      if (classes.length > 0 && rootFiles.length > 0) {
        throw new Error(`mixes ${rootFiles.length} top-level images (e.g. ${rootFiles[0]}) with class sub-folders; move the top-level images into a sub-folder`);
      }
      if (classes.length > 0) {
        return {
          entries: classes.flatMap((cl, label) => cl.files.map((file) => ({ file, label }))),
          classNames: classes.map((cl) => cl.name),
        };
      }
      if (rootFiles.length === 0) throw new Error(`no images found (extensions ${c.extensions.join(' ')})`);
      return { entries: rootFiles.map((f) => ({ file: join(c.dir, f), label: undefined })), classNames: undefined };
    },
    (e) => dataError(c.dir === '' ? '<image-folder>' : c.dir, e instanceof Error ? e.message : String(e)),
  );

/** The sub-folders of an already split folder. */
const splitFolders = ['test', 'train'] as const;

/** Whether `dir` holds only the sub-folders `train/` and `test/`. */
const isSplitFolder = async (dir: string): Promise<boolean> => {
  try {
    const top = (await readdir(dir, { withFileTypes: true })).filter((d) => !d.name.startsWith('.'));
    return top.length === 2 && top.every((d) => d.isDirectory()) && top.map((d) => d.name).sort().join() === splitFolders.join();
  } catch {
    return false;
  }
};

/**
 * The entries of an already split folder: `train/`, `test/` or both, each
 * listed as a folder of its own; labels follow the class names of `train/`.
 */
const listSplitFolder = (c: ImageFolderConfig): TE.TaskEither<DataError, Listing> => async () => {
  const train = await listImages({ ...c, dir: join(c.dir, 'train') })();
  if (E.isLeft(train)) return train;
  const test = await listImages({ ...c, dir: join(c.dir, 'test') })();
  if (E.isLeft(test)) return test;
  const names = train.right.classNames;
  const relabel = (part: Listing, folder: string): E.Either<DataError, Entry[]> => {
    if (names === undefined) return E.right(part.entries.map((e) => ({ file: e.file, label: undefined })));
    const partNames = part.classNames ?? [];
    const missing = partNames.filter((n) => !names.includes(n));
    if (part.classNames === undefined || missing.length > 0) {
      return E.left(dataError(join(c.dir, folder), `holds classes train/ does not (${part.classNames === undefined ? 'no class sub-folders' : missing.slice(0, 3).join(', ')}); give test/ the class sub-folders of train/`));
    }
    return E.right(part.entries.map((e) => ({ file: e.file, label: names.indexOf(partNames[e.label!]!) })));
  };
  const parts = c.split === 'train' ? [relabel(train.right, 'train')] : c.split === 'test' ? [relabel(test.right, 'test')] : [relabel(train.right, 'train'), relabel(test.right, 'test')];
  const entries: Entry[] = [];
  for (const p of parts) {
    if (E.isLeft(p)) return p;
    entries.push(...p.right);
  }
  const ordered = c.split === 'all' ? entries : Rng.seeded(c.splitSeed).fork('image-folder-split').fork(`order ${c.split}`).shuffle(entries);
  return E.right({ entries: ordered, classNames: names });
};

/**
 * The entries of one split: per class, a seeded shuffle whose first
 * `round(testFraction · n)` files are `test` and the rest `train`; the split's
 * entries then in a seeded shuffled order. `all` returns `entries` unchanged.
 */
export const splitEntries = <A extends { readonly label: number | undefined }>(
  entries: ReadonlyArray<A>,
  split: 'all' | 'train' | 'test',
  testFraction: number,
  seed: number,
): A[] => {
  if (split === 'all') return [...entries];
  const root = Rng.seeded(seed).fork('image-folder-split');
  const groups = new Map<number, A[]>();
  for (const e of entries) groups.set(e.label ?? -1, [...(groups.get(e.label ?? -1) ?? []), e]);
  const chosen = [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([label, files]) => {
      const shuffled = root.fork(`class ${label}`).shuffle(files);
      const nTest = Math.round(testFraction * files.length);
      return split === 'test' ? shuffled.slice(0, nTest) : shuffled.slice(nTest);
    });
  return root.fork(`order ${split}`).shuffle(chosen);
};

/** Decodes one image to `size × size × channels` floats at `out[offset…]`. */
export const decodeImage = (file: string, c: ImageFolderConfig, out: Float32Array, offset: number): TE.TaskEither<CorruptImage, void> =>
  TE.tryCatch(
    async () => {
      let pipeline = sharp(file, { failOn: 'error' }).removeAlpha().resize(c.size, c.size, { fit: c.fit });
      pipeline = c.channels === 1 ? pipeline.grayscale() : pipeline.toColourspace('srgb');
      const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
      bytesToFloats(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 0, c.size * c.size, info.channels, c.channels, out, offset);
    },
    (e) => corruptImage(file, e instanceof Error ? e.message : String(e)),
  );

/** Lists the folder and returns the dataset (no image is decoded yet). */
export const openImageFolder = (c: ImageFolderConfig): TE.TaskEither<DataError, Dataset> =>
  TE.flatMap((presplit: boolean) => openListed(c, presplit))(TE.fromTask(() => isSplitFolder(c.dir)));

const openListed = (c: ImageFolderConfig, presplit: boolean): TE.TaskEither<DataError, Dataset> =>
  TE.flatMapEither(({ entries: listed, classNames }: Listing): E.Either<DataError, Dataset> => {
    const entries = presplit ? listed : splitEntries(listed, c.split, c.testFraction, c.splitSeed);
    if (entries.length === 0) return E.left(dataError(c.dir, `the ${c.split} split (testFraction ${c.testFraction}) of ${listed.length} images is empty; add images or change testFraction`));
    return E.right({
      name: 'image-folder',
      source: presplit ? (c.split === 'all' ? `${c.dir} (train/ and test/)` : join(c.dir, c.split)) : c.split === 'all' ? c.dir : `${c.dir} (${c.split} split, testFraction ${c.testFraction}, splitSeed ${c.splitSeed})`,
      size: entries.length,
      imageShape: [c.size, c.size, c.channels],
      classNames,
      dropped: 0,
      read: (indices) => async () => {
        const per = c.size * c.size * c.channels;
        const scratch = new Float32Array(indices.length * per);
        const results = await Promise.all(indices.map((i, k) => decodeImage(entries[i]!.file, c, scratch, k * per)()));
        const kept: number[] = [];
        const skipped: number[] = [];
        for (let k = 0; k < results.length; k++) {
          const r = results[k]!;
          if (E.isLeft(r)) {
            if (!c.skipCorrupt) return r;
            skipped.push(indices[k]!);
          } else kept.push(k);
        }
        const pixels = kept.length === indices.length ? scratch : new Float32Array(kept.length * per);
        if (pixels !== scratch) kept.forEach((k, j) => pixels.set(scratch.subarray(k * per, (k + 1) * per), j * per));
        return E.right({
          pixels,
          labels: classNames === undefined ? undefined : Int32Array.from(kept, (k) => entries[indices[k]!]!.label!),
          indices: kept.map((k) => indices[k]!),
          skipped,
        });
      },
    });
  })(presplit ? listSplitFolder(c) : listImages(c));

/** The `image-folder` dataset plugin. */
export const imageFolder = definePlugin({
  kind: 'dataset',
  name: 'image-folder',
  description: 'a folder of images decoded with sharp; class sub-folders give labels',
  config: ImageFolderConfig,
  create: (c) => E.right<never, DatasetSource>({ open: () => openImageFolder(c) }),
});
