/**
 * Vitest setup: runs every test file on the project's default backend (wasm),
 * or on the one named by EQUISSL_BACKEND (e.g. `EQUISSL_BACKEND=cpu npm test`).
 */
import { preferenceFromEnv, selectBackend } from '@equissl/core';
import { beforeAll } from 'vitest';

beforeAll(async () => {
  const pref = preferenceFromEnv();
  const r = await selectBackend(pref === undefined || pref === 'auto' ? 'wasm' : pref)();
  if (r._tag === 'Left') throw new Error(r.left.message);
});
