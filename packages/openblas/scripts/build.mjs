#!/usr/bin/env node
/**
 * Builds the optional OpenBLAS addon (build/Release/equissl_openblas.node)
 * with node-gyp when OpenBLAS's header is installed, and otherwise says in one
 * line that the wasm kernels stay in use. It never fails an install: every
 * outcome exits 0 (a failed build prints its last lines and one summary line).
 *
 *   node scripts/build.mjs                # the package's install step
 *   node scripts/build.mjs --include-dir  # the folder of OpenBLAS's cblas.h (for binding.gyp)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`@equissl/openblas: ${line}`);

/** The folder holding OpenBLAS's cblas.h (next to openblas_config.h), or undefined. */
const openBlasIncludeDir = () => {
  const multiarch = spawnSync('gcc', ['-print-multiarch'], { encoding: 'utf8' }).stdout?.trim() || `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  const candidates = [
    process.env.EQUISSL_OPENBLAS_INCLUDE,
    // Debian/Ubuntu: one folder per variant, plus the alternatives-managed link
    ...['openmp', 'pthread', 'serial'].map((v) => `/usr/include/${multiarch}/openblas-${v}`),
    `/usr/include/${multiarch}`,
    '/usr/include/openblas', // Fedora, Arch
    '/usr/include',
    '/usr/local/include',
    '/opt/homebrew/opt/openblas/include',
  ];
  return candidates.find((d) => d !== undefined && d !== '' && existsSync(join(d, 'cblas.h')) && existsSync(join(d, 'openblas_config.h')));
};

/** npm's own node-gyp (npm sets npm_config_node_gyp in scripts), else the one bundled beside node. */
const nodeGyp = () =>
  [process.env.npm_config_node_gyp, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')].find(
    (p) => p !== undefined && existsSync(p),
  );

const main = () => {
  const include = openBlasIncludeDir();
  if (process.argv.includes('--include-dir')) {
    console.log(include ?? '');
    return;
  }
  if (include === undefined) return say('libopenblas-dev not installed; using the wasm kernels');
  if (!existsSync(join(pkg, 'binding.gyp')) || !existsSync(join(pkg, 'native', 'addon.cc'))) return say('the addon sources are not in this copy of the package; using the wasm kernels');
  const gyp = nodeGyp();
  if (gyp === undefined) return say('node-gyp not found (it comes with npm); using the wasm kernels');
  // Node's own headers beside the binary (Debian's nodejs, the official tarballs) spare node-gyp a download
  const prefix = join(dirname(process.execPath), '..');
  const nodedir = existsSync(join(prefix, 'include', 'node', 'common.gypi')) ? [`--nodedir=${prefix}`] : [];
  const r = spawnSync(process.execPath, [gyp, 'rebuild', ...nodedir], { cwd: pkg, encoding: 'utf8', timeout: 300_000, env: { ...process.env, EQUISSL_OPENBLAS_INCLUDE: include } });
  if (r.status === 0 && existsSync(join(pkg, 'build', 'Release', 'equissl_openblas.node'))) return say(`built build/Release/equissl_openblas.node against ${include}`);
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  if (tail !== '') console.log(tail);
  say(`the native build failed (${r.error?.message ?? `node-gyp exit ${r.status}`}); using the wasm kernels`);
};

try {
  main();
} catch (e) {
  say(`the native build failed (${e instanceof Error ? e.message : String(e)}); using the wasm kernels`);
}
process.exitCode = 0;
