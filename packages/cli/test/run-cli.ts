/** Test support: the `equissl` command from its sources, as a user runs it (wasm backend), with its exit code and output. */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.ts');

/** Runs `equissl ...args` and returns its exit code, stdout and stderr. */
export const equissl = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, ...args], {
    encoding: 'utf8',
    env: { ...process.env, EQUISSL_BACKEND: 'wasm' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
