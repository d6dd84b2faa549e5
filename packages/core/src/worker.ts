/**
 * Worker threads, one way: starting a worker module of a package, and talking
 * to it through a {@link WorkerChannel} (one request, one reply, in order),
 * with one start handshake — every worker's first message is `ready` or
 * `failed` with why ({@link startWorkers}). Used by the data-parallel
 * replicas, the evaluation suite's workers and the benchmark's encoders.
 *
 * Workers do not inherit the `--import` loader, so a worker that must import
 * TypeScript — its own module from the package sources (development, tests),
 * or a plugin module of the caller's (`my-loss.ts` beside a script run with
 * `npx tsx`) — starts through a small bootstrap that registers tsx first
 * ({@link workerLoader}); otherwise the `.js` worker module loads directly.
 * When workers cannot import the caller's plugin modules, the caller runs on
 * one thread and prints the one line of {@link fallbackLine}.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type PluginAddress, type UnloadableModule, firstLine } from './plugin-modules.js';

/**
 * The worker module `name` beside the module at `base` (pass `import.meta.url`),
 * with that module's extension: `.ts` when the package runs from its sources,
 * `.js` when built.
 */
export const siblingModule = (base: string, name: string): URL => new URL(`./${name}${extname(fileURLToPath(base))}`, base);

// -------------------------------------------------------------------------------------
// TypeScript in workers
// -------------------------------------------------------------------------------------

const pathOf = (url: string): string => {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
};

/** Whether `url` is a module only a TypeScript loader imports (`.ts`, `.mts`, `.cts`, `.tsx`). */
export const isTypeScriptModule = (url: string): boolean => /\.(?:ts|mts|cts|tsx)$/.test(pathOf(url));

/** How a worker module starts: directly, or after tsx's ESM API at `api` registers its loader in the worker. */
export type WorkerLoader = { readonly _tag: 'Direct' } | { readonly _tag: 'Tsx'; readonly api: string };

const direct: WorkerLoader = { _tag: 'Direct' };

/** What {@link workerLoader} looks at: this process's (see {@link processLoaderContext}), or a test's. */
export interface LoaderContext {
  readonly execArgv: ReadonlyArray<string>;
  /** `NODE_OPTIONS` (`--import tsx` may come from there). */
  readonly nodeOptions: string;
  readonly cwd: string;
  /** The script node runs (`process.argv[1]`). */
  readonly mainScript: string | undefined;
  /** Node strips types itself (`process.features.typescript`, Node ≥ 22.18). */
  readonly nativeTypeScript: boolean;
  /** tsx's ESM API (`tsx/esm/api`) as installed where the first of `dirs` that has it would import it. */
  readonly findTsxApi: (dirs: ReadonlyArray<string>) => O.Option<string>;
}

/** Whether `arg` names tsx: `tsx`, `tsx/…`, or a file of an installed tsx (the tsx CLI's `…/node_modules/tsx/dist/loader.mjs`). */
const namesTsx = (arg: string): boolean => arg === 'tsx' || arg.startsWith('tsx/') || /(?:^|[\\/])node_modules[\\/]tsx[\\/]/.test(arg);

/**
 * The options of this process that load tsx: `node --import tsx` (also
 * `--import=tsx`, `--require tsx/cjs`, `--loader tsx`, and the same in
 * `NODE_OPTIONS`) and the `tsx` CLI, which starts node with
 * `--import file:///…/node_modules/tsx/dist/loader.mjs`. Empty when tsx does
 * not run this process.
 */
export const tsxOptions = (ctx: Pick<LoaderContext, 'execArgv' | 'nodeOptions'>): string[] =>
  [...ctx.execArgv, ...ctx.nodeOptions.split(/\s+/)]
    .flatMap((a) => a.split('='))
    .map((a) => a.replace(/^["']|["']$/g, ''))
    .filter(namesTsx);

const fileOf = (pathOrUrl: string): string | undefined =>
  pathOrUrl.startsWith('file:') ? fileURLToPath(pathOrUrl) : isAbsolute(pathOrUrl) ? pathOrUrl : undefined;

/** Where tsx is looked for, in order: the tsx this process runs under, the working directory, the script's folder, each plugin module's folder, and this package's. */
export const tsxSearchDirs = (ctx: LoaderContext, modules: ReadonlyArray<string>): string[] => {
  const dirsOf = (files: ReadonlyArray<string>) => files.flatMap((f) => fileOf(f) ?? []).map(dirname);
  const script = ctx.mainScript === undefined ? [] : [ctx.mainScript];
  return [...new Set([...dirsOf(tsxOptions(ctx)), ctx.cwd, ...dirsOf(script), ...dirsOf(modules), dirname(fileURLToPath(import.meta.url))])];
};

/** The file of a package's `exports` entry for `import` (`{ import: { default } }`, or a plain path). */
const importTarget = (entry: unknown): string | undefined => {
  if (typeof entry === 'string') return entry;
  if (typeof entry !== 'object' || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  return importTarget(e['import'] ?? e['default']);
};

/** `tsx/esm/api` as `dir` would import it (its ESM file, found through tsx's `package.json` exports). */
const tsxApiFrom = (dir: string): O.Option<string> => {
  try {
    const manifest = createRequire(join(dir, 'index.js')).resolve('tsx/package.json');
    const exportsField = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> }).exports;
    const target = importTarget(exportsField?.['./esm/api']);
    return target === undefined ? O.none : O.some(pathToFileURL(resolve(dirname(manifest), target)).href);
  } catch {
    return O.none;
  }
};

/** `tsx/esm/api` from the first of `dirs` where tsx is installed. */
export const findTsxApi = (dirs: ReadonlyArray<string>): O.Option<string> => {
  for (const dir of dirs) {
    const api = tsxApiFrom(dir);
    if (O.isSome(api)) return api;
  }
  return O.none;
};

/** This process's {@link LoaderContext}. */
export const processLoaderContext = (): LoaderContext => ({
  execArgv: process.execArgv,
  nodeOptions: process.env['NODE_OPTIONS'] ?? '',
  cwd: process.cwd(),
  mainScript: process.argv[1],
  nativeTypeScript: Boolean((process.features as { typescript?: unknown }).typescript),
  findTsxApi,
});

/**
 * How to start the worker module `worker` so that it can import the plugin
 * `modules`. Through tsx when the worker module or a plugin module is
 * TypeScript (this process imported it, so it has a TypeScript loader the
 * worker lacks), or when tsx runs this process (a `.js` plugin module may
 * import `.ts` files) — with `tsx/esm/api` resolved from where tsx is
 * installed ({@link tsxSearchDirs}). Directly otherwise, and where Node strips
 * types itself. Left: the TypeScript plugin module no worker can import,
 * since no tsx is installed where this run can find it.
 */
export const workerLoader = (worker: URL, modules: ReadonlyArray<string>, ctx: LoaderContext = processLoaderContext()): E.Either<UnloadableModule, WorkerLoader> => {
  const typescript = modules.filter(isTypeScriptModule);
  const ownSources = isTypeScriptModule(worker.href);
  if (!ownSources && typescript.length === 0 && tsxOptions(ctx).length === 0) return E.right(direct);
  const api = ctx.findTsxApi(tsxSearchDirs(ctx, modules));
  if (O.isSome(api)) return E.right({ _tag: 'Tsx', api: api.value });
  // the package's own sources: tsx as the working directory imports it, as always
  if (ownSources) return E.right({ _tag: 'Tsx', api: 'tsx/esm/api' });
  if (typescript.length === 0 || ctx.nativeTypeScript) return E.right(direct);
  return E.left({ module: typescript[0]!, reason: `TypeScript, and no tsx is installed where ${ctx.cwd} or the module's folder can import it` });
};

/** The worker's source that registers tsx (its ESM API at `api`) and then imports the worker module. */
const tsxBootstrap = (api: string, url: URL): string =>
  `(async () => { (await import(${JSON.stringify(api)})).register(); await import(${JSON.stringify(url.href)}); })();`;

/**
 * Starts the worker module at `url` ({@link siblingModule}) with `loader`
 * (by default {@link workerLoader}'s for a worker that imports no plugin
 * modules). The package's own `.ts` sources resolve `@equissl/*` to their
 * sources too; a `.js` worker module keeps this process's options.
 */
export const spawnWorker = (url: URL, workerData: unknown, loader: WorkerLoader = E.getOrElse((): WorkerLoader => direct)(workerLoader(url, []))): Worker =>
  loader._tag === 'Direct'
    ? new Worker(url, { workerData })
    : new Worker(tsxBootstrap(loader.api, url), {
        eval: true,
        workerData,
        ...(isTypeScriptModule(url.href) ? { execArgv: ['--conditions=@equissl/source'] } : {}),
      });

// -------------------------------------------------------------------------------------
// one thread instead
// -------------------------------------------------------------------------------------

const shownModule = (module: string): string => fileOf(module) ?? module;

/**
 * The one line a caller prints when its `workers` threads cannot import the
 * plugin module `u` and it runs on one thread instead; `viaTsx`: the workers
 * started through tsx (then tsx is not the fix).
 */
export const fallbackLine = (workers: number, u: UnloadableModule, viaTsx: boolean): string => {
  // a TypeScript module in a project without "type": "module" reaches a worker as CommonJS, which cannot require the ES modules it imports
  const commonJs = /require\(\) (of )?ES Module|ERR_REQUIRE_ESM|"cjs" output format/.test(u.reason);
  const fix = commonJs
    ? 'give your project\'s package.json "type": "module" (equissl\'s packages are ES modules)'
    : isTypeScriptModule(u.module) && !viaTsx
      ? 'run under tsx (installed in your project) or compile it to .js'
      : 'make it importable on its own or set workers: 1';
  return `workers: ${workers} → 1: worker threads cannot import plugin module ${shownModule(u.module)} (${firstLine(u.reason, 200)}); ${fix}`;
};

/** Writes {@link fallbackLine}'s line (to stderr by default). */
export const sayFallback = (line: string, write: (text: string) => void = (t) => process.stderr.write(t)): void => write(`${line}\n`);

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

/**
 * Why workers did not start: one threw (`started: false`) or said `failed`
 * (`started: true`); `fallback` when they cannot import a plugin module — the
 * line to print before running on one thread instead ({@link fallbackLine}).
 */
export interface StartFailure {
  readonly started: boolean;
  readonly message: string;
  readonly fallback?: string;
}

/** A worker's `failed` message; `unloadable` when it could not import a plugin module. */
type Failed = { readonly type: string; readonly message?: string; readonly unloadable?: UnloadableModule };

/**
 * Starts a worker of `url` for each `data` and waits for every first message:
 * the channels when all said `ready`; otherwise every worker is terminated and
 * the first failure is returned. `plugins`: the plugin modules the workers
 * import (they decide how workers start, {@link workerLoader}).
 */
export const startWorkers = async <To, From extends { readonly type: string }>(
  url: URL,
  data: ReadonlyArray<unknown>,
  name: string,
  plugins: ReadonlyArray<PluginAddress> = [],
): Promise<E.Either<StartFailure, WorkerChannel<To, From>[]>> => {
  const loader = workerLoader(url, [...new Set(plugins.map((p) => p.module))]);
  if (E.isLeft(loader)) {
    const u = loader.left;
    return E.left({ started: false, message: `${name} cannot import plugin module ${u.module} (${u.reason})`, fallback: fallbackLine(data.length, u, false) });
  }
  const channels = data.map((d) => workerChannel<To, From>(spawnWorker(url, d, loader.right), name));
  const stopAll = () => Promise.all(channels.map((c) => c.worker.terminate()));
  let first: From[];
  try {
    first = await Promise.all(channels.map((c) => c.next()));
  } catch (e) {
    await stopAll();
    return E.left({ started: false, message: firstLine((e as Error).message) });
  }
  const failed = first.find((m) => m.type !== 'ready') as Failed | undefined;
  if (failed === undefined) return E.right(channels);
  await stopAll();
  const message = firstLine(failed.message ?? `${name} said ${failed.type} instead of ready`);
  return E.left(
    failed.unloadable === undefined
      ? { started: true, message }
      : { started: true, message, fallback: fallbackLine(data.length, failed.unloadable, loader.right._tag === 'Tsx') },
  );
};
