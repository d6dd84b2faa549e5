/**
 * Plugins across threads. A worker thread cannot be sent functions, so it
 * rebuilds the caller's registry from the modules that export its plugins:
 * every plugin names its module (`module: import.meta.url`; the built-in
 * packages set it with {@link fromModule}), the caller lists where each of its
 * plugins lives ({@link pluginAddresses}), and the worker imports those
 * modules and registers the same plugins ({@link registryFromModules}).
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js';
import { type AnyPlugin, Registry, isPlugin } from './registry.js';

// -------------------------------------------------------------------------------------
// addresses
// -------------------------------------------------------------------------------------

/** Where a worker finds a plugin: its kind and name, exported by `module`. */
export interface PluginAddress {
  readonly kind: AnyPlugin['kind'];
  readonly name: string;
  readonly module: string;
}

/** `plugins`, each naming `url` as its module (a package's plugin list: `fromModule(import.meta.url, [...])`). */
export const fromModule = (url: string, plugins: ReadonlyArray<AnyPlugin>): ReadonlyArray<AnyPlugin> => plugins.map((p) => ({ ...p, module: url }));

/**
 * The address of every plugin of `registry`, and the plugins that name no
 * module (`kind "name"`; they cannot run in a worker).
 */
export const pluginAddresses = (registry: Registry): { addresses: PluginAddress[]; unreachable: string[] } => {
  const all = registry.all();
  return {
    addresses: all.flatMap((p) => (p.module === undefined ? [] : [{ kind: p.kind, name: p.name, module: p.module }])),
    unreachable: all.filter((p) => p.module === undefined).map((p) => `${p.kind} "${p.name}"`),
  };
};

// -------------------------------------------------------------------------------------
// rebuilding
// -------------------------------------------------------------------------------------

/** The plugins a module exports: exported plugin values and lists of them. */
const exportedPlugins = (exported: Record<string, unknown>): AnyPlugin[] =>
  Object.values(exported).flatMap((v) => (isPlugin(v) ? [v] : Array.isArray(v) ? v.filter(isPlugin) : []));

/** A plugin module a worker could not import, and why (its error's first line). */
export interface UnloadableModule {
  readonly module: string;
  readonly reason: string;
}

/** Why a registry could not be rebuilt: the message, and the module when it was one that could not be imported. */
export interface RebuildFailure {
  readonly message: string;
  readonly unloadable?: UnloadableModule;
}

/** The first line of an error's message, at most `max` characters: some libraries' messages carry kilobytes of source. */
export const firstLine = (text: string, max = 300): string => {
  const line = (text.split('\n').find((l) => l.trim() !== '') ?? '').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

const errorText = (e: unknown): string => firstLine(e instanceof Error ? e.message : String(e));

/** Each module of `urls` imported once: its plugins, or the first module that could not be imported. */
const importModules = async (urls: ReadonlyArray<string>): Promise<E.Either<UnloadableModule, Map<string, AnyPlugin[]>>> => {
  const modules = new Map<string, AnyPlugin[]>();
  for (const url of urls) {
    try {
      modules.set(url, exportedPlugins((await import(/* @vite-ignore */ url)) as Record<string, unknown>));
    } catch (e) {
      return E.left({ module: url, reason: errorText(e) });
    }
  }
  return E.right(modules);
};

/**
 * The registry of `addresses` (from {@link pluginAddresses} on the calling
 * thread): each module imported once, each addressed plugin registered.
 * Left: why, naming the module that could not be imported (`unloadable`, so
 * the caller can run without workers), or the plugin a module does not export.
 */
export const rebuildRegistry = async (addresses: ReadonlyArray<PluginAddress>): Promise<E.Either<RebuildFailure, Registry>> => {
  const imported = await importModules([...new Set(addresses.map((a) => a.module))]);
  if (E.isLeft(imported)) {
    const u = imported.left;
    return E.left({ message: `a worker could not import plugin module ${u.module}: ${u.reason}`, unloadable: u });
  }
  let registry = Registry.empty;
  for (const a of addresses) {
    const plugin = imported.right.get(a.module)!.find((p) => p.kind === a.kind && p.name === a.name);
    if (plugin === undefined) return E.left({ message: `plugin module ${a.module} exports no ${a.kind} "${a.name}"; export the plugin value from the module its \`module\` field names` });
    const next = registry.register({ ...plugin, module: a.module });
    if (E.isLeft(next)) return E.left({ message: next.left.message });
    registry = next.right;
  }
  return E.right(registry);
};

/** {@link rebuildRegistry}, its failure as a message. */
export const registryFromModules = async (addresses: ReadonlyArray<PluginAddress>): Promise<E.Either<string, Registry>> =>
  E.mapLeft((f: RebuildFailure) => f.message)(await rebuildRegistry(addresses));
