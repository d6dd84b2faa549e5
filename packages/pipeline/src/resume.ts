/**
 * What a resumed run may change, and what a fresh run may overwrite.
 *
 * Resuming continues the checkpoint's run with the checkpoint's config. The
 * caller's config (a file, `--set`, `--steps`) merges into it by the rule of
 * {@link mergeDefaults}; only run-control fields may differ from the
 * checkpoint's — `steps`, `optimizer.*`, `checkpointEvery`, `workers` — and
 * each change is returned so the loop can log it in metrics.jsonl. Any other
 * difference would change the model or the data, and is refused naming the
 * field. A larger `steps` continues the run; the learning-rate schedule is
 * re-laid over the new total (warm-up and cosine of the new length, read at
 * the resume step), so the rate may step up where the old schedule had
 * decayed further.
 *
 * A fresh run refuses an output folder that holds a run (a checkpoint or a
 * metrics log) unless asked to overwrite it; overwriting removes the old
 * run's files first, so nothing of it is left beside the new one.
 *
 * @since 0.1.0
 */
import { type ConfigError, type EquisslError, configError, ioError, mergeDefaults } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { PretrainConfig } from '@equissl/encoder';

/** Fields a resumed run may change (a field, or every field under a prefix ending in `.`). */
export const resumableFields: ReadonlyArray<string> = ['steps', 'optimizer.', 'checkpointEvery', 'workers'];

const resumable = (path: string) => resumableFields.some((f) => (f.endsWith('.') ? path.startsWith(f) : path === f));

/** Every leaf where `a` and `b` differ, as dotted paths with both values. */
const differences = (a: unknown, b: unknown, path = ''): Array<[string, unknown, unknown]> => {
  const record = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
  if (record(a) && record(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differences(a[k], b[k], path === '' ? k : `${path}.${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [[path, a, b]];
};

/** The config a resumed run continues with: the checkpoint's, changed by `overrides` where that is allowed. */
export const resumeConfig = (
  saved: unknown,
  overrides: unknown,
  decode: (input: unknown) => E.Either<EquisslError, PretrainConfig>,
): E.Either<EquisslError, { given: unknown; changed: Record<string, [unknown, unknown]> }> => {
  if (overrides === undefined || (typeof overrides === 'object' && overrides !== null && Object.keys(overrides).length === 0)) return E.right({ given: saved, changed: {} });
  const given = mergeDefaults(saved, overrides);
  const before = decode(saved);
  if (E.isLeft(before)) return before;
  const after = decode(given);
  if (E.isLeft(after)) return after;
  const diff = differences(before.right, after.right);
  const refused = diff.find(([path]) => !resumable(path));
  if (refused !== undefined) {
    const [path, was, now] = refused;
    return E.left<ConfigError>(
      configError(
        path,
        `cannot change on --resume (${JSON.stringify(was)} → ${JSON.stringify(now)}): it would change the model or the data. Only ${resumableFields.map((f) => (f.endsWith('.') ? `${f}*` : f)).join(', ')} may change; start a new run with --overwrite (or another --out) instead`,
      ),
    );
  }
  return E.right({ given, changed: Object.fromEntries(diff.map(([p, a, b]) => [p, [a, b]])) });
};

/** The files of a run in `out`. */
const runFiles = (out: string): string[] =>
  existsSync(out) ? readdirSync(out).filter((f) => /^checkpoint.*\.safetensors(\.tmp)?$/.test(f) || ['metrics.jsonl', 'config.json', 'loss.png', 'reconstructions.png'].includes(f)) : [];

/** Refuses `out` when it holds a run, unless `overwrite`, which removes that run's files first. */
export const claimRunFolder = (out: string, overwrite: boolean): E.Either<EquisslError, void> => {
  const files = runFiles(out);
  const holdsRun = files.some((f) => f === 'metrics.jsonl' || f.endsWith('.safetensors'));
  if (!holdsRun) return E.right(undefined);
  if (!overwrite) return E.left(ioError(out, `holds a run (${files.join(', ')}); continue it with --resume, or replace it with --overwrite`));
  try {
    for (const f of files) rmSync(join(out, f), { force: true });
    return E.right(undefined);
  } catch (e) {
    return E.left(ioError(out, `could not remove the old run (${(e as Error).message})`));
  }
};
