/**
 * Sets of homography pairs drawn from a dataset, for the homography suite:
 * the sources are the first images of the dataset (reused in turn when more
 * pairs than images are asked for), made grey (luminance), and each pair is
 * drawn from its own stream `rng.fork(i)` ({@link homographyPair} in
 * `@equissl/transforms`), so pair i does not depend on how many are drawn.
 *
 * @since 0.2.0
 */
import { type EquisslError, type Rng, configError } from '@equissl/core';
import type { Dataset } from '@equissl/data';
import { type GreyImage, type HomographyPair, type PairGeometry, homographyPair, luminance, sourceForPairs } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';

/** `count` pairs of S×S grey crops, flat. */
export interface PairSet {
  readonly geometry: PairGeometry;
  readonly count: number;
  /** Crops A, `[count, S, S]` row-major. */
  readonly a: Float32Array;
  /** Patches B, `[count, S, S]`. */
  readonly b: Float32Array;
  /** Targets, `[count, 8]` corner offsets in crop pixels. */
  readonly offsets: Float32Array;
  /** The first pairs whole (for drawing), as many as asked for. */
  readonly kept: ReadonlyArray<HomographyPair>;
}

/** Draws `count` pairs from the first `count` images of `dataset` (or all of them, in turn, when it holds fewer). */
export const pairSet = async (dataset: Dataset, count: number, geometry: PairGeometry, rng: Rng, keep = 0): Promise<E.Either<EquisslError, PairSet>> => {
  if (dataset.size === 0) return E.left(configError('data', `${dataset.source} holds no images; the homography suite needs source images`));
  const m = Math.min(count, dataset.size);
  const raw = await dataset.read(Array.from({ length: m }, (_, i) => i))();
  if (E.isLeft(raw)) return raw;
  const [h, w, c] = dataset.imageShape;
  const got = raw.right.indices.length;
  if (got === 0) return E.left(configError('data', `${dataset.source}: every image read was skipped as corrupt; the homography suite needs source images`));
  const sources: GreyImage[] = Array.from({ length: got }, (_, i) => sourceForPairs(luminance(raw.right.pixels, i, h, w, c), geometry));
  const s2 = geometry.size * geometry.size;
  const a = new Float32Array(count * s2);
  const b = new Float32Array(count * s2);
  const offsets = new Float32Array(count * 8);
  const kept: HomographyPair[] = [];
  for (let i = 0; i < count; i++) {
    const pair = homographyPair(sources[i % got]!, geometry, rng.fork(i));
    a.set(pair.a, i * s2);
    b.set(pair.b, i * s2);
    offsets.set(pair.offsets, i * 8);
    if (i < keep) kept.push(pair);
  }
  return E.right({ geometry, count, a, b, offsets, kept });
};

/** Grey crops `[n, S, S]` (rows `start … start + n − 1` of `grey`) as encoder images `[n, S, S, channels]`, the grey value replicated to every channel. */
export const greyImages = (grey: Float32Array, size: number, channels: number, start = 0, n = grey.length / (size * size) - start): tf.Tensor4D =>
  tf.tidy(() => {
    const one = tf.tensor4d(grey.subarray(start * size * size, (start + n) * size * size), [n, size, size, 1]);
    return (channels === 1 ? one : tf.tile(one, [1, 1, 1, channels])) as tf.Tensor4D;
  });

/** A and B of rows `start … start + n − 1` stacked as two channels, `[n, S, S, 2]` (the from-scratch CNN's input). */
export const stackedPairs = (set: PairSet, start: number, n: number): tf.Tensor4D =>
  tf.tidy(() => tf.concat([greyImages(set.a, set.geometry.size, 1, start, n), greyImages(set.b, set.geometry.size, 1, start, n)], 3) as tf.Tensor4D);
