/**
 * Writing the figures suites contribute to a report (`Figure` of
 * `@equissl/eval`): a chart is a Vega-Lite spec rendered to PNG
 * (`writeChart`); a raster is RGB pixels with an SVG overlay composited on
 * top. Every file is written atomically.
 *
 * @since 0.2.0
 */
import { type IoError, ioError, writeFileAtomic } from '@equissl/core';
import type { Figure, RasterFigure } from '@equissl/eval';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { join } from 'node:path';
import sharp from 'sharp';
import type { TopLevelSpec } from 'vega-lite';
import { writeChart } from './plots.js';

/** Writes a raster figure to `file`: its pixels with its overlay on top, as PNG. */
export const writeRaster = (file: string, figure: RasterFigure): TE.TaskEither<IoError, void> =>
  pipe(
    TE.tryCatch(
      () =>
        sharp(figure.rgb, { raw: { width: figure.width, height: figure.height, channels: 3 } })
          .composite([{ input: Buffer.from(figure.overlay), top: 0, left: 0 }])
          .png()
          .toBuffer(),
      (e) => ioError(file, `cannot encode PNG (${e instanceof Error ? e.message : String(e)})`),
    ),
    TE.flatMap((png) => writeFileAtomic(file, png)),
  );

/** The keys one of which every Vega-Lite view or composition has. */
const viewKeys = ['mark', 'layer', 'facet', 'repeat', 'concat', 'hconcat', 'vconcat'];

/** Whether `spec` is shaped like a Vega-Lite spec (a view or a composition); the compiler checks the rest as it renders. */
export const isVegaLiteSpec = (spec: unknown): spec is TopLevelSpec => typeof spec === 'object' && spec !== null && viewKeys.some((k) => k in spec);

/** Writes a chart figure to `file`, or an error when its spec is no Vega-Lite spec. */
const writeChartFigure = (file: string, spec: unknown): TE.TaskEither<IoError, void> =>
  isVegaLiteSpec(spec) ? writeChart(file, spec) : TE.left(ioError(file, `not a Vega-Lite spec: it has none of ${viewKeys.join(', ')}`));

/** Writes `figure` into the folder `out` (under its own file name); returns the file written. */
export const writeFigure = (out: string, figure: Figure): TE.TaskEither<IoError, string> => {
  const file = join(out, figure.file);
  const written = figure.kind === 'chart' ? writeChartFigure(file, figure.spec) : writeRaster(file, figure);
  return TE.map(() => file)(written);
};
