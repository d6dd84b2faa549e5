/**
 * The pretraining config: one io-ts codec with defaults for every field. It
 * lives beside the checkpoint format because every checkpoint carries the
 * config it was trained with, and whoever loads an encoder decodes it.
 * Plugin slots (`data`, `backbone`, `loss`, `path`, `augment`,
 * `reconstruction.decoder`) are `{ name, ...fields }` objects (or a name
 * alone), typed from the declared plugins (`pluginSlot`); their fields are
 * decoded by the registry when the model is built, so their errors carry the
 * same paths (`loss.simCoeff: …`).
 *
 * Defaults: the short CPU run behind `equissl pretrain` with no arguments —
 * vit-micro on 32-px procedural images, VICReg (SIE) on the invariant half,
 * K = 2 rotation-path decoders on the equivariant half, λ = 1.
 *
 * @since 0.1.0
 */
import { type EquisslError, decode, finite, nonNegative, nonNegativeInt, pluginSlot, positive, positiveInt, probability, struct } from '@equissl/core';
import { ViewConfig, viewDefaults } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { availableParallelism } from 'node:os';

/** The optimizer's defaults (one place: the optimizer's codec and the pretraining config's default use them). */
export const optimizerDefaults = { lr: 5e-4, minLr: 1e-5, weightDecay: 0.05, warmupSteps: 10, beta1: 0.9, beta2: 0.999, eps: 1e-8, decoderLrScale: 1 };

/** The reconstruction objective's defaults: λ 1, K = 2, pixel targets, the conv4 decoder with 32 channels. */
export const reconstructionDefaults = { weight: 1, k: 2, target: 'pixels' as const, decoder: { name: 'conv4' as const } };

export const OptimizerConfig = struct(
  'optimizer',
  {
    lr: positive,
    minLr: nonNegative,
    weightDecay: nonNegative,
    warmupSteps: nonNegativeInt,
    beta1: probability,
    beta2: probability,
    eps: positive,
    /** The decoders' learning rate relative to `lr` (they start from scratch and learn slowly at the encoder's rate). */
    decoderLrScale: positive,
  },
  optimizerDefaults,
);

export type OptimizerConfig = t.TypeOf<typeof OptimizerConfig>;

/**
 * What the decoders reconstruct: the path images' `pixels` in [0, 1], or each
 * image `normalised` to zero mean and unit variance per image (MAE's
 * per-patch normalisation at image scale; it weighs every image's structure
 * alike, whatever its brightness).
 */
export const ReconstructionTarget = t.union([t.literal('pixels'), t.literal('normalised')]);
export type ReconstructionTarget = t.TypeOf<typeof ReconstructionTarget>;

export const ReconstructionConfig = t.union([
  t.literal('off'),
  struct(
    'reconstruction',
    { weight: nonNegative, k: positiveInt, target: ReconstructionTarget, decoder: pluginSlot('decoder') },
    reconstructionDefaults,
  ),
]);
export type ReconstructionConfig = t.TypeOf<typeof ReconstructionConfig>;

export const PretrainConfig = struct(
  'pretrain',
  {
    seed: finite,
    steps: positiveInt,
    batchSize: positiveInt,
    data: pluginSlot('dataset'),
    views: ViewConfig,
    /**
     * An extra transformation family applied to the second view *after* the
     * path, v2 = a(g_θ(u)) (SIE's "all" augmentations). It never enters the
     * reconstruction targets u_k = g_{θ_k}(u), which stay exact points of the
     * path; none by default.
     */
    augment: t.union([pluginSlot('transform'), t.undefined, t.null]),
    path: pluginSlot('transform'),
    backbone: pluginSlot('backbone'),
    /**
     * A layer between the backbone and the split (paper §4.1): `linear` maps
     * every token through one Linear(D, D), so that no channel of the backbone
     * is reserved for one objective; `none` splits the backbone's channels.
     */
    neck: t.union([t.literal('none'), t.literal('linear')]),
    /**
     * Fraction of the channels that are equivariant; 0 for an invariant
     * baseline on the whole representation. Unset: the loss's own default
     * (the paper's: 0.25 for the iBOT / DINOv2 heads, 0.5 for the others).
     */
    equiFraction: t.union([probability, t.undefined]),
    loss: pluginSlot('loss'),
    reconstruction: ReconstructionConfig,
    optimizer: OptimizerConfig,
    /** Write a checkpoint every N steps (0: only at the end). */
    checkpointEvery: nonNegativeInt,
    /**
     * Data-parallel replicas on worker threads; `auto` (the default): one per
     * core, at most {@link maxAutoWorkers}, the largest count that splits the
     * batch into even shards. Results are deterministic for a given count;
     * set it explicitly to get the same numbers on machines with other cores.
     */
    workers: t.union([positiveInt, t.literal('auto')]),
  },
  {
    seed: 0,
    steps: 120,
    batchSize: 32,
    data: { name: 'procedural', count: 4096, size: 32 },
    views: viewDefaults,
    augment: undefined,
    path: { name: 'rotation' },
    backbone: { name: 'vit-micro' },
    neck: 'none',
    equiFraction: undefined,
    loss: { name: 'vicreg' },
    reconstruction: reconstructionDefaults,
    optimizer: optimizerDefaults,
    checkpointEvery: 50,
    workers: 'auto',
  },
);

/** A decoded pretraining config, its worker count resolved. */
export type PretrainConfig = Omit<t.TypeOf<typeof PretrainConfig>, 'workers'> & { readonly workers: number };

/** The most replicas `workers: auto` starts (beyond a few, the gradient exchange costs more than it gains on CPUs). */
export const maxAutoWorkers = 4;

/** `workers: auto` for `cores` cores: the largest w ≤ min(cores, {@link maxAutoWorkers}) that splits the batch into shards of even size (so aligned pairs never straddle replicas); 1 if none. */
export const autoWorkers = (batchSize: number, cores: number): number => {
  for (let w = Math.max(1, Math.min(cores, maxAutoWorkers)); w > 1; w--) if (batchSize % (2 * w) === 0) return w;
  return 1;
};


/** Decodes a pretraining config (unknown input, e.g. parsed YAML) with path-precise errors; `workers: auto` is resolved for `cores`. */
export const decodePretrainConfig = (input: unknown, cores: number = availableParallelism()): E.Either<EquisslError, PretrainConfig> =>
  E.map((c: t.TypeOf<typeof PretrainConfig>) => ({ ...c, workers: c.workers === 'auto' ? autoWorkers(c.batchSize, cores) : c.workers }))(decode(PretrainConfig, input ?? {}, ''));
