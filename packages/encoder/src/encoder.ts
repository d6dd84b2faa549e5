/**
 * The encoder of a pretraining run: backbone → neck (none, or one
 * Linear(D, D) per token) → split (the first `dInv` channels invariant, the
 * last `dEqui` equivariant). Training builds it inside the whole model
 * ({@link instantiateEncoder}, into the model's parameter store); evaluation,
 * export and any other front end load it alone from a checkpoint
 * ({@link loadEncoder}), without the loss, the decoders or the teacher.
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
  /** Frees the parameters. */
  readonly dispose: () => void;
}

/** What a config says of its encoder before any parameter exists: the backbone factory and the split. */
export interface EncoderPlan {
  readonly factory: BackboneFactory;
  readonly dInv: number;
  readonly dEqui: number;
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
    E.bind('factory', () => registry.create('backbone', withDefaults(config.backbone, { imageSize: h, channels: c }), 'backbone')),
    E.bind('loss', () => registry.create('loss', config.loss, 'loss')),
    E.flatMap(({ factory, loss }) => {
      const dEqui = equivariantChannels(factory.dim, config.equiFraction ?? lossEquiFraction(loss) ?? 0.5);
      const dInv = factory.dim - dEqui;
      return dInv === 0
        ? E.left(configError('equiFraction', `leaves no invariant channels of ${factory.dim}; use a value below 1`))
        : E.right({ factory, dInv, dEqui });
    }),
  );
};

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
    dispose: () => store.dispose(),
  };
};

/** The encoder of `config` in a store of its own, initialised from the config's seed exactly as training initialises it (an untrained control). */
export const buildEncoder = (config: PretrainConfig, registry: Registry, imageShape: readonly [number, number, number]): E.Either<EquisslError, Encoder> =>
  E.map((plan: EncoderPlan) => instantiateEncoder(plan, config.neck, new ParamStore(), Rng.seeded(config.seed).fork('init')))(planEncoder(config, registry, imageShape));

// -------------------------------------------------------------------------------------
// loading
// -------------------------------------------------------------------------------------

/** An encoder loaded from a checkpoint, and what the checkpoint says of it. */
export interface FrozenEncoder {
  readonly encoder: Encoder;
  readonly file: string;
  readonly imageShape: readonly [number, number, number];
  /** The config the checkpoint was trained with (as given). */
  readonly config: unknown;
  readonly step: number;
}

/** The encoder of a checkpoint already read (its `param/encoder.*` and `param/neck.*` tensors); the rest of the checkpoint is not touched. */
export const encoderFromCheckpoint = (ckpt: LoadedCheckpoint, registry: Registry): E.Either<EquisslError, FrozenEncoder> =>
  pipe(
    decodePretrainConfig(ckpt.state.config),
    E.flatMap((config) => buildEncoder(config, registry, ckpt.state.imageShape)),
    E.flatMap((encoder) =>
      pipe(
        encoder.store.load(ckpt.tensors, ckpt.file, 'param/'),
        E.map((): FrozenEncoder => ({ encoder, file: ckpt.file, imageShape: ckpt.state.imageShape, config: ckpt.state.config, step: ckpt.state.step })),
        E.mapLeft((e): EquisslError => {
          encoder.dispose();
          return e;
        }),
      ),
    ),
  );

/** Reads a checkpoint and loads its encoder. */
export const loadEncoder = (file: string, registry: Registry): TE.TaskEither<EquisslError, FrozenEncoder> =>
  pipe(
    readCheckpoint(file),
    TE.mapLeft((e): EquisslError => e),
    TE.flatMapEither((ckpt) => encoderFromCheckpoint(ckpt, registry)),
  );
