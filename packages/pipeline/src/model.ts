/**
 * Composes the pretraining model from a decoded config and the registry:
 * backbone → neck (none, or one Linear(D, D) per token) → feature split
 * (d_inv | d_equi) → SSL loss on the invariant part of the pooled token, and
 * K reconstruction decoders on the equivariant part of the patch tokens, plus
 * the transformation family of the path. Parameters are initialised from
 * `seed`, each part from its own stream.
 *
 * A loss that needs a `teacher` gets one: a second parameter store holding
 * the backbone, the neck and the loss's own parameters under the same names,
 * initialised identically (the same streams), updated only by
 * {@link updateTeacher} (an exponential moving average of the student).
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, Rng, configError, pluginError } from '@equissl/core';
import type { Encoded } from '@equissl/backbones';
import { type IntermediateReconstruction, intermediateReconstruction } from '@equissl/decoders';
import { type Encoder, type PretrainConfig, instantiateEncoder, planEncoder } from '@equissl/encoder';
import type { BoundLoss, LossShape, SslLoss } from '@equissl/losses';
import { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import type { TransformFamily } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';

/** The composed model: the encoder (its `store` holds every trained parameter: the encoder's, the loss's and the decoders'), and what trains it. */
export interface PretrainModel extends Encoder {
  readonly family: TransformFamily;
  /** Applied to u before the path (undefined: none). */
  readonly augment: TransformFamily | undefined;
  readonly loss: BoundLoss;
  /** The loss plugin's instance: its name, needs, teacher momentum and masking. */
  readonly sslLoss: SslLoss;
  readonly lossName: string;
  /** The EMA teacher, when the loss needs one. */
  readonly teacher: Teacher | undefined;
  /** Undefined with `reconstruction: off` (the plain baseline). */
  readonly reconstruction: IntermediateReconstruction | undefined;
  readonly reconstructionWeight: number;
  readonly dispose: () => void;
}

/** The EMA teacher of a model whose loss needs one. */
export interface Teacher {
  /** The teacher's parameters: the student's backbone, neck and loss names, never trained by gradients. */
  readonly store: ParamStore;
  /** The teacher's backbone → neck, unmasked. */
  readonly encode: (images: tf.Tensor4D) => Encoded;
  /** The loss built in the teacher's store (its `teach` makes the targets). */
  readonly loss: BoundLoss;
  /** The EMA momentum at step 0. */
  readonly momentum: number;
}

/** t ← m·t + (1 − m)·s for every teacher parameter, from the student's parameter of the same name. */
export const updateTeacher = (model: PretrainModel, momentum: number): void => {
  if (model.teacher === undefined) return;
  for (const [name, t] of model.teacher.store.entries()) {
    const s = model.store.get(name)!;
    tf.tidy(() => t.assign(tf.add(tf.mul(t, momentum), tf.mul(s, 1 - momentum))));
  }
};

/** Builds the model for images of shape `[H, W, C]`. */
export const buildModel = (config: PretrainConfig, registry: Registry, imageShape: readonly [number, number, number]): E.Either<EquisslError, PretrainModel> => {
  const c = imageShape[2];
  const init = Rng.seeded(config.seed).fork('init');
  return pipe(
    E.Do,
    E.bind('plan', () => planEncoder(config, registry, imageShape)),
    E.bind('family', () => registry.create('transform', config.path, 'path', { imageShape })),
    E.bind('augment', () =>
      config.augment === undefined || config.augment === null
        ? E.right(undefined)
        : registry.create('transform', config.augment, 'augment', { imageShape }),
    ),
    E.bind('sslLoss', () => registry.create('loss', config.loss, 'loss')),
    E.bind('decoderFactory', () =>
      config.reconstruction === 'off'
        ? E.right(undefined)
        : registry.create('decoder', config.reconstruction.decoder, 'reconstruction.decoder'),
    ),
    E.flatMap(({ plan, family, augment, sslLoss, decoderFactory }) => {
      const { dInv, dEqui } = plan;
      if (decoderFactory !== undefined && dEqui === 0) return E.left(configError('equiFraction', `leaves no equivariant channels for the decoders; raise it or set reconstruction: off`));
      const needs = new Set(sslLoss.needs);
      const minBatch = sslLoss.minBatch ?? 2;
      if (config.batchSize < minBatch)
        return E.left(configError('batchSize', `${config.batchSize} is too small for loss "${sslLoss.name}", which computes batch statistics (variance, covariance, batch norm, negatives) and needs at least ${minBatch} images per batch`));
      if (needs.has('equivariantPart') && dEqui === 0) return E.left(configError('equiFraction', `is 0, but loss "${sslLoss.name}" reads the equivariant part; use e.g. equiFraction: 0.5`));
      if (needs.has('alignedPairs') && config.batchSize % (2 * config.workers) !== 0)
        return E.left(configError('batchSize', `loss "${sslLoss.name}" needs aligned pairs: batchSize ${config.batchSize} must be a multiple of 2 × workers (${2 * config.workers})`));
      const store = new ParamStore();
      const build = (into: ParamStore) => {
        const encoder = instantiateEncoder(plan, config.neck, into, init);
        const shape: LossShape = { dim: dInv, equiDim: dEqui, tokens: encoder.backbone.grid * encoder.backbone.grid, transformDim: family.identity.length };
        return { encoder, loss: sslLoss.build(shape, into, init.fork('loss'), 'loss.') };
      };
      const { encoder, loss } = build(store);
      const backbone = encoder.backbone;
      let teacher: Teacher | undefined;
      if (needs.has('teacher')) {
        const teacherStore = new ParamStore();
        const t = build(teacherStore);
        if (t.loss.teach === undefined) return E.left(configError('loss', `loss "${sslLoss.name}" needs a teacher but defines no teach()`));
        teacher = { store: teacherStore, encode: (images) => t.encoder.neck(t.encoder.backbone.forward(images)), loss: t.loss, momentum: sslLoss.teacherMomentum ?? 0.996 };
      }
      let reconstruction: IntermediateReconstruction | undefined;
      if (decoderFactory !== undefined && config.reconstruction !== 'off') {
        const rec = intermediateReconstruction(
          decoderFactory,
          config.reconstruction.k,
          { equiDim: dEqui, grid: backbone.grid, patchSize: backbone.patchSize, outChannels: c },
          store,
          init.fork('decoders'),
          undefined,
          config.reconstruction.target,
        );
        if (E.isLeft(rec)) {
          store.dispose();
          teacher?.store.dispose();
          return E.left(pluginError('decoder', String((config.reconstruction.decoder as { name?: unknown })?.name), rec.left));
        }
        reconstruction = rec.right;
      }
      return E.right<EquisslError, PretrainModel>({
        ...encoder,
        family,
        augment,
        loss,
        sslLoss,
        lossName: sslLoss.name,
        teacher,
        reconstruction,
        reconstructionWeight: config.reconstruction === 'off' ? 0 : config.reconstruction.weight,
        dispose: () => {
          store.dispose();
          teacher?.store.dispose();
        },
      });
    }),
  );
};
