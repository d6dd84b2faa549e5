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

/** Writes `data` to `file` atomically, creating parent folders. */
export const writeFileAtomic = (file: string, data: string | Uint8Array): TE.TaskEither<IoError, void> =>
  TE.tryCatch(
    async () => {
      await mkdir(dirname(file), { recursive: true });
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
      await mkdir(dir, { recursive: true });
      const probe = join(dir, `.equissl-probe.${process.pid}.tmp`);
      await writeFile(probe, '');
      await rm(probe, { force: true });
    },
    (e) => ioError(dir, `cannot write results here (${e instanceof Error ? e.message : String(e)})`),
  );
