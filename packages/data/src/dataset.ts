/**
 * The dataset model shared by every data plugin: random access to images by
 * index as float pixels in [0, 1], `[H, W, C]` each, with labels when the set
 * has them. Streams of shuffled batches are built on top (see `stream.ts`).
 *
 * @since 0.1.0
 */
import type { CorruptImage, DataError } from '@equissl/core';
import type * as TE from 'fp-ts/lib/TaskEither.js';

/** Errors a dataset can report while opening or reading. */
export type ReadError = DataError | CorruptImage;

/** Images read by index, in the order asked for, minus the skipped ones. */
export interface RawBatch {
  /** `count × H × W × C` floats in [0, 1], row-major (NHWC). */
  readonly pixels: Float32Array;
  /** One class index per image, when the dataset has labels. */
  readonly labels: Int32Array | undefined;
  /** The dataset indices of the images in `pixels`. */
  readonly indices: ReadonlyArray<number>;
  /** Indices that were corrupt and skipped (only with `skipCorrupt`). */
  readonly skipped: ReadonlyArray<number>;
}

/** An opened dataset. */
export interface Dataset {
  /** The plugin name (`procedural`, `idx`, …). */
  readonly name: string;
  /** Where the images come from (a path, or a description for generated data). */
  readonly source: string;
  /** Number of images. */
  readonly size: number;
  /** `[H, W, C]` of every image. */
  readonly imageShape: readonly [number, number, number];
  /** Class names when the set is labelled, else undefined. */
  readonly classNames: ReadonlyArray<string> | undefined;
  /** Records dropped when opening (a truncated file with `skipCorrupt`). */
  readonly dropped: number;
  /** Reads the images at `indices`. */
  readonly read: (indices: ReadonlyArray<number>) => TE.TaskEither<ReadError, RawBatch>;
}

/** What a dataset plugin creates: a recipe that opens the data (files are touched only then). */
export interface DatasetSource {
  readonly open: () => TE.TaskEither<ReadError, Dataset>;
}

/** Converts `H×W×C` uint8 pixels at `offset` to floats in [0, 1] at `out[outOffset…]`, replicating gray to `channels`. */
export const bytesToFloats = (
  bytes: Uint8Array,
  offset: number,
  pixels: number,
  sourceChannels: number,
  channels: number,
  out: Float32Array,
  outOffset: number,
): void => {
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < channels; c++) {
      const src = sourceChannels === 1 ? 0 : Math.min(c, sourceChannels - 1);
      out[outOffset + p * channels + c] = bytes[offset + p * sourceChannels + src]! / 255;
    }
  }
};
