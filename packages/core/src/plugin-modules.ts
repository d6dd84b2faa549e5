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

/**
 * The registry of `addresses` (from {@link pluginAddresses} on the calling
 * thread): each module imported once, each addressed plugin registered.
 * Left: a message naming the module that could not be imported, or the
 * plugin it does not export.
 */
export const registryFromModules = async (addresses: ReadonlyArray<PluginAddress>): Promise<E.Either<string, Registry>> => {
  const modules = new Map<string, AnyPlugin[]>();
  for (const url of new Set(addresses.map((a) => a.module))) {
    try {
      modules.set(url, exportedPlugins((await import(url)) as Record<string, unknown>));
    } catch (e) {
      return E.left(`a worker could not import plugin module ${url}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  let registry = Registry.empty;
  for (const a of addresses) {
    const plugin = modules.get(a.module)!.find((p) => p.kind === a.kind && p.name === a.name);
    if (plugin === undefined) return E.left(`plugin module ${a.module} exports no ${a.kind} "${a.name}"; export the plugin value from the module its \`module\` field names`);
    const next = registry.register({ ...plugin, module: a.module });
    if (E.isLeft(next)) return E.left(next.left.message);
    registry = next.right;
  }
  return E.right(registry);
};
