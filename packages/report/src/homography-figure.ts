/**
 * The homography suite's figure (`homography.png`) written on its own: the
 * pixels and overlay come from the suite's presentation
 * (`homographyFigure` of `@equissl/eval`), composited by `writeRaster`.
 *
 * @since 0.2.0
 */
import { type IoError, ioError } from '@equissl/core';
import { type HomographyExample, homographyFigure } from '@equissl/eval';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { writeRaster } from './figures.js';

/** Writes the figure of `examples` (crop size `size`) to `file`. */
export const writeHomographyFigure = (file: string, examples: ReadonlyArray<HomographyExample>, size: number): TE.TaskEither<IoError, void> =>
  examples.length === 0 ? TE.left(ioError(file, 'nothing to draw: the homography results keep no example pairs (examples: 0)')) : writeRaster(file, homographyFigure(file, examples, size));
