/**
 * The encoder of a pretraining run: backbone → neck (none, or one
 * Linear(D, D) per token) → split (the first `dInv` channels invariant, the
 * last `dEqui` equivariant). Training builds it inside the whole model
 * ({@link instantiateEncoder}, into the model's parameter store); evaluation,
 * export and any other front end load it alone from a checkpoint
 * ({@link loadEncoder}) through the encoder spec the checkpoint stores
 * (`spec.ts`), without the loss, the decoders or the teacher; a checkpoint
 * written before the spec existed is planned from its config as training
 * planned it.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, Rng, configError, equivariantChannels, normaliseSlot } from '@equissl/core';
import type { Backbone, BackboneArchitecture, BackboneFactory, Encoded } from '@equissl/backbones';
import { ParamStore, dense, fanInUniform } from '@equissl/nn';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { type LoadedCheckpoint, readCheckpoint } from './checkpoint.js';
import { type PretrainConfig, decodePretrainConfig } from './config.js';
import { type EncoderSpec, decodeEncoderSpec, missingPluginError, missingPlugins } from './spec.js';

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** An encoder whose parameters (`encoder.*`, and `neck.*` with a linear neck) live in `store`. */
export interface Encoder {
  readonly store: ParamStore;
  readonly backbone: Backbone;
  /** The backbone as `equissl` prints it (`vit-micro: D=96, depth 4, …`). */
  readonly backboneDescription: string;
  /** The backbone's architecture, as it describes itself (what `equissl export` writes). */
  readonly architecture: BackboneArchitecture;
  /**
   * The split representation of encoded features: the backbone's output
   * through the neck (the identity with `neck: none`). Its first `dInv`
   * channels are invariant, its last `dEqui` equivariant.
   */
  readonly neck: (encoded: Encoded) => Encoded;
  readonly dInv: number;
  readonly dEqui: number;
  /** What a checkpoint stores to rebuild this encoder: the backbone's decoded slot, the neck and the split. */
  readonly spec: EncoderSpec;
  /** Frees the parameters. */
  readonly dispose: () => void;
}

/** What a config says of its encoder before any parameter exists: the backbone factory and the split. */
export interface EncoderPlan {
  readonly factory: BackboneFactory;
  readonly dInv: number;
  readonly dEqui: number;
  /** The backbone's slot as decoded (plugin name and every field). */
  readonly backbone: EncoderSpec['backbone'];
}

/** A loss instance's own default equivariant fraction, when it declares one (the iBOT / DINOv2 heads: 0.25). */
const lossEquiFraction = (loss: unknown): number | undefined => {
  if (typeof loss !== 'object' || loss === null || !('equiFraction' in loss)) return undefined;
  return typeof loss.equiFraction === 'number' ? loss.equiFraction : undefined;
};

/** Fills a slot's missing fields from `extra` (a backbone's image size and channels come from the images). */
const withDefaults = (input: unknown, extra: Record<string, unknown>): unknown => {
  const base = normaliseSlot(input);
  if (typeof base !== 'object' || base === null) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) if (out[k] === undefined) out[k] = v;
  return out;
};

// -------------------------------------------------------------------------------------
// constructors
// -------------------------------------------------------------------------------------

/**
 * The encoder `config` describes for images of shape `[H, W, C]`: the backbone
 * factory, and the split from `equiFraction` (unset: the loss's own default,
 * else 0.5).
 */
export const planEncoder = (config: PretrainConfig, registry: Registry, imageShape: readonly [number, number, number]): E.Either<EquisslError, EncoderPlan> => {
  const [h, w, c] = imageShape;
  if (h !== w) return E.left(configError('data', `images must be square for the ViT, got ${h}×${w}; resize them (image-folder "size")`));
  return pipe(
    E.Do,
    E.bind('backbone', () => decodedBackbone(registry, withDefaults(config.backbone, { imageSize: h, channels: c }))),
    E.bind('factory', ({ backbone }) => registry.create('backbone', backbone, 'backbone')),
    E.bind('loss', () => registry.create('loss', config.loss, 'loss')),
    E.flatMap(({ backbone, factory, loss }) => {
      const dEqui = equivariantChannels(factory.dim, config.equiFraction ?? lossEquiFraction(loss) ?? 0.5);
      const dInv = factory.dim - dEqui;
      return dInv === 0
        ? E.left(configError('equiFraction', `leaves no invariant channels of ${factory.dim}; use a value below 1`))
        : E.right({ factory, dInv, dEqui, backbone });
    }),
  );
};

/** The backbone slot decoded by its plugin: `{ name, ...every field }`, defaults filled. */
const decodedBackbone = (registry: Registry, slot: unknown): E.Either<EquisslError, EncoderSpec['backbone']> =>
  E.map(({ plugin, config }: { plugin: { name: string }; config: unknown }) => ({ ...(config as Record<string, unknown>), name: plugin.name }))(registry.decode('backbone', slot, 'backbone'));

/** The plan of a stored encoder spec: its backbone created from the registry, its split as stored (checked against the backbone's width). */
export const planFromSpec = (spec: EncoderSpec, registry: Registry, file: string): E.Either<EquisslError, EncoderPlan> =>
  pipe(
    registry.create('backbone', spec.backbone, 'encoder.backbone'),
    E.flatMap((factory) =>
      factory.dim === spec.dInv + spec.dEqui
        ? E.right({ factory, dInv: spec.dInv, dEqui: spec.dEqui, backbone: spec.backbone })
        : E.left(configError('encoder', `${file}: the split ${spec.dInv} + ${spec.dEqui} does not add up to the backbone's ${factory.dim} channels; the checkpoint's metadata is inconsistent`)),
    ),
  );

/** The neck's parameters (`neck.weight`, `neck.bias`, PyTorch's Linear initialisation) and its function. */
const buildNeck = (kind: PretrainConfig['neck'], dim: number, store: ParamStore, rng: Rng): ((e: Encoded) => Encoded) => {
  if (kind === 'none') return (e) => e;
  const w = store.add('neck.weight', fanInUniform([dim, dim], dim, rng));
  const b = store.add('neck.bias', fanInUniform([dim], dim, rng));
  return (e) => ({ cls: dense(e.cls, w, b), patches: dense(e.patches, w, b) });
};

/**
 * Defines the encoder's parameters in `store` — the backbone under
 * `encoder.`, initialised from `init.fork('backbone')`, the neck from
 * `init.fork('neck')` — and returns it.
 */
export const instantiateEncoder = (plan: EncoderPlan, neck: PretrainConfig['neck'], store: ParamStore, init: Rng): Encoder => {
  const backbone = plan.factory.instantiate(store, init.fork('backbone'), 'encoder.');
  return {
    store,
    backbone,
    backboneDescription: plan.factory.describe,
    architecture: backbone.architecture,
    neck: buildNeck(neck, plan.factory.dim, store, init.fork('neck')),
    dInv: plan.dInv,
    dEqui: plan.dEqui,
    spec: { backbone: plan.backbone, neck, dInv: plan.dInv, dEqui: plan.dEqui },
    dispose: () => store.dispose(),
  };
};

/** The encoder of `config` in a store of its own, initialised from the config's seed exactly as training initialises it (an untrained control). */
export const buildEncoder = (config: PretrainConfig, registry: Registry, imageShape: readonly [number, number, number]): E.Either<EquisslError, Encoder> =>
  E.map((plan: EncoderPlan) => untrained(plan, config.neck, config.seed))(planEncoder(config, registry, imageShape));

/** The encoder of a stored spec, initialised from `seed` exactly as training with that seed initialises it (an untrained control; no loss is built). */
export const encoderFromSpec = (spec: EncoderSpec, registry: Registry, seed: number, file = 'encoder spec'): E.Either<EquisslError, Encoder> =>
  E.map((plan: EncoderPlan) => untrained(plan, spec.neck, seed))(planFromSpec(spec, registry, file));

const untrained = (plan: EncoderPlan, neck: PretrainConfig['neck'], seed: number): Encoder => instantiateEncoder(plan, neck, new ParamStore(), Rng.seeded(seed).fork('init'));

// -------------------------------------------------------------------------------------
// loading
// -------------------------------------------------------------------------------------

/** An encoder loaded from a checkpoint, and what the checkpoint says of it. */
export interface FrozenEncoder {
  readonly encoder: Encoder;
  readonly file: string;
  readonly imageShape: readonly [number, number, number];
  /** The config the checkpoint was trained with, decoded (plugin slots as given: their fields are decoded by the plugins that read them). */
  readonly config: PretrainConfig;
  readonly step: number;
}

/**
 * The encoder's spec of a checkpoint: the stored one, or — for a checkpoint
 * written before specs were stored — the one its config plans (which builds
 * the loss to read its default split, so the loss plugin must be registered).
 */
const specOf = (ckpt: LoadedCheckpoint, config: PretrainConfig, registry: Registry): E.Either<EquisslError, EncoderSpec> => {
  if (ckpt.state.encoder !== undefined) return decodeEncoderSpec(ckpt.state.encoder, ckpt.file);
  return pipe(
    planEncoder(config, registry, ckpt.state.imageShape),
    E.map((plan): EncoderSpec => ({ backbone: plan.backbone, neck: config.neck, dInv: plan.dInv, dEqui: plan.dEqui })),
    E.mapLeft((e): EquisslError =>
      e._tag === 'UnknownPlugin'
        ? { ...e, message: `${ckpt.file} stores no encoder spec (written by an older equissl), so its split comes from its loss: ${e.message}; pass the loss's module with --plugins, or rewrite the checkpoint with \`equissl pretrain --out DIR --resume --steps N\` (N = its steps) where the plugin is registered` }
        : e,
    ),
  );
};

/** The encoder of a checkpoint already read (its `param/encoder.*` and `param/neck.*` tensors); the rest of the checkpoint is not touched and no loss is built. */
export const encoderFromCheckpoint = (ckpt: LoadedCheckpoint, registry: Registry): E.Either<EquisslError, FrozenEncoder> =>
  pipe(
    E.Do,
    E.bind('config', () => decodePretrainConfig(ckpt.state.config)),
    E.bind('spec', ({ config }) => specOf(ckpt, config, registry)),
    E.bind('encoder', ({ spec }) => E.mapLeft(aboutMissing(ckpt, registry))(encoderFromSpec(spec, registry, 0, ckpt.file))),
    E.flatMap(({ config, encoder }) =>
      pipe(
        encoder.store.load(ckpt.tensors, ckpt.file, 'param/'),
        E.map((): FrozenEncoder => ({ encoder, file: ckpt.file, imageShape: ckpt.state.imageShape, config, step: ckpt.state.step })),
        E.mapLeft((e): EquisslError => {
          encoder.dispose();
          return e;
        }),
      ),
    ),
  );

/** An unknown backbone plugin, said as the checkpoint's plugin to pass with `--plugins`. */
const aboutMissing =
  (ckpt: LoadedCheckpoint, registry: Registry) =>
  (e: EquisslError): EquisslError => {
    if (e._tag !== 'UnknownPlugin') return e;
    const use = missingPlugins(ckpt.state.plugins ?? [], registry).find((u) => u.kind === 'backbone');
    return use === undefined ? e : missingPluginError(ckpt.file, use);
  };

/** Reads a checkpoint and loads its encoder. */
export const loadEncoder = (file: string, registry: Registry): TE.TaskEither<EquisslError, FrozenEncoder> =>
  pipe(
    readCheckpoint(file),
    TE.mapLeft((e): EquisslError => e),
    TE.flatMapEither((ckpt) => encoderFromCheckpoint(ckpt, registry)),
  );
