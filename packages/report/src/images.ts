/**
 * Image grids as PNG: tiles of `[H, W, C]` images in [0, 1] laid out in rows,
 * upscaled with nearest-neighbour for visibility, written atomically.
 *
 * @since 0.1.0
 */
import { type IoError, ioError, writeFileAtomic } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import sharp from 'sharp';

/** Options of {@link writeImageGrid}. */
export interface GridOptions {
  /** Integer upscaling factor (nearest neighbour). */
  readonly scale?: number;
  /** Gap between tiles in pixels (after scaling). */
  readonly gap?: number;
  /** Column labels, drawn in a band above the first row. */
  readonly columns?: ReadonlyArray<string>;
}

const headerHeight = 18;

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/**
 * Writes `rows` (each a list of `[H, W, C]` or `[1, H, W, C]` tensors of one
 * size, values in [0, 1]) as one PNG. Gray images are shown as gray.
 */
export const writeImageGrid = (file: string, rows: ReadonlyArray<ReadonlyArray<tf.Tensor>>, options: GridOptions = {}): TE.TaskEither<IoError, void> => {
  const scale = options.scale ?? 2;
  const gap = options.gap ?? 2;
  const first = rows[0]?.[0];
  if (first === undefined) return TE.left(ioError(file, 'nothing to draw: the grid has no images'));
  const [h, w] = first.shape.slice(-3, -1) as [number, number];
  const cols = Math.max(...rows.map((r) => r.length));
  const tileH = h * scale;
  const tileW = w * scale;
  const width = cols * tileW + (cols + 1) * gap;
  const top = options.columns === undefined ? 0 : headerHeight;
  const height = top + rows.length * tileH + (rows.length + 1) * gap;
  const canvas = new Uint8Array(width * height * 3).fill(255);
  rows.forEach((row, r) =>
    row.forEach((img, c) => {
      const data = img.dataSync();
      const ch = img.shape[img.rank - 1]!;
      for (let y = 0; y < tileH; y++) {
        for (let x = 0; x < tileW; x++) {
          const src = (Math.floor(y / scale) * w + Math.floor(x / scale)) * ch;
          const dst = ((top + gap + r * (tileH + gap) + y) * width + gap + c * (tileW + gap) + x) * 3;
          for (let k = 0; k < 3; k++) canvas[dst + k] = Math.round(255 * Math.min(1, Math.max(0, data[src + (ch === 1 ? 0 : k)]!)));
        }
      }
    }),
  );
  return pipe(
    TE.tryCatch(
      () => {
        const image = sharp(canvas, { raw: { width, height, channels: 3 } });
        if (options.columns === undefined) return image.png().toBuffer();
        const labels = options.columns
          .map((label, c) => `<text x="${gap + c * (tileW + gap) + tileW / 2}" y="${headerHeight - 5}" text-anchor="middle" font-family="sans-serif" font-size="12" fill="#222">${escapeXml(label)}</text>`)
          .join('');
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${headerHeight}">${labels}</svg>`;
        return image.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]).png().toBuffer();
      },
      (e) => ioError(file, `cannot encode PNG (${e instanceof Error ? e.message : String(e)})`),
    ),
    TE.flatMap((png) => writeFileAtomic(file, png)),
  );
};
