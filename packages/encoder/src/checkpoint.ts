/**
 * Checkpoints: one safetensors file holding the parameters (`param/<name>`),
 * the AdamW moments (`adam.m/<name>`, `adam.v/<name>`) and, in its metadata,
 * the next step, the data stream's position, the loss state, the config, the
 * encoder's spec (backbone, neck, split: enough to rebuild the encoder without
 * the loss) and the plugins the config names with their modules (`spec.ts`).
 * Checkpoints written before the spec existed load through their config.
 * It is written to a temporary file and renamed, so a crash or Ctrl-C never
 * leaves a half-written checkpoint; the file opens in Python with
 * `safetensors.numpy.load_file`.
 *
 * @since 0.1.0
 */
import {
  type DataError,
  type IoError,
  type NamedArray,
  dataError,
  decodeSafetensors,
  encodeSafetensors,
  writeFileAtomic,
} from '@equissl/core';
import type { StreamState } from '@equissl/data';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { readFile } from 'node:fs/promises';
import { type EncoderSpec, type PluginUse, PluginUses } from './spec.js';

/** The checkpoint format tag. */
export const checkpointFormat = 'equissl-checkpoint/1';

/** Everything besides tensors that a resumed run needs. */
export interface CheckpointState {
  /** The next step to run (= steps completed). */
  readonly step: number;
  readonly stream: StreamState;
  readonly lossState: unknown;
  /** The config the run was started with (as given, before decoding). */
  readonly config: unknown;
  readonly backend: string;
  /** `[H, W, C]` of the training images (the encoder's input). */
  readonly imageShape: readonly [number, number, number];
  /** The encoder's backbone, neck and split (absent in checkpoints written before it was stored). */
  readonly encoder?: EncoderSpec;
  /** The plugins the config names and their modules (absent in older checkpoints). */
  readonly plugins?: ReadonlyArray<PluginUse>;
}

/** Writes parameters and optimizer state (`param/…`, `adam.m/…`, `adam.v/…`) and the run state to `file` atomically. */
export const saveCheckpoint = (file: string, tensors: ReadonlyMap<string, NamedArray>, state: CheckpointState): TE.TaskEither<IoError, void> => {
  const metadata = {
    format: checkpointFormat,
    step: String(state.step),
    stream: JSON.stringify(state.stream),
    lossState: JSON.stringify(state.lossState ?? null),
    config: JSON.stringify(state.config),
    backend: state.backend,
    imageShape: JSON.stringify(state.imageShape),
    ...(state.encoder !== undefined ? { encoder: JSON.stringify(state.encoder) } : {}),
    ...(state.plugins !== undefined ? { plugins: JSON.stringify(state.plugins) } : {}),
    savedAt: new Date().toISOString(),
  };
  return writeFileAtomic(file, encodeSafetensors(tensors, metadata));
};

/** A checkpoint read from disk. */
export interface LoadedCheckpoint {
  readonly file: string;
  readonly tensors: ReadonlyMap<string, NamedArray>;
  readonly state: CheckpointState;
}

/** Reads and parses a checkpoint file. */
export const readCheckpoint = (file: string): TE.TaskEither<DataError, LoadedCheckpoint> =>
  pipe(
    TE.tryCatch(
      () => readFile(file),
      (e) => dataError(file, (e as { code?: string }).code === 'ENOENT' ? 'no such checkpoint file' : String(e)),
    ),
    TE.flatMapEither((bytes) => decodeSafetensors(file, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))),
    TE.flatMapEither(({ tensors, metadata }) => {
      if (metadata['format'] !== checkpointFormat) return E.left(dataError(file, `is not an equissl checkpoint (format ${metadata['format'] ?? 'missing'})`));
      try {
        const state: CheckpointState = {
          step: Number(metadata['step']),
          stream: JSON.parse(metadata['stream']!),
          lossState: JSON.parse(metadata['lossState'] ?? 'null'),
          config: JSON.parse(metadata['config']!),
          backend: metadata['backend'] ?? 'unknown',
          imageShape: JSON.parse(metadata['imageShape'] ?? '[32, 32, 3]'),
          ...(metadata['encoder'] !== undefined ? { encoder: JSON.parse(metadata['encoder']) } : {}),
          ...(metadata['plugins'] !== undefined ? { plugins: JSON.parse(metadata['plugins']) } : {}),
        };
        if (state.plugins !== undefined && !PluginUses.is(state.plugins)) return E.left(dataError(file, 'has unreadable metadata (plugins: expected a list of { kind, name, field, module })'));
        return E.right({ file, tensors, state });
      } catch (e) {
        return E.left(dataError(file, `has unreadable metadata (${(e as Error).message})`));
      }
    }),
  );
