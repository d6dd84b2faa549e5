#!/usr/bin/env node
/**
 * The `equissl` command's launcher (the package's `bin`).
 *
 * - Installed from the registry or a tarball, the package holds no sources:
 *   this runs the compiled `dist/main.js` — under tsx when the project it runs
 *   in has tsx installed, so that a user's TypeScript plugin modules
 *   (`--plugins ./my-loss.ts`) load, in the command and in its workers.
 * - In a checkout of the repository (`src/main.ts` present and tsx
 *   installed), this runs the TypeScript sources, resolving the other
 *   `@equissl/*` packages to their sources too (the `@equissl/source` export
 *   condition), exactly as `npm run equissl` does — so `npx equissl …` works
 *   after `npm ci`, needs no build, and never runs a stale `dist/`.
 *
 * Plain JavaScript on purpose: it must run before anything is compiled.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const built = new URL('../dist/main.js', import.meta.url);

/** tsx's loader, resolved from this package (the workspace's dev dependency), or undefined. */
const tsxLoader = () => {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return undefined;
  }
};

/** tsx's loader as the project in the working directory installs it, or undefined. */
const projectTsxLoader = () => {
  try {
    return pathToFileURL(createRequire(join(process.cwd(), 'package.json')).resolve('tsx')).href;
  } catch {
    return undefined;
  }
};

/** Whether this process already runs under tsx (`npx tsx …/equissl`). */
const underTsx = process.execArgv.some((a) => a.includes('tsx'));

/** Runs node with `args` and the command line in a child process (Ctrl-C, signals and the exit code pass through). */
const runChild = (args) => {
  const child = spawn(process.execPath, [...process.execArgv, ...args, ...process.argv.slice(2)], { stdio: 'inherit' });
  // Ctrl-C reaches the child through the terminal's process group (pretrain checkpoints on it); wait for the child's answer
  const ignore = () => undefined;
  process.on('SIGINT', ignore);
  const forward = (signal) => () => child.kill(signal);
  process.on('SIGTERM', forward('SIGTERM'));
  process.on('SIGHUP', forward('SIGHUP'));
  child.on('error', (e) => {
    process.stderr.write(`equissl: could not start node: ${e.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
};

const loader = existsSync(source) ? tsxLoader() : undefined;
const projectLoader = loader === undefined && !underTsx ? projectTsxLoader() : undefined;

if (loader === undefined && projectLoader !== undefined && existsSync(fileURLToPath(built))) {
  runChild(['--import', projectLoader, fileURLToPath(built)]);
} else if (loader === undefined) {
  if (!existsSync(fileURLToPath(built))) {
    process.stderr.write(
      existsSync(source)
        ? 'equissl: neither dist/main.js nor tsx is installed; run `npm ci` (installs tsx) or `npm run build` in the repository\n'
        : 'equissl: dist/main.js is missing from @equissl/cli; reinstall the package\n',
    );
    process.exit(1);
  }
  await import(built.href);
} else {
  // the sources run in a child process: the export condition must be set when node starts
  runChild(['--conditions=@equissl/source', '--import', loader, source]);
}
