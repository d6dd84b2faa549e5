/**
 * Reading a config as a user gives it: a YAML or JSON file (`--config`) and
 * dotted overrides (`--set optimizer.lr=1e-3 --set loss.name=simclr`), whose
 * values are parsed as YAML scalars, lists or maps.
 *
 * @since 0.1.0
 */
import { type EquisslError, configError, ioError, normaliseSlot } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** Parses a YAML/JSON config file into a plain object. */
export const readConfigFile = (file: string): E.Either<EquisslError, Record<string, unknown>> => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return E.left(ioError(file, (e as { code?: string }).code === 'ENOENT' ? 'no such config file' : (e as Error).message));
  }
  try {
    const parsed: unknown = YAML.parse(text);
    if (parsed === null || parsed === undefined) return E.right({});
    return isRecord(parsed) ? E.right(parsed) : E.left(configError('', `${file}: the config must be a mapping of fields, got ${JSON.stringify(parsed).slice(0, 40)}`));
  } catch (e) {
    return E.left(configError('', `${file}: not valid YAML/JSON (${(e as Error).message.split('\n')[0]})`));
  }
};

/** Applies `key.path=value` overrides (value parsed as YAML) to a copy of `config`. */
export const applyOverrides = (config: Record<string, unknown>, overrides: ReadonlyArray<string>): E.Either<EquisslError, Record<string, unknown>> => {
  const out: Record<string, unknown> = structuredClone(config);
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq <= 0) return E.left(configError('', `--set ${o}: expected key.path=value`));
    const path = o.slice(0, eq).split('.');
    let value: unknown;
    try {
      value = YAML.parse(o.slice(eq + 1));
    } catch {
      value = o.slice(eq + 1);
    }
    let node: Record<string, unknown> = out;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (typeof next === 'string') node[key] = normaliseSlot(next);
      else if (!isRecord(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return E.right(out);
};
