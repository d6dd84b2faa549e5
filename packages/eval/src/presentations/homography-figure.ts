/**
 * The homography suite's figure (`homography.png`) as pixels and an SVG
 * overlay: one row per kept test pair — left, the source around crop A with
 * A's square (white, dashed), the true perturbed corners (green) and the
 * predicted ones (red); right, patch B (what the true quadrilateral maps
 * onto), upscaled for visibility. `@equissl/report` composites and writes it.
 *
 * @since 0.2.0
 */
import { cropCorners, offsetCorners } from '@equissl/transforms';
import type { HomographyExample } from '../homography.js';
import type { RasterFigure } from '../presentation.js';

/** Pixels of the upscaled images per source pixel. */
const scale = 6;
const gap = 8;
const header = 20;

/** The SVG polygon through the four corners (source pixel centres) of a quadrilateral placed `margin` pixels into a panel at `left`, `top`. */
const polygon = (corners: ReadonlyArray<readonly [number, number]>, margin: number, left: number, top: number, style: string): string =>
  `<polygon points="${corners.map(([x, y]) => `${left + (x + margin + 0.5) * scale},${top + (y + margin + 0.5) * scale}`).join(' ')}" fill="none" ${style}/>`;

/** The figure's width and height and its SVG overlay (frames, labels, quadrilaterals) for `examples` of crop size `size`. */
export const homographyOverlay = (examples: ReadonlyArray<HomographyExample>, size: number): { width: number; height: number; svg: string } => {
  const ctx = examples[0]?.contextSize ?? size;
  const width = gap + ctx * scale + gap + size * scale + gap;
  const row = Math.max(ctx, size) * scale + gap;
  const height = header + gap + examples.length * row;
  const parts: string[] = [
    `<text x="${gap}" y="${header - 6}" font-family="sans-serif" font-size="12" fill="#222">A (white) · true (green) · predicted (red)</text>`,
    `<text x="${2 * gap + ctx * scale}" y="${header - 6}" font-family="sans-serif" font-size="12" fill="#222">B</text>`,
  ];
  examples.forEach((e, i) => {
    const top = header + gap + i * row;
    const square = cropCorners(size);
    parts.push(polygon(square, e.margin, gap, top, 'stroke="white" stroke-width="1.5" stroke-dasharray="4 3"'));
    parts.push(polygon(offsetCorners(square, e.offsets), e.margin, gap, top, 'stroke="#00c000" stroke-width="2"'));
    parts.push(polygon(offsetCorners(square, e.predicted), e.margin, gap, top, 'stroke="#ff2020" stroke-width="2"'));
  });
  return { width, height, svg: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>` };
};

/** A grey image stored as base64 uint8 (`side²` pixels), upscaled by nearest neighbour into the RGB canvas at (left, top). */
const paste = (canvas: Uint8Array, canvasWidth: number, b64: string, side: number, left: number, top: number): void => {
  const px = Buffer.from(b64, 'base64');
  for (let y = 0; y < side * scale; y++) {
    for (let x = 0; x < side * scale; x++) {
      const v = px[Math.floor(y / scale) * side + Math.floor(x / scale)] ?? 0;
      const o = ((top + y) * canvasWidth + left + x) * 3;
      canvas[o] = v;
      canvas[o + 1] = v;
      canvas[o + 2] = v;
    }
  }
};

/** The figure of `examples` (crop size `size`) as the report folder's `file`. */
export const homographyFigure = (file: string, examples: ReadonlyArray<HomographyExample>, size: number): RasterFigure => {
  const { width, height, svg } = homographyOverlay(examples, size);
  const canvas = new Uint8Array(width * height * 3).fill(255);
  const ctx = examples[0]?.contextSize ?? size;
  const row = Math.max(ctx, size) * scale + gap;
  examples.forEach((e, i) => {
    const top = header + gap + i * row;
    paste(canvas, width, e.context, e.contextSize, gap, top);
    paste(canvas, width, e.b, size, 2 * gap + ctx * scale, top);
  });
  return { kind: 'raster', file, width, height, rgb: canvas, overlay: svg };
};
