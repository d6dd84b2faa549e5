/**
 * A user's own plugins in the command: `--plugins MODULE…` on every command,
 * a `plugins:` list in a config file, and the plugin modules a checkpoint
 * names. A module is a file (`./my-loss.ts`, `/abs/suite.js`; relative to the
 * working directory, or to the config file that lists it) or a package name;
 * it exports plugin values (or lists of them), which are registered beside
 * the built-in ones. A plugin that does not say its module gets the one it
 * was loaded from, so data-parallel workers can import it too.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, type EquisslError, Registry, configError, isPlugin } from '@equissl/core';
import { type PluginUse, displayModule, missingPluginError, missingPlugins, readCheckpoint } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The URL of a module as a user names it: a path (absolute, `./…`, `../…`, or an existing file) resolved against `base`; anything else is a package name. */
export const moduleUrl = (spec: string, base: string): string => {
  if (spec.startsWith('file://')) return spec;
  const looksLikePath = isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../') || existsSync(resolve(base, spec));
  return looksLikePath ? pathToFileURL(resolve(base, spec)).href : spec;
};

/** The first line of an import failure, with what to do about TypeScript modules outside tsx. */
const importFailure = (url: string, e: unknown): string => {
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);
  const ts = /\.[cm]?tsx?$/.test(url) && /Unknown file extension/.test(first);
  return ts ? `${first}; TypeScript plugin modules need tsx (npm install --save-dev tsx: equissl then loads them) or compiling to .js` : first;
};

/** The plugin values a module exports (directly or in lists), each naming its module (`url` where it does not say). */
const exportedPlugins = (exported: Record<string, unknown>, url: string): AnyPlugin[] =>
  Object.values(exported)
    .flatMap((v) => (isPlugin(v) ? [v] : Array.isArray(v) ? v.filter(isPlugin) : []))
    .map((p) => (p.module === undefined ? { ...p, module: url } : p));

/** Imports a plugin module and returns its plugins; a module that cannot be imported or exports none is a {@link ConfigError} naming it. */
export const importPluginModule = (spec: string, base: string, field = 'plugins'): TE.TaskEither<EquisslError, AnyPlugin[]> => {
  const url = moduleUrl(spec, base);
  return pipe(
    TE.tryCatch(
      () => import(url) as Promise<Record<string, unknown>>,
      (e) => configError(field, `cannot import plugin module ${spec} (${url}): ${importFailure(url, e)}`),
    ),
    TE.flatMap((exported) => {
      const plugins = [...new Map(exportedPlugins(exported, url).map((p) => [`${p.kind}/${p.name}`, p])).values()];
      return plugins.length > 0
        ? TE.right(plugins)
        : TE.left(configError(field, `plugin module ${spec} exports no plugin; export the values made with definePlugin (or a list of them)`));
    }),
  );
};

/** `registry` with every plugin of `modules` registered (a plugin whose kind and name are taken is a {@link DuplicatePlugin} error). */
export const registryWithModules = (registry: Registry, modules: ReadonlyArray<string>, base: string = process.cwd(), field = 'plugins'): TE.TaskEither<EquisslError, Registry> =>
  pipe(
    // one import per module, however it was named (a path, its file URL)
    [...new Map(modules.map((m) => [moduleUrl(m, base), m])).values()],
    TE.traverseSeqArray((m) => importPluginModule(m, base, field)),
    TE.flatMapEither((lists) => E.mapLeft(bothModules(registry, lists.flat()))(registry.registerAll(lists.flat()))),
  );

/** A duplicate plugin said with the places of both: a built-in plugin, or the two modules that export it. */
const bothModules =
  (registry: Registry, added: ReadonlyArray<AnyPlugin>) =>
  (e: EquisslError): EquisslError => {
    if (e._tag !== 'DuplicatePlugin') return e;
    const builtIn = E.isRight(registry.get(e.kind as AnyPlugin['kind'], e.name));
    const places = added.filter((p) => p.kind === e.kind && p.name === e.name).map((p) => displayModule(p.module ?? '?'));
    const where = builtIn ? `a built-in ${e.kind} plugin and ${places[0]}` : places.join(' and ');
    return { ...e, message: `${e.kind} plugin "${e.name}" comes from ${where}; rename one of them (plugin names are unique per kind)` };
  };

/**
 * `registry` with the plugins a checkpoint was trained with that it lacks,
 * imported from the modules the checkpoint names; a module that cannot be
 * imported is an error naming the plugin and the module to pass with
 * `--plugins`. Plugins already registered (built-in, or from `--plugins`)
 * are taken as they are; a file that is no readable checkpoint adds nothing.
 */
export const registryForCheckpoint = (registry: Registry, file: string): TE.TaskEither<EquisslError, Registry> =>
  pipe(
    readCheckpoint(file),
    // a file that cannot be read as a checkpoint adds nothing: the command that opens it says why, with its own hints
    TE.foldW(
      () => TE.right(registry),
      (ckpt) => withMissing(registry, file, ckpt.state.plugins ?? []),
    ),
  );

/** Imports the modules of the plugins of `uses` that `registry` lacks, registering the missing ones. */
const withMissing = (registry: Registry, file: string, uses: ReadonlyArray<PluginUse>): TE.TaskEither<EquisslError, Registry> => {
  const missing = missingPlugins(uses, registry);
  if (missing.length === 0) return TE.right(registry);
  const unnamed = missing.find((u) => u.module === undefined);
  if (unnamed !== undefined) return TE.left(missingPluginError(file, unnamed));
  const byModule = new Map<string, PluginUse[]>();
  for (const u of missing) byModule.set(u.module!, [...(byModule.get(u.module!) ?? []), u]);
  return pipe(
    [...byModule],
    TE.traverseSeqArray(([module, wanted]) =>
      pipe(
        importPluginModule(module, process.cwd()),
        TE.mapLeft((e) => missingPluginError(file, wanted[0]!, e.message.replace(/^plugins: cannot import plugin module \S+ \(\S+\): /, ''))),
        TE.flatMap((plugins) => {
          const found = wanted.map((u) => plugins.find((p) => p.kind === u.kind && p.name === u.name));
          const lost = wanted.find((_, i) => found[i] === undefined);
          return lost !== undefined ? TE.left(missingPluginError(file, lost, `${displayModule(module)} no longer exports it`)) : TE.right(found as AnyPlugin[]);
        }),
      ),
    ),
    TE.flatMapEither((lists) => registry.registerAll(lists.flat())),
  );
};

/** `registry` with the plugins of several checkpoints (see {@link registryForCheckpoint}). */
export const registryForCheckpoints = (registry: Registry, files: ReadonlyArray<string>): TE.TaskEither<EquisslError, Registry> =>
  files.reduce<TE.TaskEither<EquisslError, Registry>>((acc, f) => pipe(acc, TE.flatMap((r) => registryForCheckpoint(r, f))), TE.right(registry));

/** The `plugins:` list of a config file, taken out of the config: its modules, resolved against the file's folder. */
export const configPlugins = (config: Record<string, unknown>, base: string): E.Either<EquisslError, { config: Record<string, unknown>; modules: string[] }> => {
  const { plugins, ...rest } = config;
  if (plugins === undefined || plugins === null) return E.right({ config: rest, modules: [] });
  const list = typeof plugins === 'string' ? [plugins] : plugins;
  if (!Array.isArray(list) || !list.every((m): m is string => typeof m === 'string')) {
    return E.left(configError('plugins', `expected a list of plugin modules (files or packages), got ${JSON.stringify(plugins)}`));
  }
  return E.right({ config: rest, modules: list.map((m) => moduleUrl(m, base)) });
};
