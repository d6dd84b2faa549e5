/**
 * The packages as a user installs them. `packPackages` of tools/pack.ts —
 * what `npm run pack` runs — builds every package (`nx build`, cached) and
 * packs it (`npm pack`); an empty project outside the workspace then installs
 * @equissl/core, @equissl/losses, @equissl/pipeline and @equissl/standard the
 * way the READMEs say: `npm install` of the tarballs of those packages and of
 * the @equissl packages they depend on, nothing else in its package.json (no
 * `overrides`), npm's default install scripts. Everything else comes from the
 * npm registry or npm's cache. It compiles `user-project/main.ts` — a loss
 * plugin defined, registered and trained for two steps — with tsc and runs it
 * with node. Then it adds @equissl/cli (and the optional @equissl/openblas)
 * the same way and runs `npx equissl`, and checks that every installed package
 * imports only what its package.json declares.
 *
 * The project lives in `$TMPDIR/equissl-packed-*` (outside the workspace, so
 * nothing resolves to the workspace's node_modules); it is removed after a
 * passing run and kept after a failing one. Third-party packages come from
 * npm's own cache when they are there (`--prefer-offline`): after `npm ci`
 * most are, and the install takes seconds.
 */
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { packPackages, packageFolders } from '../tools/pack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'equissl-packed-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
const require = createRequire(import.meta.url);

/** The workspace's packages, by folder. */
const packages = packageFolders();
const manifest = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, any>;

/**
 * The environment of the commands run here: without the settings npm and nx
 * hand to the scripts they run (this test may itself run under `npm test`),
 * which would point the inner npm at the workspace; npm's cache, registry and
 * certificates stay the user's.
 */
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_cafile']);
  const e = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !(k.toLowerCase().startsWith('npm_') && !keep.has(k.toLowerCase())) && !k.startsWith('NX_') && k !== 'NODE_OPTIONS'),
  );
  return { ...e, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', ...extra };
};

const run = (command: string, args: string[], cwd: string, timeout: number): SpawnSyncReturns<string> => {
  const r = spawnSync(command, args, { cwd, env: env(), encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed with ${r.error?.message ?? `exit ${r.status}`}:\n${output}`);
  }
  return r;
};

/** npm as a user runs it (install scripts included), preferring its cache (a warm cache installs without the network). */
const npm = (args: string[], cwd: string, timeout = 150_000) => run('npm', [...args, '--prefer-offline', '--no-audit', '--no-fund'], cwd, timeout);

const tarballOf: Record<string, string> = {};

/** The packages `names` and the @equissl packages they depend on, from the workspace's manifests. */
const closure = (names: readonly string[]): string[] => {
  const all = new Set<string>();
  const add = (name: string) => {
    if (all.has(name)) return;
    all.add(name);
    for (const d of Object.keys(manifest(join(root, 'packages', name.replace('@equissl/', ''))).dependencies ?? {})) if (d.startsWith('@equissl/')) add(d);
  };
  names.forEach(add);
  return [...all].sort();
};

/** `npm install` of the tarballs of `names` and of their @equissl dependencies, as the READMEs say. */
const installTarballs = (names: readonly string[]) => npm(['install', ...closure(names).map((n) => tarballOf[n]!)], project);

const installed = () => readdirSync(join(project, 'node_modules', '@equissl')).map((p) => `@equissl/${p}`).sort();

let passed = true;

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    passed = false;
  });
});
afterAll(() => {
  if (passed) rmSync(work, { recursive: true, force: true });
});

describe('the packages, packed and installed in an empty project', () => {
  it('every package builds and packs with what its package.json points to', () => {
    // under `nx test` the builds ran before as this target's dependencies (test/package.json) and are not repeated (builtByNx)
    const packed = packPackages(tarballs, { env: env() });
    expect(packed.map((p) => p.name).sort()).toEqual(packages.map((p) => `@equissl/${p}`).sort());
    for (const p of packed) {
      tarballOf[p.name] = p.tarball;
      expect(dirname(p.tarball)).toBe(tarballs);
      const files = new Set(p.files);
      const pkg = manifest(join(root, 'packages', p.name.replace('@equissl/', '')));
      // every file the manifest names, except the sources behind the workspace-only condition
      const named = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {}), ...Object.values(pkg.exports as Record<string, Record<string, string>>).flatMap((e) => Object.entries(e).filter(([c]) => c !== '@equissl/source').map(([, f]) => f))];
      for (const f of named) expect(files, `${p.name}: ${f}`).toContain(relative('.', f as string));
      expect([...files].filter((f) => f.startsWith('src/') || f.endsWith('.test.js')), p.name).toEqual([]);
    }
  }, 240_000);

  it('`npm install` of the tarballs of @equissl/core, @equissl/losses, @equissl/pipeline, @equissl/standard and their @equissl dependencies installs those and nothing else', () => {
    // outside the workspace: nothing may resolve to the workspace's node_modules
    expect(relative(root, project).startsWith('..')).toBe(true);
    mkdirSync(join(project, 'src'), { recursive: true });
    const direct = ['@equissl/core', '@equissl/losses', '@equissl/pipeline', '@equissl/standard'];
    writeFileSync(
      join(project, 'package.json'),
      `${JSON.stringify(
        {
          name: 'equissl-user',
          version: '1.0.0',
          private: true,
          type: 'module',
          dependencies: { '@tensorflow/tfjs': '^4.22.0', 'fp-ts': '^2.16.11' },
          devDependencies: { '@types/node': '^20.19.0' },
        },
        null,
        2,
      )}\n`,
    );
    // each @equissl dependency names a version ("@equissl/core": "0.1.0"), which the tarball of that version given in the same command satisfies
    installTarballs(direct);
    // what the four declare, and nothing else: no cli, and not @equissl/openblas (an optional peer of core, which npm does not fetch)
    expect(installed()).toEqual(closure(direct));
    expect(installed()).not.toContain('@equissl/cli');
    expect(installed()).not.toContain('@equissl/openblas');
    // npm records the tarballs as the project's dependencies, and the project needs nothing more
    const pkg = manifest(project);
    expect(pkg.overrides).toBeUndefined();
    for (const name of closure(direct)) expect(pkg.dependencies[name], name).toBe(`file:${relative(project, tarballOf[name]!)}`);
    for (const name of installed()) expect(existsSync(join(project, 'node_modules', name, 'src')), `${name} ships no sources`).toBe(false);
    // one TensorFlow.js for the user's tensors and equissl's: no copy nested under a package
    const nested = spawnSync('find', [join(project, 'node_modules'), '-mindepth', '2', '-path', '*/node_modules/@tensorflow/tfjs-core', '-type', 'd'], { encoding: 'utf8' });
    expect(nested.stdout.trim().split('\n').filter((l) => l !== '').map((l) => relative(project, l))).toEqual(['node_modules/@tensorflow/tfjs-core']);
  }, 180_000);

  it('compiles a loss plugin with tsc and pretrains two steps with it under node', () => {
    copyFileSync(join(root, 'test', 'user-project', 'tsconfig.json'), join(project, 'tsconfig.json'));
    copyFileSync(join(root, 'test', 'user-project', 'main.ts'), join(project, 'src', 'main.ts'));
    copyFileSync(join(root, 'test', 'user-app', 'src', 'my-loss.ts'), join(project, 'src', 'my-loss.ts'));
    run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project], project, 90_000);
    const out = join(work, 'out');
    const r = run(process.execPath, [join(project, 'dist', 'main.js'), out], project, 90_000);
    const result = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { loss: { name: string; varianceWeight: number }; stepsDone: number; similarity: number[] };
    expect(result.loss).toEqual({ name: 'my-cosine', varianceWeight: 0.5 });
    expect(result.stepsDone).toBe(2);
    expect(result.similarity).toHaveLength(2);
    for (const s of result.similarity) expect(Math.abs(s)).toBeLessThanOrEqual(1 + 1e-6);
    const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(metrics).toHaveLength(2);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
  }, 180_000);

  it('`npx equissl` runs the installed @equissl/cli (its compiled dist/); @equissl/openblas installed beside core is found', () => {
    installTarballs(['@equissl/cli', '@equissl/openblas']);
    expect(installed()).toEqual(closure(['@equissl/core', '@equissl/losses', '@equissl/pipeline', '@equissl/standard', '@equissl/cli', '@equissl/openblas']));
    // core loads the addon's package (whether the addon was built depends on libopenblas-dev at install time)
    const products = run(process.execPath, ['--input-type=module', '-e', "import { selectBackend } from '@equissl/core'; const r = await selectBackend('wasm')(); console.log(JSON.stringify(r.right.products));"], project, 60_000);
    expect(products.stdout).not.toContain('@equissl/openblas is not installed');
    const version = run('npx', ['--no-install', 'equissl', '--version'], project, 60_000);
    expect(version.stdout.trim()).toBe('0.1.0');
    const plugins = run('npx', ['--no-install', 'equissl', 'plugins'], project, 60_000).stdout;
    for (const name of ['vit-micro', 'rotation', 'vicreg', 'conv4', 'procedural']) expect(plugins).toContain(name);
    // the lab's commands are not in the product: without @equissl/lab they say what to install
    const reproduce = spawnSync('npx', ['--no-install', 'equissl', 'reproduce', '--seeds', '1'], { cwd: project, encoding: 'utf8' });
    expect(reproduce.status).toBe(2);
    expect(reproduce.stderr).toContain('reproduce comes with @equissl/lab, which is not installed here; install it with: npm install @equissl/lab');
  }, 180_000);

  it('every installed package imports only Node built-ins, its own files and the packages its package.json declares', () => {
    // tsx is imported only by the worker bootstrap that runs replicas from the TypeScript sources (never from dist/)
    const allowed: Record<string, string[]> = { '@equissl/core': ['tsx'] };
    const problems: string[] = [];
    for (const name of readdirSync(join(project, 'node_modules', '@equissl')).map((p) => `@equissl/${p}`)) {
      const dir = join(project, 'node_modules', name);
      const pkg = manifest(dir);
      const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), ...(allowed[name] ?? [])]);
      const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : /\.(js|d\.ts)$/.test(e.name) ? [join(d, e.name)] : []));
      for (const f of walk(dir)) {
        if (f.includes(`${dir}/node_modules/`)) continue;
        for (const m of readFileSync(f, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)['"]([^'"]+)['"]/gm)) {
          const spec = m[1]!;
          const at = `${name}/${relative(dir, f)}: '${spec}'`;
          if (spec.startsWith('.')) {
            if (relative(dir, resolve(dirname(f), spec)).startsWith('..')) problems.push(`${at} leaves the package`);
            continue;
          }
          const bare = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!spec.startsWith('node:') && !builtinModules.includes(bare) && !declared.has(bare)) problems.push(`${at} is not in dependencies`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

