/**
 * `cifar-binary`: the CIFAR-10 / CIFAR-100 binary format ("binary version" of
 * the sets: fixed records of label byte(s) + 32×32×3 channel-planar pixels).
 *
 * Files are read record by record on demand. A file whose size is not a
 * whole number of records is a {@link DataError} naming it; with
 * `skipCorrupt` its complete records are used and the rest counted in
 * `dropped`.
 *
 * @since 0.1.0
 */
import { type DataError, dataError, definePlugin, nonNegativeInt, struct } from '@equissl/core';
import * as A from 'fp-ts/lib/Array.js';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset, DatasetSource } from './dataset.js';
import { type ByteSource, openByteSource } from './files.js';

/** CIFAR-10's class names, in label order. */
export const cifar10Classes = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const side = 32;
const pixelBytes = side * side * 3;

/** Config of the `cifar-binary` dataset. */
export const CifarConfig = struct(
  'cifar-binary',
  {
    /** Folder of the extracted binary archive (`cifar-10-batches-bin` or `cifar-100-binary`). */
    dir: t.string,
    /** Explicit record files (override `dir`/`split`). */
    files: t.union([t.array(t.string), t.undefined]),
    variant: t.union([t.literal('cifar10'), t.literal('cifar100')]),
    /** CIFAR-100 only: which label byte to use. */
    label: t.union([t.literal('fine'), t.literal('coarse')]),
    split: t.union([t.literal('train'), t.literal('test')]),
    limit: nonNegativeInt,
    skipCorrupt: t.boolean,
  },
  { dir: '.', files: undefined, variant: 'cifar10', label: 'fine', split: 'train', limit: 0, skipCorrupt: false },
);
export type CifarConfig = t.TypeOf<typeof CifarConfig>;

const defaultFiles = (c: CifarConfig): string[] =>
  c.variant === 'cifar10'
    ? c.split === 'train'
      ? [1, 2, 3, 4, 5].map((i) => join(c.dir, `data_batch_${i}.bin`))
      : [join(c.dir, 'test_batch.bin')]
    : [join(c.dir, c.split === 'train' ? 'train.bin' : 'test.bin')];

interface Part {
  readonly source: ByteSource;
  readonly records: number;
  readonly dropped: number;
}

const openPart = (file: string, recordBytes: number, skipCorrupt: boolean): TE.TaskEither<DataError, Part> =>
  pipe(
    openByteSource(file),
    TE.flatMapEither((source) => {
      const records = Math.floor(source.size / recordBytes);
      const rest = source.size - records * recordBytes;
      if (records === 0 && !skipCorrupt) return E.left(dataError(file, `holds no complete CIFAR record (${source.size} bytes, records are ${recordBytes} bytes)`));
      if (rest !== 0 && !skipCorrupt) {
        return E.left(
          dataError(file, `truncated or not a CIFAR binary file: ${source.size} bytes is not a multiple of the ${recordBytes}-byte record (${records} complete records, ${rest} bytes left over); restore the file or set skipCorrupt: true to use the complete records`),
        );
      }
      return E.right({ source, records, dropped: rest === 0 ? 0 : 1 });
    }),
  );

const readNames = (file: string): TE.TaskEither<never, string[] | undefined> => async () => {
  try {
    const names = (await readFile(file, 'utf8')).split('\n').map((s) => s.trim()).filter((s) => s !== '');
    return E.right(names.length > 0 ? names : undefined);
  } catch {
    return E.right(undefined);
  }
};

/** Opens CIFAR binary record files as one dataset. */
export const openCifarDataset = (c: CifarConfig): TE.TaskEither<DataError, Dataset> => {
  const labelBytes = c.variant === 'cifar10' ? 1 : 2;
  const labelOffset = c.variant === 'cifar100' && c.label === 'fine' ? 1 : 0;
  const recordBytes = labelBytes + pixelBytes;
  const files = c.files ?? defaultFiles(c);
  const namesFile = join(c.dir, c.variant === 'cifar10' ? 'batches.meta.txt' : `${c.label}_label_names.txt`);
  return pipe(
    TE.Do,
    TE.bind('parts', () => pipe(files, A.map((f) => openPart(f, recordBytes, c.skipCorrupt)), TE.sequenceSeqArray)),
    TE.bindW('names', () => readNames(namesFile)),
    TE.map(({ parts, names }) => {
      const starts: number[] = [];
      let total = 0;
      for (const p of parts) {
        starts.push(total);
        total += p.records;
      }
      const locate = (i: number): [Part, number] => {
        let k = parts.length - 1;
        while (starts[k]! > i) k--;
        return [parts[k]!, i - starts[k]!];
      };
      const fallback = c.variant === 'cifar10' ? cifar10Classes : Array.from({ length: c.label === 'fine' ? 100 : 20 }, (_, i) => String(i));
      const dataset: Dataset = {
        name: 'cifar-binary',
        source: files.join(', '),
        size: c.limit > 0 ? Math.min(c.limit, total) : total,
        imageShape: [side, side, 3],
        classNames: names ?? fallback,
        dropped: parts.reduce((s, p) => s + p.dropped, 0),
        read: (indices) => {
          const located = indices.map(locate);
          const pixels = new Float32Array(indices.length * pixelBytes);
          const labels = new Int32Array(indices.length);
          const plane = side * side;
          // one read per file, all of its records at once
          const reads = parts.map((part) => {
            const ks = located.flatMap(([p], k) => (p === part ? [k] : []));
            return pipe(
              part.source.readRecords(ks.map((k) => located[k]![1] * recordBytes), recordBytes),
              TE.map((records) =>
                records.forEach((rec, j) => {
                  const k = ks[j]!;
                  labels[k] = rec[labelOffset]!;
                  for (let p = 0; p < plane; p++) {
                    for (let ch = 0; ch < 3; ch++) pixels[(k * plane + p) * 3 + ch] = rec[labelBytes + ch * plane + p]! / 255;
                  }
                }),
              ),
            );
          });
          return pipe(
            TE.sequenceSeqArray(reads),
            TE.map(() => ({ pixels, labels, indices, skipped: [] })),
          );
        },
      };
      return dataset;
    }),
  );
};

/** The `cifar-binary` dataset plugin. */
export const cifarBinary = definePlugin({
  kind: 'dataset',
  name: 'cifar-binary',
  description: 'CIFAR-10/100 binary record files (data_batch_*.bin, test_batch.bin, train.bin, test.bin)',
  config: CifarConfig,
  create: (c) => E.right<never, DatasetSource>({ open: () => openCifarDataset(c) }),
});
