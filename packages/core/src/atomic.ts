/**
 * Atomic file writes: write to a temporary file beside the target, then
 * rename over it, so a reader (or a crash) never sees a half-written
 * checkpoint, report or image.
 *
 * @since 0.1.0
 */
import * as TE from 'fp-ts/lib/TaskEither.js';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type IoError, ioError } from './errors.js';

/**
 * Creates `dir` and its missing parents one at a time. (Node's recursive
 * mkdir spins forever on some paths that cannot hold folders, such as under
 * /proc; one level at a time fails with the system's error instead.)
 */
export const makeDirs = async (dir: string): Promise<void> => {
  const missing: string[] = [];
  let at = dir;
  while ((await stat(at).catch(() => undefined)) === undefined) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing) await mkdir(d).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'EEXIST') throw e;
  });
};

/** Writes `data` to `file` atomically, creating parent folders. */
export const writeFileAtomic = (file: string, data: string | Uint8Array): TE.TaskEither<IoError, void> =>
  TE.tryCatch(
    async () => {
      await makeDirs(dirname(file));
      const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
      try {
        await writeFile(tmp, data);
        await rename(tmp, file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
    (e) => ioError(file, `cannot write (${e instanceof Error ? e.message : String(e)}); check the folder exists and is writable`),
  );

/**
 * Checks up front that `dir` is (or can be made) a writable folder, so a
 * long computation never ends unable to write its results: creates it, then
 * writes and removes a probe file.
 */
export const ensureWritableDir = (dir: string): TE.TaskEither<IoError, void> =>
  TE.tryCatch(
    async () => {
      const info = await stat(dir).catch(() => undefined);
      if (info !== undefined && !info.isDirectory()) throw new Error('it is a file, not a folder; choose another output folder');
      await makeDirs(dir);
      const probe = join(dir, `.equissl-probe.${process.pid}.tmp`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
    },
    (e) => ioError(dir, `cannot write results here (${e instanceof Error ? e.message : String(e)})`),
  );
