/**
 * How workers start when they must import TypeScript plugin modules: a
 * compiled `.js` worker goes through tsx (found where it is installed) when a
 * plugin module is `.ts` or tsx runs this process; when no worker can import
 * a plugin module, the caller gets the one line to print before running on
 * one thread.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as O from 'fp-ts/lib/Option.js';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type LoaderContext,
  type PluginAddress,
  fallbackLine,
  findTsxApi,
  firstLine,
  rebuildRegistry,
  spawnWorker,
  startWorkers,
  tsxOptions,
  tsxSearchDirs,
  workerChannel,
  workerLoader,
} from '../src/index.js';

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const compiledWorker = fixture('compiled-worker.mjs');
const typedPlugin = fixture('typed-plugin.ts').href;
const throwingPlugin = fixture('throwing-plugin.mjs').href;
const address = (module: string): PluginAddress => ({ kind: 'loss', name: 'my-cosine', module });

type From = { type: 'ready' } | { type: 'failed'; message: string } | { type: 'exports'; names: string[]; answer: number };

const empty = mkdtempSync(join(tmpdir(), 'equissl-no-tsx-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

/** A process that tsx does not run, with tsx installed nowhere unless `api` says where. */
const context = (over: Partial<LoaderContext> = {}, api: O.Option<string> = O.none): LoaderContext => ({
  execArgv: [],
  nodeOptions: '',
  cwd: '/home/me/project',
  mainScript: '/home/me/project/train.ts',
  nativeTypeScript: false,
  findTsxApi: () => api,
  ...over,
});

describe('a compiled worker importing a TypeScript plugin module', () => {
  it('starts through tsx, resolved where it is installed, and imports the module', async () => {
    const loader = workerLoader(compiledWorker, [typedPlugin]);
    expect(E.isRight(loader) && loader.right._tag).toBe('Tsx');
    const api = E.isRight(loader) && loader.right._tag === 'Tsx' ? loader.right.api : '';
    expect(api).toMatch(/^file:.*\/tsx\/.*\.mjs$/);
    expect(existsSync(fileURLToPath(api))).toBe(true);
    const started = await startWorkers<never, From>(compiledWorker, [{ plugins: [address(typedPlugin)] }], 'plugin worker', [address(typedPlugin)]);
    if (E.isLeft(started)) throw new Error(started.left.message);
    const [channel] = started.right;
    expect(await channel!.next()).toEqual({ type: 'exports', names: ['answer'], answer: 42 });
    await channel!.worker.terminate();
  });

  it('started directly it cannot, and says which module and why', async () => {
    const channel = workerChannel<never, From & { unloadable?: { module: string; reason: string } }>(
      spawnWorker(compiledWorker, { plugins: [address(typedPlugin)] }, { _tag: 'Direct' }),
      'plugin worker',
    );
    const first = await channel.next();
    await channel.worker.terminate();
    expect(first.unloadable?.module).toBe(typedPlugin);
    expect(first.unloadable?.reason).toContain('Unknown file extension ".ts"');
  });

  it('a plugin module no worker can import: no workers, and one line to print before training on one thread', async () => {
    const plugins = [address(throwingPlugin)];
    const started = await startWorkers<never, From>(compiledWorker, [{ plugins }, { plugins }], 'plugin worker', plugins);
    if (E.isRight(started)) throw new Error('the workers started');
    expect(started.left.fallback).toBe(
      `workers: 2 → 1: worker threads cannot import plugin module ${fileURLToPath(throwingPlugin)} (the kernels did not load); make it importable on its own or set workers: 1`,
    );
  });
});

describe('workerLoader', () => {
  const worker = new URL('file:///project/node_modules/@equissl/pipeline/dist/replica.js');
  const tsPlugin = 'file:///home/me/project/my-cosine.ts';
  const jsPlugin = 'file:///project/node_modules/@equissl/losses/dist/index.js';
  const api = 'file:///home/me/project/node_modules/tsx/dist/esm/api/index.mjs';

  it('a .ts (.mts, .cts, .tsx) plugin module: through tsx where it is installed', () => {
    for (const ext of ['ts', 'mts', 'cts', 'tsx']) {
      expect(workerLoader(worker, [jsPlugin, tsPlugin.replace(/ts$/, ext)], context({}, O.some(api)))).toEqual(E.right({ _tag: 'Tsx', api }));
    }
  });

  it('only .js modules, tsx not running this process: directly, tsx not looked for', () => {
    const ctx = context({ findTsxApi: () => { throw new Error('looked for tsx'); } });
    expect(workerLoader(worker, [jsPlugin], ctx)).toEqual(E.right({ _tag: 'Direct' }));
  });

  it('tsx running this process (`node --import tsx`, the tsx CLI, NODE_OPTIONS): through tsx, looked for first where that tsx is', () => {
    const cli = ['--require', '/opt/p/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///opt/p/node_modules/tsx/dist/loader.mjs'];
    expect(tsxOptions({ execArgv: ['--import', 'tsx'], nodeOptions: '' })).toEqual(['tsx']);
    expect(tsxOptions({ execArgv: [], nodeOptions: '--max-old-space-size=4096 --import=tsx' })).toEqual(['tsx']);
    expect(tsxOptions({ execArgv: cli, nodeOptions: '' })).toHaveLength(2);
    expect(tsxOptions({ execArgv: ['--conditions=@equissl/source', '--import', './setup.js'], nodeOptions: '' })).toEqual([]);
    expect(workerLoader(worker, [jsPlugin], context({ execArgv: ['--import', 'tsx'] }, O.some(api)))).toEqual(E.right({ _tag: 'Tsx', api }));
    expect(tsxSearchDirs(context({ execArgv: cli }), [tsPlugin])).toEqual(['/opt/p/node_modules/tsx/dist', '/home/me/project', fileURLToPath(new URL('../src', import.meta.url))]);
  });

  it('a .ts plugin module and no tsx: Left naming the module, and the line says to run under tsx', () => {
    const none = workerLoader(worker, [jsPlugin, tsPlugin], context());
    expect(none).toEqual(E.left({ module: tsPlugin, reason: "TypeScript, and no tsx is installed where /home/me/project or the module's folder can import it" }));
    if (E.isRight(none)) return;
    expect(fallbackLine(2, none.left, false)).toBe(
      "workers: 2 → 1: worker threads cannot import plugin module /home/me/project/my-cosine.ts (TypeScript, and no tsx is installed where /home/me/project or the module's folder can import it); run under tsx (installed in your project) or compile it to .js",
    );
  });

  it('no tsx, but Node strips types itself: directly; the package sources: tsx from the working directory', () => {
    expect(workerLoader(worker, [tsPlugin], context({ nativeTypeScript: true }))).toEqual(E.right({ _tag: 'Direct' }));
    expect(workerLoader(new URL('file:///work/packages/pipeline/src/replica.ts'), [], context())).toEqual(E.right({ _tag: 'Tsx', api: 'tsx/esm/api' }));
  });
});

describe('finding tsx and cutting messages', () => {
  it('tsx/esm/api is found from this package, not from a folder without tsx', () => {
    const here = dirname(fileURLToPath(import.meta.url));
    expect(O.isSome(findTsxApi([here]))).toBe(true);
    expect(findTsxApi([empty])).toEqual(O.none);
    expect(findTsxApi([empty, here])).toEqual(findTsxApi([here]));
  });

  it('the first line of a message, capped', () => {
    expect(firstLine('\nfirst\nsecond')).toBe('first');
    expect(firstLine('x'.repeat(500), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it('a module that cannot be imported: the rebuilt registry says which, its reason one line', async () => {
    const failed = await rebuildRegistry([address(throwingPlugin)]);
    expect(failed).toEqual(
      E.left({
        message: `a worker could not import plugin module ${throwingPlugin}: the kernels did not load`,
        unloadable: { module: throwingPlugin, reason: 'the kernels did not load' },
      }),
    );
  });
});
