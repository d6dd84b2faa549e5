/**
 * Composes the pretraining model from a decoded config and the registry:
 * backbone → neck (none, or one Linear(D, D) per token) → feature split
 * (d_inv | d_equi) → SSL loss on the invariant part of the pooled token, and
 * K reconstruction decoders on the equivariant part of the patch tokens, plus
 * the transformation family of the path. Parameters are initialised from
 * `seed`, each part from its own stream.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, Rng, configError, equivariantChannels, pluginError } from '@equissl/core';
import type { BackboneFactory, Backbone, Encoded } from '@equissl/backbones';
import { type DecoderFactory, type IntermediateReconstruction, intermediateReconstruction } from '@equissl/decoders';
import type { BoundLoss, SslLoss } from '@equissl/losses';
import { ParamStore, dense, fanInUniform } from '@equissl/nn';
import { type TransformFamily, withImageSize } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { PretrainConfig } from './config.js';

/** The composed model. */
export interface PretrainModel {
  readonly store: ParamStore;
  readonly backbone: Backbone;
  readonly backboneDescription: string;
  /**
   * The split representation of encoded features: the backbone's output
   * through the neck (the identity with `neck: none`). Its first `dInv`
   * channels are invariant, its last `dEqui` equivariant.
   */
  readonly neck: (encoded: Encoded) => Encoded;
  readonly family: TransformFamily;
  /** Applied to u before the path (undefined: none). */
  readonly augment: TransformFamily | undefined;
  readonly loss: BoundLoss;
  readonly lossName: string;
  /** Undefined with `reconstruction: off` (the plain baseline). */
  readonly reconstruction: IntermediateReconstruction | undefined;
  readonly reconstructionWeight: number;
  readonly dInv: number;
  readonly dEqui: number;
  readonly dispose: () => void;
}

const slot = (input: unknown, extra: Record<string, unknown>): unknown => {
  const base = typeof input === 'string' ? { name: input } : input;
  if (typeof base !== 'object' || base === null) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(extra)) if (out[k] === undefined) out[k] = v;
  return out;
};

/** The neck's parameters (`neck.weight`, `neck.bias`, PyTorch's Linear initialisation) and its function. */
const buildNeck = (kind: PretrainConfig['neck'], dim: number, store: ParamStore, rng: Rng): ((e: Encoded) => Encoded) => {
  if (kind === 'none') return (e) => e;
  const w = store.add('neck.weight', fanInUniform([dim, dim], dim, rng));
  const b = store.add('neck.bias', fanInUniform([dim], dim, rng));
  return (e) => ({ cls: dense(e.cls, w, b), patches: dense(e.patches, w, b) });
};

/** Builds the model for images of shape `[H, W, C]`. */
export const buildModel = (config: PretrainConfig, registry: Registry, imageShape: readonly [number, number, number]): E.Either<EquisslError, PretrainModel> => {
  const [h, w, c] = imageShape;
  if (h !== w) return E.left(configError('data', `images must be square for the ViT, got ${h}×${w}; resize them (image-folder "size")`));
  const init = Rng.seeded(config.seed).fork('init');
  return pipe(
    E.Do,
    E.bind('factory', () => registry.create('backbone', slot(config.backbone, { imageSize: h, channels: c }), 'backbone') as E.Either<EquisslError, BackboneFactory>),
    E.bind('family', () => registry.create('transform', withImageSize(config.path, h), 'path') as E.Either<EquisslError, TransformFamily>),
    E.bind('augment', () =>
      config.augment === undefined || config.augment === null
        ? E.right(undefined)
        : (registry.create('transform', withImageSize(config.augment, h), 'augment') as E.Either<EquisslError, TransformFamily>),
    ),
    E.bind('sslLoss', () => registry.create('loss', config.loss, 'loss') as E.Either<EquisslError, SslLoss>),
    E.bind('decoderFactory', () =>
      config.reconstruction === 'off'
        ? E.right(undefined)
        : (registry.create('decoder', config.reconstruction.decoder, 'reconstruction.decoder') as E.Either<EquisslError, DecoderFactory>),
    ),
    E.flatMap(({ factory, family, augment, sslLoss, decoderFactory }) => {
      const dEqui = equivariantChannels(factory.dim, config.equiFraction);
      const dInv = factory.dim - dEqui;
      if (dInv === 0) return E.left(configError('equiFraction', `leaves no invariant channels of ${factory.dim}; use a value below 1`));
      if (decoderFactory !== undefined && dEqui === 0) return E.left(configError('equiFraction', `leaves no equivariant channels for the decoders; raise it or set reconstruction: off`));
      const store = new ParamStore();
      const backbone = factory.instantiate(store, init.fork('backbone'), 'encoder.');
      const neck = buildNeck(config.neck, factory.dim, store, init.fork('neck'));
      const loss = sslLoss.build(dInv, store, init.fork('loss'), 'loss.');
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
          return E.left(pluginError('decoder', String((config.reconstruction.decoder as { name?: unknown })?.name), rec.left));
        }
        reconstruction = rec.right;
      }
      return E.right<EquisslError, PretrainModel>({
        store,
        backbone,
        backboneDescription: factory.describe,
        neck,
        family,
        augment,
        loss,
        lossName: sslLoss.name,
        reconstruction,
        reconstructionWeight: config.reconstruction === 'off' ? 0 : config.reconstruction.weight,
        dInv,
        dEqui,
        dispose: () => store.dispose(),
      });
    }),
  );
};
