/**
 * The typed, immutable plugin registry.
 *
 * A plugin is a value `{ kind, name, description, config, create }`: `config`
 * is an io-ts codec that decodes (and fills defaults of) the plugin's part of
 * a config, and `create` turns the decoded config into an instance or a
 * {@link PluginError}. Nothing throws for bad input.
 *
 * Plugin packages make their names known to the type system by module
 * augmentation of one of the per-kind maps (the fp-ts `URItoKind` pattern):
 *
 * ```ts
 * declare module '@equissl/core' {
 *   interface TransformPlugins { rotation: typeof rotationPlugin }
 * }
 * ```
 *
 * after which `registry.build('transform', { name: 'rotation', maxDegrees: 30 })`
 * is checked at compile time, and {@link Registry.decode} checks the same at
 * run time with path-precise messages.
 *
 * @since 0.1.0
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { decode, normaliseSlot } from './codec.js';
import {
  type DuplicatePlugin,
  type EquisslError,
  type PluginError,
  type UnknownPlugin,
  configError,
  duplicatePlugin,
  unknownPlugin,
} from './errors.js';

// -------------------------------------------------------------------------------------
// type-level maps (extended by module augmentation)
// -------------------------------------------------------------------------------------

/** Encoders (ViT presets …), keyed by plugin name. */
export interface BackbonePlugins {}
/** Transformation families and augmentations, keyed by plugin name. */
export interface TransformPlugins {}
/** SSL objectives, keyed by plugin name. */
export interface LossPlugins {}
/** Reconstruction decoders, keyed by plugin name. */
export interface DecoderPlugins {}
/** Downstream heads (linear, MLP, k-NN …), keyed by plugin name. */
export interface HeadPlugins {}
/** Datasets, keyed by plugin name. */
export interface DatasetPlugins {}
/** Evaluation suites (equivariance, linear probe, k-NN, homography …), keyed by plugin name. */
export interface SuitePlugins {}

/** The map from kind to that kind's plugin map. */
export interface PluginKinds {
  readonly backbone: BackbonePlugins;
  readonly transform: TransformPlugins;
  readonly loss: LossPlugins;
  readonly decoder: DecoderPlugins;
  readonly head: HeadPlugins;
  readonly dataset: DatasetPlugins;
  readonly suite: SuitePlugins;
}

/** One of `backbone`, `transform`, `loss`, `decoder`, `head`, `dataset`, `suite`. */
export type PluginKind = keyof PluginKinds;

/**
 * The instance type every plugin of a kind creates. Each package that owns a
 * kind's interface sets it by module augmentation
 * (`interface KindInstances { loss: SslLoss }`), so {@link Registry.create}
 * returns that type without casts and {@link definePlugin} rejects a plugin
 * whose `create` returns something else. A kind nobody set is `unknown`.
 */
export interface KindInstances {}

/** The instance type of kind `K`'s plugins. */
export type KindInstance<K extends PluginKind> = K extends keyof KindInstances ? KindInstances[K] : unknown;

/** Every kind, for listings and validation. */
export const pluginKinds: ReadonlyArray<PluginKind> = ['backbone', 'transform', 'loss', 'decoder', 'head', 'dataset', 'suite'];

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/**
 * What `create` may use besides its config. Open: packages may add fields
 * by module augmentation; the registry itself is always present so a plugin
 * can build the plugins it is composed of.
 */
export interface PluginContext {
  readonly registry: Registry;
  /** `[H, W, C]` of the images the instance will see, when the caller knows it (size-dependent ranges such as translation's). */
  readonly imageShape?: readonly [number, number, number];
}

/** What a caller may add to a plugin's context besides the registry. */
export type ContextExtras = Omit<PluginContext, 'registry'>;

/** A plugin value. */
export interface Plugin<K extends PluginKind, N extends string, C, I> {
  readonly kind: K;
  readonly name: N;
  /** One sentence for `equissl plugins` and error messages. */
  readonly description: string;
  /** Decodes the plugin's config (without its `name` field) from unknown input, filling defaults. */
  readonly config: t.Decoder<unknown, C>;
  readonly create: (config: C, ctx: PluginContext) => E.Either<PluginError, I>;
  /**
   * The URL of a module that exports this plugin — write `module: import.meta.url`
   * in the plugin's own file. Data-parallel worker replicas cannot be sent
   * functions; they import this module and register the plugins it exports.
   */
  readonly module?: string;
}

/** Whether `u` is a plugin value (for scanning a module's exports). */
export const isPlugin = (u: unknown): u is AnyPlugin => {
  if (typeof u !== 'object' || u === null) return false;
  const p = u as Record<string, unknown>;
  return typeof p['name'] === 'string' && typeof p['create'] === 'function' && typeof p['config'] === 'object' && (pluginKinds as ReadonlyArray<unknown>).includes(p['kind']);
};

/** Any plugin, for heterogeneous collections. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyPlugin = Plugin<PluginKind, string, any, any>;

/** The names registered (at the type level) for kind `K`. */
export type PluginNames<K extends PluginKind> = keyof PluginKinds[K] & string;
/** The decoded config type of a plugin. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigOf<P> = P extends Plugin<PluginKind, string, infer C, any> ? C : never;
/** The instance type a plugin creates. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type InstanceOf<P> = P extends Plugin<PluginKind, string, any, infer I> ? I : never;
/** The instance type of plugin `N` of kind `K`. */
export type PluginInstance<K extends PluginKind, N extends PluginNames<K>> = InstanceOf<PluginKinds[K][N]>;

/**
 * The config of one plugin slot as a user writes it: the plugin's name plus
 * any of its fields (missing fields take the plugin's defaults).
 */
export type PluginConfig<K extends PluginKind> = {
  [N in PluginNames<K>]: { readonly name: N } & Partial<ConfigOf<PluginKinds[K][N]>>;
}[PluginNames<K>];

/**
 * A plugin slot as written: the plugin's config object ({@link PluginConfig}),
 * or its name alone. In a program that declares no plugin of kind `K` (a
 * package that reads configs without importing the plugin packages), any
 * name and fields.
 */
export type PluginSlot<K extends PluginKind> = [PluginNames<K>] extends [never]
  ? string | { readonly name: string; readonly [field: string]: unknown }
  : PluginConfig<K> | PluginNames<K>;

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * The codec of a plugin slot of kind `kind` inside a larger config: it checks
 * the slot's shape (a plugin name, or an object whose `name` is a string) and
 * types it from the plugins declared for the kind ({@link PluginConfig}). The
 * plugin's own fields are decoded by the registry when the slot is created,
 * with the slot's path in their errors (`loss.simCoeff: …`).
 *
 * @category codecs
 */
export const pluginSlot = <K extends PluginKind>(kind: K): t.Type<PluginSlot<K>, PluginSlot<K>, unknown> =>
  new t.Type<PluginSlot<K>, PluginSlot<K>, unknown>(
    `${kind} plugin`,
    (u): u is PluginSlot<K> => typeof u === 'string' || (isObject(u) && typeof u['name'] === 'string'),
    (u, c) => {
      if (typeof u === 'string') return t.success(u as PluginSlot<K>);
      if (!isObject(u)) return t.failure(u, c, `expected a ${kind} plugin config { name, ... }, got ${JSON.stringify(u)}`);
      const name = u['name'];
      return typeof name === 'string'
        ? t.success(u as PluginSlot<K>)
        : t.failure(name, t.appendContext(c, 'name', t.string, name), `expected the name of a ${kind} plugin, got ${JSON.stringify(name)}`);
    },
    t.identity,
  );

/** A decoded config bound to its plugin, ready to create. */
export interface Resolved<C = unknown, I = unknown> {
  readonly plugin: Plugin<PluginKind, string, C, I>;
  readonly config: C;
}

/**
 * Declares a plugin with its kind and name inferred as literal types.
 *
 * @category constructors
 */
export const definePlugin = <const K extends PluginKind, const N extends string, C, I extends KindInstance<K>>(
  plugin: Plugin<K, N, C, I>,
): Plugin<K, N, C, I> => plugin;

// -------------------------------------------------------------------------------------
// registry
// -------------------------------------------------------------------------------------

type Table = ReadonlyMap<PluginKind, ReadonlyMap<string, AnyPlugin>>;

/** An immutable set of plugins; every change returns a new registry. */
export class Registry {
  private constructor(private readonly table: Table) {}

  /** The registry with no plugins. */
  static readonly empty: Registry = new Registry(new Map());

  /** A registry holding `plugins`, or the first duplicate. */
  static of(...plugins: ReadonlyArray<AnyPlugin>): E.Either<DuplicatePlugin, Registry> {
    return Registry.empty.registerAll(plugins);
  }

  /** A new registry with `plugin` added, or {@link DuplicatePlugin} if its kind and name are taken. */
  register(plugin: AnyPlugin): E.Either<DuplicatePlugin, Registry> {
    const ofKind = this.table.get(plugin.kind) ?? new Map<string, AnyPlugin>();
    if (ofKind.has(plugin.name)) return E.left(duplicatePlugin(plugin.kind, plugin.name));
    const next = new Map(this.table);
    next.set(plugin.kind, new Map(ofKind).set(plugin.name, plugin));
    return E.right(new Registry(next));
  }

  /** Registers each plugin in turn; stops at the first duplicate. */
  registerAll(plugins: ReadonlyArray<AnyPlugin>): E.Either<DuplicatePlugin, Registry> {
    return plugins.reduce<E.Either<DuplicatePlugin, Registry>>(
      (acc, p) => pipe(acc, E.flatMap((r) => r.register(p))),
      E.right(this),
    );
  }

  /** Registers every plugin of `other` (plugins present in both are an error). */
  merge(other: Registry): E.Either<DuplicatePlugin, Registry> {
    return this.registerAll(other.all());
  }

  /** The names of kind `kind`, sorted. */
  names(kind: PluginKind): ReadonlyArray<string> {
    return [...(this.table.get(kind)?.keys() ?? [])].sort();
  }

  /** Every plugin, grouped by kind in {@link pluginKinds} order. */
  all(): ReadonlyArray<AnyPlugin> {
    return pluginKinds.flatMap((k) => [...(this.table.get(k)?.values() ?? [])]);
  }

  /** The plugin `name` of `kind`, or {@link UnknownPlugin} listing the names that exist. */
  get<K extends PluginKind, N extends PluginNames<K>>(kind: K, name: N): E.Either<UnknownPlugin, PluginKinds[K][N]>;
  get(kind: PluginKind, name: string): E.Either<UnknownPlugin, AnyPlugin>;
  get(kind: PluginKind, name: string): E.Either<UnknownPlugin, AnyPlugin> {
    const plugin = this.table.get(kind)?.get(name);
    return plugin === undefined ? E.left(unknownPlugin(kind, name, this.names(kind))) : E.right(plugin);
  }

  /**
   * Decodes one plugin slot of a config from unknown input (`{ name, ...fields }`),
   * reporting failures with `path` as the prefix (`loss.simCoeff: …`).
   */
  decode(kind: PluginKind, input: unknown, path: string = kind): E.Either<EquisslError, Resolved> {
    if (typeof input === 'string') return this.decode(kind, normaliseSlot(input), path);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return E.left(configError(path, `expected a ${kind} plugin config { name, ... }, got ${JSON.stringify(input)}`));
    }
    const { name, ...fields } = input as Record<string, unknown>;
    if (typeof name !== 'string') {
      return E.left(
        configError(`${path}.name`, `expected the name of a ${kind} plugin (one of: ${this.names(kind).join(', ')}), got ${JSON.stringify(name)}`),
      );
    }
    return pipe(
      this.get(kind, name),
      E.mapLeft((e): EquisslError => ({ ...e, message: `${path}.name: ${e.message}` })),
      E.flatMap((plugin) =>
        pipe(
          decode(plugin.config, fields, path),
          E.map((config): Resolved => ({ plugin, config })),
        ),
      ),
    );
  }

  /** Decodes and creates one plugin instance from unknown input, typed by its kind; `extras` join the plugin's context. */
  create<K extends PluginKind>(kind: K, input: unknown, path: string = kind, extras: ContextExtras = {}): E.Either<EquisslError, KindInstance<K>> {
    return pipe(
      this.decode(kind, input, path),
      // every plugin registered under kind K was declared (definePlugin) to create a KindInstance<K>
      E.flatMap(({ plugin, config }) => plugin.create(config, { ...extras, registry: this }) as E.Either<PluginError, KindInstance<K>>),
    );
  }

  /** Whether the plugin of a slot accepts `fields` (decoding succeeds with them added), e.g. a dataset's `split`. */
  accepts(kind: PluginKind, slot: unknown, fields: Record<string, unknown>): boolean {
    const s = normaliseSlot(slot);
    return typeof s === 'object' && s !== null && E.isRight(this.decode(kind, { ...(s as Record<string, unknown>), ...fields }));
  }

  /** Type-checked creation: the name and fields are checked at compile time, then decoded. */
  build<K extends PluginKind, N extends PluginNames<K>>(
    kind: K,
    config: { readonly name: N } & Partial<ConfigOf<PluginKinds[K][N]>>,
    path: string = kind,
  ): E.Either<EquisslError, PluginInstance<K, N>> {
    return this.create(kind, config, path) as E.Either<EquisslError, PluginInstance<K, N>>;
  }
}
