/**
 * The images behind the page: the test split of the checkpoint's training
 * data (or `--data`), as `equissl eval` reads it — the first few become the
 * page's samples, the first few hundred the regressor's pairs. Procedural
 * data needs no files. Images of another size than the checkpoint's are
 * refused with eval's message.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, normaliseSlot } from '@equissl/core';
import { openDataset } from '@equissl/data';
import { withSplit } from '@equissl/eval';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';

/** Images read for the page. */
export interface ExploreImages {
  /** `count × H × W × C` floats in [0, 1]. */
  readonly pixels: Float32Array;
  readonly count: number;
  readonly imageShape: readonly [number, number, number];
  /** Where they come from (the dataset's description). */
  readonly source: string;
  /** How the data fits photos to its size (image-folder's `fit`), else `cover`. */
  readonly fit: 'cover' | 'fill' | 'contain';
}

/** Reads the first `count` images (fewer if the set is smaller) of the test split of `slot`, which must be `imageShape`. */
export const readImages = (registry: Registry, slot: unknown, count: number, imageShape: readonly [number, number, number]): TE.TaskEither<EquisslError, ExploreImages> =>
  pipe(
    openDataset(registry, withSplit(registry, slot, 'test'), 'data'),
    TE.mapLeft((e): EquisslError => e),
    TE.flatMap((dataset) => {
      if (dataset.imageShape.join('×') !== imageShape.join('×')) {
        return TE.left<EquisslError>({
          _tag: 'ShapeMismatch',
          tensor: 'explore images',
          expected: imageShape.join('×'),
          actual: [...dataset.imageShape],
          message: `explore images: the encoder takes ${imageShape.join('×')} images, the data gives ${dataset.imageShape.join('×')}; resize the data (e.g. image-folder "size")`,
        });
      }
      const n = Math.min(count, dataset.size);
      return pipe(
        dataset.read(Array.from({ length: n }, (_, i) => i)),
        TE.mapLeft((e): EquisslError => e),
        TE.map((raw): ExploreImages => {
          const s = normaliseSlot(slot) as { fit?: unknown };
          const fit = s?.fit === 'fill' || s?.fit === 'contain' ? s.fit : 'cover';
          return { pixels: raw.pixels, count: raw.indices.length, imageShape, source: dataset.source, fit };
        }),
      );
    }),
  );

/** The first `n` images of `images` as bytes for samples.bin (float32, little-endian). */
export const sampleBytes = (images: ExploreImages, n: number): Uint8Array => {
  const per = images.imageShape[0] * images.imageShape[1] * images.imageShape[2];
  const floats = images.pixels.slice(0, Math.min(n, images.count) * per);
  return new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength);
};

/** `E.right` of a number of images that is enough for a regressor (at least 10 pairs: 8 to fit, 2 to score). */
export const enoughPairs = (n: number, source: string): E.Either<EquisslError, number> =>
  n >= 10 ? E.right(n) : E.left({ _tag: 'DataError', file: source, message: `${source}: ${n} images; explore fits its θ regressor on at least 10 (pass --pairs and a larger --data)` });
