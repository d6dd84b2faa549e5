/**
 * Every plugin equissl ships, in one list, and the registry made of them —
 * the starting point of programs that add their own plugins.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, type DuplicatePlugin, Registry, isPlugin } from '@equissl/core';
import { backbonePlugins } from '@equissl/backbones';
import { dataPlugins } from '@equissl/data';
import { headPlugins } from '@equissl/heads';
import { decoderPlugins } from '@equissl/decoders';
import { lossPlugins } from '@equissl/losses';
import { transformPlugins } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';

/** Every built-in plugin. */
export const builtinPlugins: ReadonlyArray<AnyPlugin> = [...dataPlugins, ...transformPlugins, ...backbonePlugins, ...lossPlugins, ...decoderPlugins, ...headPlugins];

/**
 * The modules that export the plugins of `registry` beyond the built-in ones
 * (their `module` field), for worker replicas to import; and the names of
 * those that give none (they cannot run in a replica).
 */
export const pluginModules = (registry: Registry): { modules: string[]; unreachable: string[] } => {
  const builtin = new Set(builtinPlugins);
  const extra = registry.all().filter((p) => !builtin.has(p));
  return {
    modules: [...new Set(extra.flatMap((p) => (p.module === undefined ? [] : [p.module])))],
    unreachable: extra.filter((p) => p.module === undefined).map((p) => `${p.kind} "${p.name}"`),
  };
};

/** A registry with every built-in plugin. */
export const standardRegistry = (): E.Either<DuplicatePlugin, Registry> => Registry.empty.registerAll(builtinPlugins);

/**
 * The registry of a worker thread: every built-in plugin plus the plugins
 * exported by `modules` (from {@link pluginModules} on the main thread).
 * Left: a message naming the module that could not be imported.
 */
export const workerRegistry = async (modules: ReadonlyArray<string>): Promise<E.Either<string, Registry>> => {
  const standard = standardRegistry();
  if (E.isLeft(standard)) return E.left(standard.left.message);
  let registry = standard.right;
  for (const url of modules) {
    let exported: Record<string, unknown>;
    try {
      exported = (await import(url)) as Record<string, unknown>;
    } catch (e) {
      return E.left(`a worker could not import plugin module ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const value of Object.values(exported)) {
      if (!isPlugin(value) || E.isRight(registry.get(value.kind, value.name))) continue;
      const next = registry.register(value);
      if (E.isRight(next)) registry = next.right;
    }
  }
  return E.right(registry);
};
