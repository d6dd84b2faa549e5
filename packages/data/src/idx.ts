/**
 * `idx`: MNIST-format (IDX) image and label files — MNIST, Fashion-MNIST,
 * KMNIST … plain or gzipped.
 *
 * By default it reads Fashion-MNIST from Debian's `dataset-fashion-mnist`
 * package (`/usr/share/datasets/fashion-mnist`, or `$EQUISSL_FASHION_MNIST`);
 * nothing is downloaded. A truncated file is a {@link DataError} naming it;
 * with `skipCorrupt` the complete records are used and the rest counted in
 * `dropped`.
 *
 * @since 0.1.0
 */
import { type DataError, dataError, definePlugin, nonNegativeInt, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { join } from 'node:path';
import { type Dataset, type DatasetSource, bytesToFloats } from './dataset.js';
import { type ByteSource, firstExisting, openByteSource } from './files.js';

/** Where Debian's `dataset-fashion-mnist` installs the files. */
export const debianFashionMnist = '/usr/share/datasets/fashion-mnist';

/** Fashion-MNIST's class names, in label order. */
export const fashionMnistClasses = ['t-shirt', 'trouser', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle-boot'];

/** A parsed IDX header. */
export interface IdxHeader {
  readonly dims: ReadonlyArray<number>;
  readonly headerBytes: number;
}

/** Parses the IDX header at the start of `bytes` (unsigned-byte data only). */
export const parseIdxHeader = (file: string, bytes: Uint8Array): E.Either<DataError, IdxHeader> => {
  if (bytes.length < 4) return E.left(dataError(file, `too short for an IDX header (${bytes.length} bytes)`));
  const [z0, z1, type, ndims] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  if (z0 !== 0 || z1 !== 0 || type !== 0x08 || ndims < 1 || ndims > 4) {
    return E.left(dataError(file, `not an unsigned-byte IDX file (magic ${[z0, z1, type, ndims].map((b) => b.toString(16).padStart(2, '0')).join(' ')}, expected 00 00 08 0N)`));
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) return E.left(dataError(file, `truncated IDX header (${bytes.length} of ${headerBytes} bytes)`));
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  return E.right({ dims, headerBytes });
};

interface IdxFile {
  readonly source: ByteSource;
  readonly header: IdxHeader;
  /** Records in the header's first dimension. */
  readonly declared: number;
  /** Complete records actually present. */
  readonly complete: number;
  readonly recordBytes: number;
}

const openIdx = (file: string, expectedDims: number, skipCorrupt: boolean): TE.TaskEither<DataError, IdxFile> =>
  pipe(
    openByteSource(file),
    TE.flatMap((source) =>
      pipe(
        source.readRecords([0], Math.min(source.size, 4 + 4 * 4)),
        TE.flatMapEither(([head]) => parseIdxHeader(file, head!)),
        TE.flatMapEither((header): E.Either<DataError, IdxFile> => {
          if (header.dims.length !== expectedDims) {
            return E.left(dataError(file, `expected a ${expectedDims}-dimensional IDX file, found dimensions [${header.dims.join(', ')}]`));
          }
          const declared = header.dims[0]!;
          const recordBytes = header.dims.slice(1).reduce((a, b) => a * b, 1);
          const complete = Math.min(declared, Math.floor((source.size - header.headerBytes) / recordBytes));
          if (complete < declared && !skipCorrupt) {
            return E.left(
              dataError(
                file,
                `truncated: the header declares ${declared} records of ${recordBytes} bytes (${header.headerBytes + declared * recordBytes} bytes) but the file has ${source.size} bytes (${complete} complete records); restore the file or set skipCorrupt: true to use the complete records`,
              ),
            );
          }
          return E.right({ source, header, declared, complete, recordBytes });
        }),
      ),
    ),
  );

/** Config of the `idx` dataset. */
export const IdxConfig = struct(
  'idx',
  {
    /** Folder with `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`. */
    dir: t.string,
    /** Explicit images file (overrides `dir`/`split`). */
    images: t.union([t.string, t.undefined]),
    /** Explicit labels file (overrides `dir`/`split`). */
    labels: t.union([t.string, t.undefined]),
    split: t.union([t.literal('train'), t.literal('test')]),
    /** 1 keeps gray; 3 replicates it to RGB (for RGB encoders). */
    channels: t.union([t.literal(1), t.literal(3)]),
    /** Zero pixels added on every side (2 makes 28-px Fashion-MNIST 32 px, a size the ViT presets and decoders divide evenly). */
    pad: nonNegativeInt,
    /** Use only the first `limit` images (0 = all). */
    limit: nonNegativeInt,
    /** Use the complete records of a truncated file instead of failing. */
    skipCorrupt: t.boolean,
    /**
     * Images at the end of the training file held out as a validation cut (0 = none). With a cut, `split: train`
     * is the rest of the training file and `split: test` is the cut: the test file is not read, so that settings
     * are chosen without it.
     */
    validation: nonNegativeInt,
  },
  {
    dir: process.env['EQUISSL_FASHION_MNIST'] ?? debianFashionMnist,
    images: undefined,
    labels: undefined,
    split: 'train',
    channels: 3,
    pad: 0,
    limit: 0,
    skipCorrupt: false,
    validation: 0,
  },
);
export type IdxConfig = t.TypeOf<typeof IdxConfig>;

const hint = 'install Debian\'s dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set "dir" / "images" / "labels"';

/** The labels file for images the user named was not found: name both and the option that sets it. */
const companionHint = (imagesFile: string, dir: string): string =>
  `the labels for the images ${imagesFile} are looked for in "dir" (${dir}) unless "labels" names them; set "labels" to the labels file of those images`;

const candidates = (dir: string, stem: string): string[] => [join(dir, `${stem}.gz`), join(dir, stem)];

/** Opens an IDX image file and its label file. */
export const openIdxDataset = (c: IdxConfig): TE.TaskEither<DataError, Dataset> => {
  const prefix = c.split === 'train' || c.validation > 0 ? 'train' : 't10k';
  return pipe(
    TE.Do,
    TE.bind('imagesFile', () => firstExisting(c.images !== undefined ? [c.images] : candidates(c.dir, `${prefix}-images-idx3-ubyte`), hint)),
    // the images file the user named is checked whole before its companion is looked for
    TE.bind('images', ({ imagesFile }) => openIdx(imagesFile, 3, c.skipCorrupt)),
    TE.bind('labelsFile', ({ imagesFile }) =>
      firstExisting(
        c.labels !== undefined ? [c.labels] : candidates(c.dir, `${prefix}-labels-idx1-ubyte`),
        c.images !== undefined && c.labels === undefined ? companionHint(imagesFile, c.dir) : hint,
      ),
    ),
    TE.bind('labels', ({ labelsFile }) => openIdx(labelsFile, 1, c.skipCorrupt)),
    TE.bind('labelBytes', ({ labels }) =>
      TE.map(([b]: ReadonlyArray<Uint8Array>) => b!)(labels.source.readRecords([labels.header.headerBytes], labels.complete)),
    ),
    TE.flatMapEither(({ imagesFile, labelsFile, images, labels, labelBytes }) => {
      if (images.declared !== labels.declared) {
        return E.left(dataError(labelsFile, `holds ${labels.declared} labels but ${imagesFile} holds ${images.declared} images; use matching files`));
      }
      const complete = Math.min(images.complete, labels.complete);
      if (c.validation >= complete) return E.left(dataError(imagesFile, `holds ${complete} images, too few for a validation cut of ${c.validation}; lower "validation"`));
      // the validation cut is the last `validation` images; split train the ones before it
      const offset = c.validation > 0 && c.split === 'test' ? complete - c.validation : 0;
      const usable = c.validation > 0 ? (c.split === 'test' ? c.validation : complete - c.validation) : complete;
      const size = c.limit > 0 ? Math.min(c.limit, usable) : usable;
      const [h, w] = [images.header.dims[1]!, images.header.dims[2]!];
      const [ph, pw] = [h + 2 * c.pad, w + 2 * c.pad];
      const maxLabel = labelBytes.reduce((m, v) => Math.max(m, v), 0);
      const classNames = /fashion/i.test(imagesFile) && maxLabel < 10 ? fashionMnistClasses : Array.from({ length: maxLabel + 1 }, (_, i) => String(i));
      const dataset: Dataset = {
        name: 'idx',
        source: c.validation > 0 ? `${imagesFile} (${c.split === 'test' ? `validation cut: its last ${c.validation} images` : `without its last ${c.validation} images, the validation cut`})` : imagesFile,
        size,
        imageShape: [ph, pw, c.channels],
        classNames,
        dropped: images.declared - complete,
        read: (indices) =>
          pipe(
            images.source.readRecords(indices.map((i) => images.header.headerBytes + (offset + i) * images.recordBytes), images.recordBytes),
            TE.map((records) => {
              const per = ph * pw * c.channels;
              const pixels = new Float32Array(indices.length * per);
              records.forEach((r, k) => {
                for (let y = 0; y < h; y++) bytesToFloats(r, y * w, w, 1, c.channels, pixels, k * per + ((y + c.pad) * pw + c.pad) * c.channels);
              });
              return { pixels, labels: Int32Array.from(indices, (i) => labelBytes[offset + i]!), indices, skipped: [] };
            }),
          ),
      };
      return E.right(dataset);
    }),
  );
};

/** The `idx` dataset plugin. */
export const idx = definePlugin({
  kind: 'dataset',
  name: 'idx',
  description: 'MNIST-format files (default: Fashion-MNIST from Debian\'s dataset-fashion-mnist)',
  config: IdxConfig,
  create: (c) => E.right<never, DatasetSource>({ open: () => openIdxDataset(c) }),
});
