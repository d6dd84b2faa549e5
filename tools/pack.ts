/**
 * The packages as they are published: builds every package (`nx run-many -t
 * build`, cached) and packs each one (`npm pack`) into one folder, so that
 * a project anywhere installs them from there with plain `npm install`:
 *
 *   npm run pack                                  # → out/packages/equissl-<name>-0.1.0.tgz
 *   npm run pack -- --out DIR                     # another folder
 *   npm install /path/to/out/packages/equissl-core-0.1.0.tgz /path/to/out/packages/equissl-losses-0.1.0.tgz …
 *
 * Pass the tarballs of the packages you want and of the @equissl packages
 * they depend on (or simply all of them): a tarball's dependency on another
 * @equissl package names a version ("@equissl/core": "0.1.0"), and npm
 * satisfies it with the tarball of that version given in the same command
 * (or installed in the project before).
 * `@equissl/openblas` is an optional peer of `@equissl/core`: npm installs
 * it only where its tarball is given. The folder's earlier tarballs are
 * removed first; other files in it stay.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The folder `npm run pack` writes to. */
export const defaultPackDir = join(root, 'out', 'packages');

/** One packed package, as `npm pack --json` describes it. */
export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  /** The tarball's absolute path. */
  readonly tarball: string;
  /** The paths inside the package (`dist/index.js`, `package.json`, …). */
  readonly files: readonly string[];
}

/** The workspace's package folders (`core`, `losses`, …). */
export const packageFolders = (): string[] => readdirSync(join(root, 'packages')).filter((p) => existsSync(join(root, 'packages', p, 'package.json'))).sort();

const check = (what: string, r: ReturnType<typeof spawnSync>): string => {
  if (r.status !== 0) {
    const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-40).join('\n');
    throw new Error(`${what} failed with ${r.error?.message ?? `exit ${r.status}`}:\n${output}`);
  }
  return String(r.stdout);
};

/**
 * Whether every package's `dist/` is fresh already: inside `nx test @equissl/e2e`, whose target depends on every
 * package's build (test/package.json), so that building again inside it would only repeat (or, where a test beside it
 * has a scratch file in a package folder at that moment, redo) that work.
 */
export const builtByNx = (env: NodeJS.ProcessEnv = process.env): boolean => env['NX_TASK_TARGET_PROJECT'] === '@equissl/e2e' && env['NX_TASK_TARGET_TARGET'] === 'test';

/**
 * Builds every package (unless `build` is false; by default unless {@link builtByNx}) and writes its tarball into
 * `dir` (created if missing; its `*.tgz` files are removed first). `env` is the environment of the build and of
 * `npm pack`.
 */
export const packPackages = (dir: string = defaultPackDir, { env = process.env, build = !builtByNx(env) }: { env?: NodeJS.ProcessEnv; build?: boolean } = {}): PackedPackage[] => {
  const options = { cwd: root, env, encoding: 'utf8' as const, maxBuffer: 64 << 20 };
  if (build) check('nx run-many -t build', spawnSync(process.execPath, [require.resolve('nx/bin/nx.js'), 'run-many', '-t', 'build', '--outputStyle=static'], { ...options, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 }));
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.tgz')) rmSync(join(dir, f));
  const packed = JSON.parse(
    check('npm pack', spawnSync('npm', ['pack', '--json', '--pack-destination', dir, ...packageFolders().flatMap((p) => ['-w', `packages/${p}`])], { ...options, timeout: 120_000 })),
  ) as { name: string; version: string; filename: string; files: { path: string }[] }[];
  return packed.map((p) => ({ name: p.name, version: p.version, tarball: join(dir, p.filename), files: p.files.map((f) => f.path) }));
};

/** The folder the command was typed in (npm runs a script in the repository root and names that folder in INIT_CWD). */
const here = process.env['INIT_CWD'] ?? process.cwd();

const main = () => {
  const at = process.argv.indexOf('--out');
  const dir = at === -1 ? defaultPackDir : resolve(here, process.argv[at + 1] ?? defaultPackDir);
  console.log('building every package (nx run-many -t build) and packing it …');
  const packed = packPackages(dir);
  console.log(`${packed.length} tarballs in ${dir}:`);
  for (const p of packed) console.log(`  ${basename(p.tarball)}`);
  const example = ['@equissl/core', '@equissl/nn', '@equissl/losses'].map((n) => packed.find((p) => p.name === n)?.tarball).filter((t) => t !== undefined);
  console.log(`in a project, install the tarballs of the packages it uses and of the @equissl packages they depend on (or all of them), e.g.\n  npm install ${example.join(' ')}\n  npm install ${join(dir, '*.tgz')}`);
};

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  try {
    main();
  } catch (e) {
    console.error(`pack: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}
