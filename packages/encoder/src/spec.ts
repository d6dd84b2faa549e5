/**
 * What a checkpoint says of its encoder and of the plugins it was trained
 * with, so that any front end rebuilds the encoder without the loss, the
 * decoders or the data:
 *
 * - the {@link EncoderSpec}: the backbone's decoded slot (plugin name and
 *   every field, image size and channels included), the neck, and the
 *   invariant / equivariant split;
 * - the {@link PluginUse}s: the kind, name and module of every plugin the
 *   config's slots name, so that a command opening the checkpoint can import
 *   a user's plugin module, or say exactly which module to pass.
 *
 * @since 0.1.0
 */
import { type EquisslError, type PluginKind, type Registry, configError, decode, nonNegativeInt, normaliseSlot, positiveInt, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PretrainConfig } from './config.js';

// -------------------------------------------------------------------------------------
// encoder spec
// -------------------------------------------------------------------------------------

/** The encoder of a checkpoint: backbone slot (decoded, with its plugin name), neck and split. */
export const EncoderSpec = struct('encoder', {
  backbone: t.intersection([t.type({ name: t.string }), t.UnknownRecord]),
  neck: t.union([t.literal('none'), t.literal('linear')]),
  dInv: positiveInt,
  dEqui: nonNegativeInt,
});
export type EncoderSpec = t.TypeOf<typeof EncoderSpec>;

/** Decodes a checkpoint's `encoder` metadata; `file` names the checkpoint in errors. */
export const decodeEncoderSpec = (input: unknown, file: string): E.Either<EquisslError, EncoderSpec> =>
  E.mapLeft((e: EquisslError): EquisslError => ({ ...e, message: `${file}: ${e.message}` }))(decode(EncoderSpec, input, 'encoder'));

// -------------------------------------------------------------------------------------
// plugins used
// -------------------------------------------------------------------------------------

/** A plugin a config names, and the module that exports it (when the plugin says; built-in plugins always do). */
export interface PluginUse {
  readonly kind: PluginKind;
  readonly name: string;
  /** Where the config names it (`loss`, `path`, `reconstruction.decoder` …). */
  readonly field: string;
  readonly module?: string;
}

export const PluginUses = t.array(
  t.intersection([t.type({ kind: t.string, name: t.string, field: t.string }), t.partial({ module: t.string })]),
);

/** The plugin slots of a pretraining config: where each is, and its kind. */
const slotsOf = (config: PretrainConfig): ReadonlyArray<{ field: string; kind: PluginKind; slot: unknown }> => [
  { field: 'data', kind: 'dataset', slot: config.data },
  { field: 'path', kind: 'transform', slot: config.path },
  ...(config.augment === undefined || config.augment === null ? [] : [{ field: 'augment', kind: 'transform' as const, slot: config.augment }]),
  { field: 'backbone', kind: 'backbone', slot: config.backbone },
  { field: 'loss', kind: 'loss', slot: config.loss },
  ...(config.reconstruction === 'off' ? [] : [{ field: 'reconstruction.decoder', kind: 'decoder' as const, slot: config.reconstruction.decoder }]),
];

const slotName = (slot: unknown): string | undefined => {
  const s = normaliseSlot(slot) as { name?: unknown } | undefined;
  return typeof s?.name === 'string' ? s.name : undefined;
};

/** Every plugin `config`'s slots name, with the module `registry` says it comes from. */
export const pluginUses = (config: PretrainConfig, registry: Registry): PluginUse[] =>
  slotsOf(config).flatMap(({ field, kind, slot }) => {
    const name = slotName(slot);
    if (name === undefined) return [];
    const plugin = registry.get(kind, name);
    const module = E.isRight(plugin) ? plugin.right.module : undefined;
    return [{ kind, name, field, ...(module !== undefined ? { module } : {}) }];
  });

/** The plugins of `uses` that `registry` lacks. */
export const missingPlugins = (uses: ReadonlyArray<PluginUse>, registry: Registry): PluginUse[] =>
  uses.filter((u) => E.isLeft(registry.get(u.kind, u.name)));

/**
 * The error of a plugin a checkpoint was trained with and that is not
 * registered: it names the plugin, where the config names it and the module
 * to pass with `--plugins`.
 */
export const missingPluginError = (file: string, use: PluginUse, why?: string): EquisslError => {
  const gone = use.module !== undefined && use.module.startsWith('file://') && !existsSync(fileURLToPath(use.module));
  const fix = gone
    ? `${displayModule(use.module!)} no longer exists: pass the module's new place with --plugins FILE`
    : `pass its module with --plugins ${use.module !== undefined ? displayModule(use.module) : 'MODULE'}`;
  return configError(
    use.field,
    `${file} was trained with ${use.kind} plugin "${use.name}"${use.module !== undefined ? ` from ${use.module}` : ''}, which is not registered here${why !== undefined && !gone ? ` (${why})` : ''}; ${fix}`,
  );
};

/** A module URL as a user types it: a file URL as its path, anything else as it is. */
export const displayModule = (module: string): string => (module.startsWith('file://') ? decodeURIComponent(new URL(module).pathname) : module);
