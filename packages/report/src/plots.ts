/**
 * Plots as PNG: a Vega-Lite spec compiled to Vega, rendered headless to SVG,
 * and rasterised with sharp. Used for loss curves and evaluation charts.
 *
 * @since 0.1.0
 */
import { type IoError, ioError, writeFileAtomic } from '@equissl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to PNG bytes (white background, 2× density). */
export const renderVegaLite = async (spec: TopLevelSpec): Promise<Buffer> => {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    return await sharp(Buffer.from(svg), { density: 144 }).flatten({ background: '#ffffff' }).png().toBuffer();
  } finally {
    view.finalize();
  }
};

/** Writes a Vega-Lite chart as PNG, atomically. */
export const writeChart = (file: string, spec: TopLevelSpec): TE.TaskEither<IoError, void> =>
  pipe(
    TE.tryCatch(
      () => renderVegaLite(spec),
      (e) => ioError(file, `cannot render chart (${e instanceof Error ? e.message : String(e)})`),
    ),
    TE.flatMap((png) => writeFileAtomic(file, png)),
  );

/** One point of a curve. */
export interface CurvePoint {
  readonly step: number;
  readonly series: string;
  readonly value: number;
}

/** A line chart of loss terms over steps (log scale when values span decades). */
export const lossCurveSpec = (title: string, points: ReadonlyArray<CurvePoint>): TopLevelSpec => {
  const positive = points.filter((p) => p.value > 0).map((p) => p.value);
  const spread = positive.length > 0 ? Math.max(...positive) / Math.min(...positive) : 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 300,
    data: { values: points.map((p) => ({ ...p })) },
    mark: { type: 'line', interpolate: 'monotone' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'value', type: 'quantitative', title: 'loss', scale: spread > 50 ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: 'term' },
    },
  };
};
