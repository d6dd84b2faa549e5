/**
 * File access for datasets, with every failure as a {@link DataError} naming
 * the file: existence checks, sizes, ranged reads (so large files stream), and
 * whole reads with transparent gunzip.
 *
 * @since 0.1.0
 */
import { type DataError, dataError } from '@equissl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { open, readFile, stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

const reason = (e: unknown): string => {
  const code = (e as { code?: string }).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return e instanceof Error ? e.message : String(e);
};

/** The size in bytes of a regular file. */
export const fileSize = (file: string): TE.TaskEither<DataError, number> =>
  TE.tryCatch(
    async () => {
      const s = await stat(file);
      if (!s.isFile()) throw new Error('not a regular file');
      return s.size;
    },
    (e) => dataError(file, reason(e)),
  );

/** True when `path` is a directory. */
export const isDirectory = (path: string): TE.TaskEither<DataError, boolean> =>
  TE.tryCatch(
    async () => (await stat(path)).isDirectory(),
    (e) => dataError(path, reason(e)),
  );

/** Reads `length` bytes at `position`. */
export const readRange = (file: string, position: number, length: number): TE.TaskEither<DataError, Uint8Array> =>
  TE.tryCatch(
    async () => {
      const handle = await open(file, 'r');
      try {
        const buffer = new Uint8Array(length);
        const { bytesRead } = await handle.read(buffer, 0, length, position);
        if (bytesRead !== length) throw new Error(`file ended after ${position + bytesRead} bytes; expected at least ${position + length}`);
        return buffer;
      } finally {
        await handle.close();
      }
    },
    (e) => dataError(file, reason(e)),
  );

/** Reads a whole file, gunzipping it when its name ends in `.gz`. */
export const readWhole = (file: string): TE.TaskEither<DataError, Uint8Array> =>
  TE.tryCatch(
    async () => {
      const raw = await readFile(file);
      if (!file.endsWith('.gz')) return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
      try {
        const out = await gunzipAsync(raw);
        return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
      } catch (e) {
        throw new Error(`corrupt or truncated gzip data (${reason(e)})`);
      }
    },
    (e) => dataError(file, reason(e)),
  );

/**
 * Random access to fixed-size records of a file. Plain files are read on
 * demand (they may be larger than memory); `.gz` files are decompressed once
 * into memory, since gzip has no random access.
 */
export interface ByteSource {
  readonly file: string;
  /** Size in bytes (decompressed for `.gz`). */
  readonly size: number;
  /** Reads `length` bytes at each of `starts`, in order. */
  readonly readRecords: (starts: ReadonlyArray<number>, length: number) => TE.TaskEither<DataError, ReadonlyArray<Uint8Array>>;
}

const inMemory = (file: string, bytes: Uint8Array): ByteSource => ({
  file,
  size: bytes.length,
  readRecords: (starts, length) =>
    TE.tryCatch(
      async () =>
        starts.map((s) => {
          if (s + length > bytes.length) throw new Error(`record at byte ${s} runs past the end (${bytes.length} bytes)`);
          return bytes.subarray(s, s + length);
        }),
      (e) => dataError(file, reason(e)),
    ),
});

const onDisk = (file: string, size: number): ByteSource => ({
  file,
  size,
  readRecords: (starts, length) =>
    TE.tryCatch(
      async () => {
        const handle = await open(file, 'r');
        try {
          const out: Uint8Array[] = [];
          for (const s of starts) {
            const buffer = new Uint8Array(length);
            const { bytesRead } = await handle.read(buffer, 0, length, s);
            if (bytesRead !== length) throw new Error(`file ended after ${s + bytesRead} bytes; expected at least ${s + length}`);
            out.push(buffer);
          }
          return out;
        } finally {
          await handle.close();
        }
      },
      (e) => dataError(file, reason(e)),
    ),
});

/** Opens `file` for record reads (see {@link ByteSource}). */
export const openByteSource = (file: string): TE.TaskEither<DataError, ByteSource> =>
  file.endsWith('.gz')
    ? TE.map((bytes: Uint8Array) => inMemory(file, bytes))(readWhole(file))
    : TE.map((size: number) => onDisk(file, size))(fileSize(file));

/** The first of `candidates` that exists, or a DataError listing them all with `hint`. */
export const firstExisting = (candidates: ReadonlyArray<string>, hint: string): TE.TaskEither<DataError, string> =>
  TE.tryCatch(
    async () => {
      for (const c of candidates) {
        try {
          if ((await stat(c)).isFile()) return c;
        } catch {
          /* try the next */
        }
      }
      throw new Error('missing');
    },
    () => dataError(candidates[0] ?? '<none>', `no such file (also tried: ${candidates.slice(1).join(', ') || 'nothing else'}); ${hint}`),
  );
