/**
 * A user's project outside the workspace, the way docs/writing-a-plugin.md
 * tells it: `test/user-app` (its own loss, path family and evaluation suite,
 * one file each, and a config whose `plugins:` list registers two of them) is
 * copied to `$TMPDIR`, and the commands of the doc's `user-app` block run in
 * it in order — `npm install` of the tarballs `npm run pack` writes (plain
 * install, no overrides) and tsx, then `equissl plugins`, `pretrain` with two
 * workers under tsx, `eval` with the user's suite and family, `export` and
 * `explore`. Then the loss's module is moved away and `eval` must name it.
 *
 * The project is removed after a passing run and kept after a failing one.
 * Third-party packages come from npm's cache where they are (`--prefer-offline`).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { packPackages } from '../tools/pack.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'equissl-user-app-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');

/** The commands of the doc's block marked `<!-- user-app … -->`, one per line. */
export const userAppCommands = (markdown: string): string[] => {
  const block = /<!-- user-app[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(markdown);
  return (block?.[1] ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
};
const commands = userAppCommands(readFileSync(join(root, 'docs', 'writing-a-plugin.md'), 'utf8'));
const command = (start: string): string => {
  const line = commands.find((c) => c.startsWith(start));
  if (line === undefined) throw new Error(`docs/writing-a-plugin.md's user-app block has no line starting with '${start}'`);
  return line;
};

/** The environment of a user's shell: without what npm, nx and vitest hand to the scripts they run. */
const env = (): NodeJS.ProcessEnv => {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_userconfig', 'npm_config_cafile']);
  const e = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !(k.toLowerCase().startsWith('npm_') && !keep.has(k.toLowerCase())) && !k.startsWith('NX_') && !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'),
  );
  return { ...e, EQUISSL_BACKEND: 'wasm' };
};

/** Runs one line of the doc in the app's folder: its tarball glob pointed at this run's tarballs, npm told to prefer its cache. */
const sh = (line: string, timeout = 240_000) => {
  const concrete = line.replace('../equissl/out/packages/*.tgz', `${tarballs}/*.tgz`).replace(/^npm install /, 'npm install --prefer-offline --no-audit --no-fund ');
  const r = spawnSync('sh', ['-c', concrete], { cwd: app, env: env(), encoding: 'utf8', timeout, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', line: concrete };
};
const ok = (r: ReturnType<typeof sh>) => {
  if (r.code !== 0) throw new Error(`${r.line} exited with ${r.code}:\n${`${r.stdout}${r.stderr}`.split('\n').slice(-30).join('\n')}`);
  return r;
};

let passed = true;
beforeEach(({ onTestFailed }) => onTestFailed(() => void (passed = false)));
afterAll(() => {
  if (passed) rmSync(work, { recursive: true, force: true });
});

describe('a user project with its own loss, family and suite, from packed tarballs', () => {
  it("the doc's block holds the commands this test runs", () => {
    expect(commands.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'npm install ../equissl/out/packages/*.tgz',
      'npx equissl plugins',
      'npx equissl pretrain',
      'npx equissl eval',
      'npx equissl export',
      'npx equissl explore',
    ]);
  });

  it('installs with npm install of the tarballs and tsx, nothing else in its package.json', () => {
    packPackages(tarballs, { env: { ...env(), NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } });
    cpSync(join(root, 'test', 'user-app'), app, { recursive: true, filter: (f) => !/node_modules|[/\\]out$/.test(f) });
    ok(sh(command('npm install')));
    const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; overrides?: unknown };
    expect(pkg.overrides).toBeUndefined();
    expect(Object.keys(pkg.dependencies)).toContain('@equissl/cli');
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
    for (const p of readdirSync(join(app, 'node_modules', '@equissl'))) expect(existsSync(join(app, 'node_modules', '@equissl', p, 'src')), `${p} ships no sources`).toBe(false);
  }, 600_000);

  it("lists the user's suite with the module it came from", () => {
    const r = ok(sh(command('npx equissl plugins')));
    expect(r.stdout).toMatch(new RegExp(`^ {2}feature-stats +mean and standard deviation .* \\(from ${join(app, 'src', 'my-suite.ts')}\\)$`, 'm'));
  }, 120_000);

  it("pretrains with the user's loss and family on two workers under tsx, and the checkpoint names their modules", () => {
    const r = ok(sh(command('npx equissl pretrain')));
    expect(r.stderr).toContain('loss my-cosine on 16 invariant channels; K=2 decoders on 16 equivariant channels, λ=1, path invert');
    expect(r.stderr).toContain('batch 16 on 2 workers');
    expect(r.stderr).not.toMatch(/workers: 2 → 1/);
    expect(r.stdout).toMatch(/^done: 6 steps, final loss -?\d/m);
    const metadata = safetensorsMetadata(join(app, 'out', 'run', 'checkpoint.safetensors'));
    const plugins = JSON.parse(metadata['plugins']!) as { kind: string; name: string; field: string; module?: string }[];
    expect(plugins.filter((p) => p.kind === 'loss' || p.field === 'path')).toEqual([
      { kind: 'transform', name: 'invert', field: 'path', module: pathToFileURL(join(app, 'src', 'my-family.ts')).href },
      { kind: 'loss', name: 'my-cosine', field: 'loss', module: pathToFileURL(join(app, 'src', 'my-loss.ts')).href },
    ]);
    expect(JSON.parse(metadata['encoder']!)).toMatchObject({ backbone: { name: 'vit', dim: 32 }, neck: 'none', dInv: 16, dEqui: 16 });
  }, 240_000);

  it("evaluates it with the user's suite and family: their lines printed, their sections in report.md, the image counts said", () => {
    const r = ok(sh(command('npx equissl eval')));
    expect(r.stdout).toMatch(/^R²\(rotation\) = -?\d\.\d{3}$/m);
    expect(r.stdout).toMatch(/^R²\(inversion\) = -?\d\.\d{3}$/m);
    expect(r.stdout).toMatch(/^equivariance: 256 of 4096 images asked \(204 to fit, 52 held out\); the data holds fewer images than asked$/m);
    expect(r.stdout).toMatch(/^feature-stats: mean -?\d\.\d{3}, std \d\.\d{3} over 32 images$/m);
    const report = readFileSync(join(app, 'out', 'eval', 'report.md'), 'utf8');
    expect(report).toContain('| configuration | rotation | inversion | mean |');
    expect(report).toContain('## Feature statistics');
    expect(report).not.toContain('paper');
    const results = JSON.parse(readFileSync(join(app, 'out', 'eval', 'results.json'), 'utf8')) as { featureStats: { images: number }; equivarianceImages: { used: number; test: number } }[];
    expect(results[0]!.featureStats.images).toBe(32);
    expect(results[0]!.equivarianceImages).toMatchObject({ used: 256, test: 52 });
    expect(existsSync(join(app, 'out', 'eval', 'feature-stats.png'))).toBe(true);
  }, 300_000);

  it('exports its encoder', () => {
    const r = ok(sh(command('npx equissl export')));
    expect(r.stdout).toMatch(/^exported \d+ tensors, [\d,]+ parameters: ViT D=32 depth=1/m);
    expect(existsSync(join(app, 'out', 'run', 'encoder.safetensors'))).toBe(true);
  }, 120_000);

  it("explores it: the page is served and offers the user's family first, drawn by the family's own code", async () => {
    const line = command('npx equissl explore');
    // a process group of its own: npx, the launcher and the server it starts stop together
    const child: ChildProcess = spawn('sh', ['-c', `exec ${line}`], { cwd: app, env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const url = await new Promise<string>((resolveUrl, reject) => {
      const timer = setTimeout(() => reject(new Error(`explore served nothing in 240 s:\n${output.slice(-2000)}`)), 240_000);
      const read = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /serving (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolveUrl(m[1]!);
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      child.on('exit', (code) => reject(new Error(`explore exited with ${code}:\n${output.slice(-2000)}`)));
    });
    try {
      expect((await fetch(url)).status).toBe(200);
      const site = (await (await fetch(`${url}explore.json`)).json()) as { families: { name: string; kind: string; own?: boolean }[] };
      expect(site.families[0]).toMatchObject({ name: 'invert', kind: 'strip', own: true });
      expect(site.families.map((f) => f.name)).toContain('rotation');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
    }
  }, 300_000);

  it('names the module to pass when a plugin the checkpoint was trained with is gone', () => {
    renameSync(join(app, 'src', 'my-loss.ts'), join(app, 'src', 'renamed-loss.ts'));
    const r = sh(command('npx equissl eval'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `equissl: [ConfigError] loss: out/run/checkpoint.safetensors was trained with loss plugin "my-cosine" from ${pathToFileURL(join(app, 'src', 'my-loss.ts')).href}, which is not registered here; ${join(app, 'src', 'my-loss.ts')} no longer exists: pass the module's new place with --plugins FILE\n`,
    );
    const again = sh(command('npx equissl eval').replace('--plugins ./src/my-suite.ts', '--plugins ./src/my-suite.ts ./src/renamed-loss.ts'));
    expect(again.code).toBe(0);
  }, 300_000);
});

/** The string metadata of a safetensors file (its JSON header's `__metadata__`). */
const safetensorsMetadata = (file: string): Record<string, string> => {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  return (JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as { __metadata__: Record<string, string> }).__metadata__;
};
