/**
 * What `equissl export --decoders` adds to an exported encoder: the K
 * reconstruction decoders' metadata (their architecture, what they read and
 * what they reconstruct) and the transformation path they were trained on,
 * so that a browser page can run the method's reconstructions from the
 * exported files alone (docs/export.md, "Decoders"; `equissl explore`).
 *
 * @since 0.1.0
 */
import { type EquisslError, type NamedArray, type Registry, configError, dataError } from '@equissl/core';
import type { FrozenEncoder, LoadedCheckpoint, PretrainConfig } from '@equissl/encoder';
import type { TransformFamily } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';

/** The decoders of a checkpoint trained with reconstruction on. */
export interface ReconstructionMetadata {
  /** Decoders: decoder k (1 … K) reconstructs the path point θ_k = k·θ/(K + 1). */
  readonly k: number;
  /** `pixels`: the path images in [0, 1]; `normalised`: each normalised per image (zero mean, unit variance). */
  readonly target: 'pixels' | 'normalised';
  /** The decoder plugin and its decoded config (only `conv4` is exported). */
  readonly decoder: { readonly name: 'conv4'; readonly channels: number; readonly input: 'tokens' | 'pooled' };
  /** Width of each input token: 2·dEqui, `[z_equi(v1) ; z_equi(v2)]` per patch token. */
  readonly inDim: number;
  /** Patches per side. */
  readonly grid: number;
  readonly patchSize: number;
  /** Image channels produced. */
  readonly outChannels: number;
}

/** The path family the checkpoint was trained on. */
export interface PathMetadata {
  /** The transform plugin (`rotation`, `translation`, …). */
  readonly name: string;
  /** Its decoded config (`maxDegrees`, `fill`, …). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly paramNames: ReadonlyArray<string>;
  readonly identity: ReadonlyArray<number>;
  /** The bound of each parameter's range. */
  readonly scale: ReadonlyArray<number>;
}

/** The metadata fields `--decoders` adds; `reconstruction` is null for a checkpoint trained with `reconstruction: off`. */
export interface DecodersMetadata {
  readonly reconstruction: ReconstructionMetadata | null;
  readonly path: PathMetadata;
}

/** The tensor-name prefix of the decoders (`decoders.{k}.linear.weight`, `decoders.{k}.conv1.weight` …). */
export const decoderPrefix = 'decoders.';

/** The path's metadata: the plugin, its decoded config, and the family's parameters. */
const pathMetadata = (frozen: FrozenEncoder, registry: Registry, slot: unknown): E.Either<EquisslError, PathMetadata> =>
  pipe(
    E.Do,
    E.bind('resolved', () => registry.decode('transform', slot, 'path')),
    E.bind('family', (): E.Either<EquisslError, TransformFamily> => registry.create('transform', slot, 'path', { imageShape: frozen.imageShape })),
    E.map(({ resolved: { plugin, config }, family }): PathMetadata => {
      return {
        name: plugin.name,
        config: config as Record<string, unknown>,
        paramNames: [...family.paramNames],
        identity: [...family.identity],
        scale: family.identity.map((_, i) => family.scale?.[i] ?? 1),
      };
    }),
  );

/** The decoders' metadata (null without reconstruction); a decoder other than conv4 is refused. */
const reconstructionMetadata = (frozen: FrozenEncoder, registry: Registry, rec: PretrainConfig['reconstruction']): E.Either<EquisslError, ReconstructionMetadata | null> => {
  if (rec === 'off') return E.right(null);
  return pipe(
    registry.decode('decoder', rec.decoder, 'reconstruction.decoder'),
    E.flatMap(({ plugin, config }): E.Either<EquisslError, ReconstructionMetadata> => {
      if (plugin.name !== 'conv4') {
        return E.left(configError('reconstruction.decoder', `${frozen.file}: decoder "${plugin.name}" has no TF.js forward pass in docs/export.md; --decoders exports conv4 decoders only`));
      }
      const decoder = config as { channels: number; input: 'tokens' | 'pooled' };
      const backbone = frozen.encoder.backbone;
      return E.right({
        k: rec.k,
        target: rec.target,
        decoder: { name: 'conv4', channels: decoder.channels, input: decoder.input },
        inDim: 2 * frozen.encoder.dEqui,
        grid: backbone.grid,
        patchSize: backbone.patchSize,
        outChannels: frozen.imageShape[2],
      });
    }),
  );
};

/** The decoders' tensors of a checkpoint (`decoders.*`, without the checkpoint's `param/` prefix); a checkpoint trained with reconstruction that holds none is refused. */
export const decoderTensors = (ckpt: LoadedCheckpoint, metadata: DecodersMetadata): E.Either<EquisslError, Map<string, NamedArray>> => {
  const out = new Map<string, NamedArray>();
  for (const [name, a] of ckpt.tensors) if (name.startsWith(`param/${decoderPrefix}`)) out.set(name.slice('param/'.length), a);
  return metadata.reconstruction !== null && out.size === 0
    ? E.left(dataError(ckpt.file, `has no tensor "param/${decoderPrefix}…" although its config trains ${metadata.reconstruction.k} decoders; was it saved by another model configuration?`))
    : E.right(out);
};

/** The decoders' and the path's metadata of a loaded checkpoint. */
export const decodersMetadata = (frozen: FrozenEncoder, registry: Registry): E.Either<EquisslError, DecodersMetadata> =>
  pipe(
    E.Do,
    E.bind('path', () => pathMetadata(frozen, registry, frozen.config.path)),
    E.bind('reconstruction', () => reconstructionMetadata(frozen, registry, frozen.config.reconstruction)),
  );
