/**
 * Worker threads, one way: starting a worker module of a package, and talking
 * to it through a {@link WorkerChannel} (one request, one reply, in order),
 * with one start handshake — every worker's first message is `ready` or
 * `failed` with why ({@link startWorkers}). Used by the data-parallel
 * replicas, the evaluation suite's workers and the benchmark's encoders.
 *
 * Built packages load the `.js` file directly; from the TypeScript sources
 * (development, tests) a small bootstrap registers tsx in the worker first,
 * since workers do not inherit the `--import` loader.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * The worker module `name` beside the module at `base` (pass `import.meta.url`),
 * with that module's extension: `.ts` when the package runs from its sources,
 * `.js` when built.
 */
export const siblingModule = (base: string, name: string): URL => new URL(`./${name}${extname(fileURLToPath(base))}`, base);

/** Starts the worker module at `url` ({@link siblingModule}): a `.ts` module through tsx, a `.js` module directly. */
export const spawnWorker = (url: URL, workerData: unknown): Worker =>
  url.pathname.endsWith('.ts')
    ? new Worker(`(async () => { (await import('tsx/esm/api')).register(); await import(${JSON.stringify(url.href)}); })();`, {
        eval: true,
        workerData,
        execArgv: ['--conditions=@equissl/source'],
      })
    : new Worker(url, { workerData });

/** A worker and its messages in order: each `next()` resolves with the next message not yet taken. */
export interface WorkerChannel<To, From> {
  readonly worker: Worker;
  /** The next message (one that already arrived, or the next to arrive); rejects once the worker errs or exits with a non-zero code. */
  readonly next: () => Promise<From>;
  /** Posts `m` (transferring `transfer`) and resolves with the next message. */
  readonly request: (m: To, transfer?: ArrayBuffer[]) => Promise<From>;
}

/** The channel of `worker`; `name` says which worker in errors (`replica exited with code 1`). */
export const workerChannel = <To, From>(worker: Worker, name: string): WorkerChannel<To, From> => {
  const inbox: From[] = [];
  const waiting: { resolve: (m: From) => void; reject: (e: Error) => void }[] = [];
  let broken: Error | undefined;
  worker.on('message', (m: From) => {
    const w = waiting.shift();
    if (w === undefined) inbox.push(m);
    else w.resolve(m);
  });
  const fail = (e: Error) => {
    broken = e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  worker.on('error', fail);
  worker.on('exit', (code) => code !== 0 && fail(new Error(`${name} exited with code ${code}`)));
  const next = () =>
    new Promise<From>((resolve, reject) => {
      if (inbox.length > 0) return resolve(inbox.shift()!);
      if (broken) return reject(broken);
      waiting.push({ resolve, reject });
    });
  return {
    worker,
    next,
    request: (m, transfer = []) => {
      const reply = next();
      if (!broken) worker.postMessage(m, transfer);
      return reply;
    },
  };
};

/** Why workers did not start: one threw (`started: false`) or said `failed` (`started: true`). */
export interface StartFailure {
  readonly started: boolean;
  readonly message: string;
}

/**
 * Starts a worker of `url` for each `data` and waits for every first message:
 * the channels when all said `ready`; otherwise every worker is terminated and
 * the first failure is returned.
 */
export const startWorkers = async <To, From extends { readonly type: string }>(
  url: URL,
  data: ReadonlyArray<unknown>,
  name: string,
): Promise<E.Either<StartFailure, WorkerChannel<To, From>[]>> => {
  const channels = data.map((d) => workerChannel<To, From>(spawnWorker(url, d), name));
  const stopAll = () => Promise.all(channels.map((c) => c.worker.terminate()));
  let first: From[];
  try {
    first = await Promise.all(channels.map((c) => c.next()));
  } catch (e) {
    await stopAll();
    return E.left({ started: false, message: (e as Error).message });
  }
  const failed = first.find((m) => m.type !== 'ready') as (From & { message?: string }) | undefined;
  if (failed !== undefined) {
    await stopAll();
    return E.left({ started: true, message: failed.message ?? `${name} said ${failed.type} instead of ready` });
  }
  return E.right(channels);
};
