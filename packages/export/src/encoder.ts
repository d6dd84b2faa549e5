/**
 * Exporting the pretrained feature extractor of a checkpoint (what
 * `equissl export <checkpoint>` runs), without the optimizer state, the loss heads or the EMA
 * teacher (and without the decoders unless asked), in a format other
 * programs load:
 *
 * - `safetensors`: one file (`encoder.safetensors`) whose tensors keep
 *   equissl's names and layout (`encoder.blocks.0.attn.qkv.weight`, dense
 *   weights `[in, out]`) and whose metadata holds the architecture, so
 *   PyTorch or NumPy can rebuild the ViT (tools/reference/export_to_torch.py);
 * - `tfjs`: a folder with `model.json` (a TF.js weights manifest, no graph)
 *   and `group1-shardNofM.bin` shards, loadable in the browser with
 *   `tf.io.http(url).load()` + `tf.io.decodeWeights`.
 *
 * The representation is the backbone's output (the paper's features, eval's
 * `full` readouts). With `neck: linear` the file also holds `neck.weight` and
 * `neck.bias`: they are not part of the backbone's forward pass, but the split
 * `[z_inv | z_equi]` (eval's `inv`/`equi` readouts) is taken after them, so a
 * reader needs them to separate the invariant from the equivariant channels.
 * With `decoders` (`--decoders`) the K reconstruction decoders join them
 * (`decoders.*`, with `reconstruction` and `path` metadata), for pages that
 * show the method's reconstructions (`equissl explore`).
 * Every name, shape and metadata field is documented in docs/export.md.
 *
 * @since 0.1.0
 */
import {
  type EquisslError,
  type NamedArray,
  type Registry,
  configError,
  encodeSafetensors,
  ioError,
  writeFileAtomic,
} from '@equissl/core';
import type { VitArchitecture } from '@equissl/backbones';
import { type FrozenEncoder, encoderFromCheckpoint, readCheckpoint } from '@equissl/encoder';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type DecodersMetadata, decoderTensors, decodersMetadata } from './decoders.js';

/** The format tag of an exported encoder (safetensors metadata `format`, model.json `format`). */
export const encoderFormat = 'equissl-encoder/1';

/** The export formats. */
export const exportFormats = ['safetensors', 'tfjs'] as const;
export type ExportFormat = (typeof exportFormats)[number];

/** Bytes per `.bin` shard of the tfjs format (the TF.js converter's default). */
export const tfjsShardBytes = 4 * 1024 * 1024;

/** Metadata of an exported encoder (safetensors stores each field as a string, model.json as JSON). */
export interface EncoderMetadata {
  readonly format: typeof encoderFormat;
  readonly architecture: VitArchitecture;
  /** `[B, H, W, C]` float32 images with values in [0, 1]. */
  readonly input: { readonly layout: 'NHWC'; readonly range: readonly [0, 1]; readonly imageShape: readonly [number, number, number] };
  /** How dense weights are stored. */
  readonly layout: string;
  /** `linear`: `neck.weight`/`neck.bias` are in the file, `none`: the split is taken on the backbone output. */
  readonly neck: 'none' | 'linear';
  /** Channels of the split representation: the first `dInv` invariant, the last `dEqui` equivariant. */
  readonly split: { readonly dInv: number; readonly dEqui: number };
  /** The backbone plugin's decoded config (`name` and every field). */
  readonly backbone: Readonly<Record<string, unknown>>;
  /** The checkpoint it came from, as given, and its completed steps. */
  readonly source: { readonly checkpoint: string; readonly step: number };
  /** The pretraining config of the checkpoint (as given, before decoding). */
  readonly config: unknown;
  /** With `--decoders`: the K decoders (null without reconstruction) and the path they were trained on. */
  readonly reconstruction?: DecodersMetadata['reconstruction'];
  readonly path?: DecodersMetadata['path'];
}

/** Options of {@link exportEncoder}. */
export interface ExportOptions {
  /** `safetensors` or `tfjs` (any other string is refused with a ConfigError). */
  readonly format: string;
  /** Output file (safetensors; an existing folder gets `encoder.safetensors` inside) or folder (tfjs). Default: beside the checkpoint. */
  readonly out?: string;
  /** Also the reconstruction decoders (`decoders.*`) and their metadata (`reconstruction`, `path`): what `equissl explore` runs. */
  readonly decoders?: boolean;
}

/** What {@link exportEncoder} wrote. */
export interface ExportResult {
  readonly format: ExportFormat;
  /** The files written, the main one (the .safetensors file or model.json) first. */
  readonly files: ReadonlyArray<string>;
  /** Every exported tensor in file order. */
  readonly tensors: ReadonlyArray<{ readonly name: string; readonly shape: ReadonlyArray<number> }>;
  readonly parameters: number;
  readonly metadata: EncoderMetadata;
}

/** The tensor-name prefixes exported: the backbone, and the neck when there is one. */
const exportedPrefixes = ['encoder.', 'neck.'] as const;

/** The format named `name`, or a ConfigError listing the formats. */
export const parseExportFormat = (name: string): E.Either<EquisslError, ExportFormat> =>
  (exportFormats as ReadonlyArray<string>).includes(name)
    ? E.right(name as ExportFormat)
    : E.left(configError('format', `unknown export format "${name}"; choose ${exportFormats.join(' or ')} (see docs/export.md)`));

/** Where the export goes by default, or where `--out` puts it. */
export const exportTarget = (checkpoint: string, format: ExportFormat, out: string | undefined): string => {
  if (format === 'tfjs') return out ?? join(dirname(checkpoint), 'encoder-tfjs');
  if (out === undefined) return join(dirname(checkpoint), 'encoder.safetensors');
  return isDirectory(out) ? join(out, 'encoder.safetensors') : out;
};

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
};

/** The decoded backbone config (as the checkpoint's encoder spec stores it) and the ViT it describes; refuses a backbone that is not a ViT. */
const architectureOf = (frozen: FrozenEncoder): E.Either<EquisslError, { architecture: VitArchitecture; backbone: Record<string, unknown> }> => {
  const backbone: Record<string, unknown> = frozen.encoder.spec.backbone;
  const architecture = frozen.encoder.architecture;
  return architecture.type === 'vit'
    ? E.right({ architecture: architecture as VitArchitecture, backbone })
    : E.left(configError('backbone', `${frozen.file}: backbone "${String(backbone['name'])}" is a ${architecture.type}, not a ViT; equissl export writes the ViT format of docs/export.md only`));
};

/** A hint added to errors about the input file: export reads pretraining checkpoints. */
const aboutInput = (checkpoint: string) => (e: EquisslError): EquisslError => {
  // messages that already say what to pass (decodeSafetensors' "is not a safetensors file") are kept as they are
  if (e._tag !== 'DataError' || e.file !== checkpoint || e.message.includes('equissl pretrain')) return e;
  const hint = e.message.includes(`format ${encoderFormat}`)
    ? 'it is already an exported encoder; export reads the checkpoint.safetensors that `equissl pretrain` wrote'
    : 'export reads the checkpoint.safetensors that `equissl pretrain` wrote (e.g. out/pretrain/checkpoint.safetensors)';
  return { ...e, message: `${e.message}; ${hint}` };
};

/** The safetensors metadata: every field a string (JSON for the structured ones). */
export const metadataStrings = (m: EncoderMetadata): Record<string, string> => ({
  format: m.format,
  architecture: JSON.stringify(m.architecture),
  input: JSON.stringify(m.input),
  layout: m.layout,
  neck: m.neck,
  split: JSON.stringify(m.split),
  backbone: JSON.stringify(m.backbone),
  source: JSON.stringify(m.source),
  config: JSON.stringify(m.config),
  ...(m.path === undefined ? {} : { reconstruction: JSON.stringify(m.reconstruction ?? null), path: JSON.stringify(m.path) }),
});

const writeSafetensors = (file: string, tensors: ReadonlyMap<string, NamedArray>, metadata: EncoderMetadata): TE.TaskEither<EquisslError, string[]> =>
  pipe(
    writeFileAtomic(file, encodeSafetensors(tensors, metadataStrings(metadata))),
    TE.map(() => [file]),
  );

const shardName = (i: number, n: number): string => `group1-shard${i + 1}of${n}.bin`;

/** model.json (weights manifest, no topology) and its shards; model.json is written last, so it never names a missing shard. */
const writeTfjs = (dir: string, tensors: ReadonlyMap<string, NamedArray>, metadata: EncoderMetadata): TE.TaskEither<EquisslError, string[]> =>
  pipe(
    TE.fromEither(
      existsAsFile(dir)
        ? E.left(ioError(dir, 'is a file; --format tfjs writes a folder (model.json and .bin shards): pass a folder path with --out'))
        : E.right(undefined),
    ),
    TE.flatMap(() =>
      TE.tryCatch(
        async () => {
          const named: tf.NamedTensorMap = {};
          for (const [name, t] of tensors) named[name] = tf.tensor(t.data, [...t.shape], 'float32');
          try {
            return await tf.io.encodeWeights(named);
          } finally {
            tf.dispose(Object.values(named));
          }
        },
        (e): EquisslError => ioError(dir, `cannot encode the weights (${e instanceof Error ? e.message : String(e)})`),
      ),
    ),
    TE.flatMap(({ data, specs }) => {
      const bytes = new Uint8Array(data);
      const n = Math.max(1, Math.ceil(bytes.length / tfjsShardBytes));
      const shards = Array.from({ length: n }, (_, i) => ({ file: join(dir, shardName(i, n)), bytes: bytes.subarray(i * tfjsShardBytes, (i + 1) * tfjsShardBytes) }));
      const modelJson = {
        format: encoderFormat,
        generatedBy: 'equissl 0.1.0',
        convertedBy: null,
        weightsManifest: [{ paths: shards.map((_, i) => shardName(i, n)), weights: specs }],
        userDefinedMetadata: metadata,
      };
      const manifest = join(dir, 'model.json');
      return pipe(
        TE.sequenceSeqArray(shards.map((s) => writeFileAtomic(s.file, s.bytes))),
        TE.flatMap(() => writeFileAtomic(manifest, `${JSON.stringify(modelJson, null, 1)}\n`)),
        TE.map(() => {
          // shards of an earlier, larger export into the same folder
          const keep = new Set(shards.map((_, i) => shardName(i, n)));
          for (const f of readdirSync(dir)) if (/^group1-shard\d+of\d+\.bin$/.test(f) && !keep.has(f)) rmSync(join(dir, f), { force: true });
          return [manifest, ...shards.map((s) => s.file)];
        }),
      );
    }),
  );

const existsAsFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * Exports the backbone of `checkpoint` (its `encoder.` parameters, plus
 * `neck.weight`/`neck.bias` with `neck: linear`) as `format`. The checkpoint
 * is fully loaded first, so a file that does not match its config is refused
 * with the offending tensor named.
 */
export const exportEncoder = (registry: Registry, checkpoint: string, o: ExportOptions): TE.TaskEither<EquisslError, ExportResult> =>
  pipe(
    TE.fromEither(parseExportFormat(o.format)),
    TE.flatMap((format) => {
      const target = exportTarget(checkpoint, format, o.out);
      if (resolve(target) === resolve(checkpoint)) {
        return TE.left(configError('out', `${target} is the checkpoint itself; choose another --out so the checkpoint is kept`));
      }
      return pipe(
        readCheckpoint(checkpoint),
        TE.mapLeft((e): EquisslError => e),
        TE.flatMapEither((ckpt) => E.map((frozen: FrozenEncoder) => ({ ckpt, frozen }))(encoderFromCheckpoint(ckpt, registry))),
        TE.mapLeft(aboutInput(checkpoint)),
        TE.flatMap(({ ckpt, frozen }) => {
          const collected = pipe(
            architectureOf(frozen),
            E.flatMap((a) =>
              o.decoders === true
                ? pipe(
                    decodersMetadata(frozen, registry),
                    E.flatMap((decoders) => E.map((weights: Map<string, NamedArray>) => ({ ...a, decoders, weights }))(decoderTensors(ckpt, decoders))),
                  )
                : E.right({ ...a, decoders: undefined as DecodersMetadata | undefined, weights: new Map<string, NamedArray>() }),
            ),
            E.map(({ architecture, backbone, decoders, weights }) => {
              const tensors = new Map<string, NamedArray>();
              for (const [name, v] of frozen.encoder.store.entries()) {
                if (exportedPrefixes.some((p) => name.startsWith(p))) tensors.set(name, { shape: v.shape, data: Float32Array.from(v.dataSync() as Float32Array) });
              }
              for (const [name, a] of weights) tensors.set(name, a);
              const metadata: EncoderMetadata = {
                format: encoderFormat,
                architecture,
                input: { layout: 'NHWC', range: [0, 1], imageShape: frozen.imageShape },
                layout: 'dense weights [in, out]: y = x @ W + b (transpose for torch.nn.Linear)',
                neck: tensors.has('neck.weight') ? 'linear' : 'none',
                split: { dInv: frozen.encoder.dInv, dEqui: frozen.encoder.dEqui },
                backbone,
                source: { checkpoint, step: frozen.step },
                config: frozen.config,
                ...(decoders ?? {}),
              };
              return { tensors, metadata };
            }),
          );
          frozen.encoder.dispose();
          return pipe(
            TE.fromEither(collected),
            TE.flatMap(({ tensors, metadata }) =>
              pipe(
                format === 'safetensors' ? writeSafetensors(target, tensors, metadata) : writeTfjs(target, tensors, metadata),
                TE.map(
                  (files): ExportResult => ({
                    format,
                    files,
                    tensors: [...tensors].map(([name, t]) => ({ name, shape: t.shape })),
                    parameters: [...tensors.values()].reduce((s, t) => s + t.data.length, 0),
                    metadata,
                  }),
                ),
              ),
            ),
          );
        }),
      );
    }),
  );
