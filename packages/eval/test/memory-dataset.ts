/** An in-memory, unlabelled, one-channel test dataset whose pixel p of image k is `pixel(k, p)`. */
import type { Dataset } from '@equissl/data';
import * as TE from 'fp-ts/lib/TaskEither.js';

/** `n` grey `size × size` images; `pixel(k, p)` gives pixel p (row-major) of image k. */
export const memoryDataset = (n: number, size: number, source: string, pixel: (k: number, p: number) => number): Dataset => ({
  name: 'memory',
  source,
  size: n,
  imageShape: [size, size, 1],
  classNames: undefined,
  dropped: 0,
  read: (indices) =>
    TE.right({
      pixels: Float32Array.from({ length: indices.length * size * size }, (_, i) => pixel(indices[Math.floor(i / (size * size))]!, i % (size * size))),
      labels: undefined,
      indices,
      skipped: [],
    }),
});
