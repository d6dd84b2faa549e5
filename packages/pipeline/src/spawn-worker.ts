/**
 * Starting a worker-thread module of this package: built packages load the
 * `.js` file directly; from the TypeScript sources (development, tests) a
 * small bootstrap registers tsx in the worker first, since workers do not
 * inherit the `--import` loader. Used by the data-parallel replicas and the
 * benchmark's encoder workers.
 *
 * @since 0.1.0
 */
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `.ts` when this package runs from its sources, `.js` when built. */
export const ownExtension = extname(fileURLToPath(import.meta.url));

/** Starts the worker module at `url` (a sibling of this file, named with {@link ownExtension}). */
export const spawnWorker = (url: URL, workerData: unknown): Worker =>
  ownExtension === '.ts'
    ? new Worker(`(async () => { (await import('tsx/esm/api')).register(); await import(${JSON.stringify(url.href)}); })();`, {
        eval: true,
        workerData,
        execArgv: ['--conditions=@equissl/source'],
      })
    : new Worker(url, { workerData });
