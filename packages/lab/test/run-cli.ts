/** Test support: the `equissl` command from its sources, run from the repository's root as a user runs it there (wasm backend), with its exit code and output. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (where `npm run equissl` runs). */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const main = join(root, 'packages', 'cli', 'src', 'main.ts');

/** Runs `equissl ...args` from the repository's root and returns its exit code, stdout and stderr. */
export const equissl = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, EQUISSL_BACKEND: 'wasm' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
