/**
 * Homography pairs for the homography-estimation evaluation (S-COCO style,
 * DeTone et al. 2016): from one grey source image, a crop A of S×S pixels,
 * a random perturbation of its four corners by up to ρ pixels, and the patch
 * B that the perturbed quadrilateral maps onto the S×S square. The target is
 * the 8 corner offsets (not a displacement map).
 *
 * Conventions (x right, y down, in pixels):
 *
 * - a crop's corners are the centres of its corner pixels: in crop
 *   coordinates (0, 0), (S−1, 0), (S−1, S−1), (0, S−1) — top-left,
 *   top-right, bottom-right, bottom-left, always in that order;
 * - offsets are `[dx_tl, dy_tl, dx_tr, dy_tr, dx_br, dy_br, dx_bl, dy_bl]`,
 *   each drawn uniformly from [−ρ, ρ], in crop pixels;
 * - H maps the crop square onto the perturbed quadrilateral (in the source),
 *   and B(p) = source(H(p)) for every output pixel p, sampled bilinearly:
 *   B is the source warped by H⁻¹. A point q of B shows the source at H(q),
 *   so B warped back by H⁻¹ (B(H⁻¹(q))) recovers A where H⁻¹(q) lies in B.
 * - the source is first resized (bilinear, aspect kept) so that its shorter
 *   side is at least S + 2⌈ρ⌉, and the crop is placed at a random integer
 *   position at least ⌈ρ⌉ pixels from every border: the perturbed corners
 *   stay inside the source, so B has no border fill.
 *
 * Everything here is plain arithmetic on `Float32Array`s (no tensors); a
 * pair is drawn from an {@link Rng} and is the same for the same stream.
 *
 * @since 0.2.0
 */
import type { Rng } from '@equissl/core';

/** A point `(x, y)` in pixels, x right, y down. */
export type Point = readonly [number, number];
/** Four corners: top-left, top-right, bottom-right, bottom-left. */
export type Quad = readonly [Point, Point, Point, Point];
/** A 3×3 projective matrix, row-major (9 numbers), acting on `(x, y, 1)`. */
export type Homography = ReadonlyArray<number>;

/** A grey image: `height × width` values, row-major. */
export interface GreyImage {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** The corners of an S×S crop in its own coordinates (pixel centres): (0, 0), (S−1, 0), (S−1, S−1), (0, S−1). */
export const cropCorners = (size: number): Quad => [
  [0, 0],
  [size - 1, 0],
  [size - 1, size - 1],
  [0, size - 1],
];

/** `corners` moved by the 8 `offsets` (`[dx_tl, dy_tl, dx_tr, …]`). */
export const offsetCorners = (corners: Quad, offsets: ArrayLike<number>): Quad =>
  corners.map(([x, y], i) => [x + offsets[2 * i]!, y + offsets[2 * i + 1]!] as Point) as unknown as Quad;

/** Whether the quadrilateral is strictly convex (every turn along TL → TR → BR → BL the same way): a homography maps the square onto it without passing through infinity. */
export const isConvex = (q: Quad): boolean => {
  const turns = q.map((p, i) => {
    const a = q[(i + 1) % 4]!;
    const b = q[(i + 2) % 4]!;
    return (a[0] - p[0]) * (b[1] - a[1]) - (a[1] - p[1]) * (b[0] - a[0]);
  });
  return turns.every((t) => t > 0) || turns.every((t) => t < 0);
};

/**
 * Solves the n×n system `a·x = b` (row-major `a`) by Gaussian elimination
 * with partial pivoting; undefined when `a` is singular (a pivot below 1e-12
 * of the largest entry).
 */
export const solveLinear = (a: ReadonlyArray<number>, b: ReadonlyArray<number>, n: number): number[] | undefined => {
  const m = Array.from({ length: n }, (_, i) => [...a.slice(i * n, i * n + n), b[i]!]);
  const scale = Math.max(...a.map(Math.abs));
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) <= 1e-12 * scale) return undefined;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      if (f === 0) continue;
      for (let k = col; k <= n; k++) m[r]![k] = m[r]![k]! - f * m[col]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
};

/**
 * The homography mapping each `from[i]` to `to[i]` (the direct linear
 * transform with h₃₃ = 1: eight equations in eight unknowns); undefined when
 * the corners are degenerate (three of them collinear).
 */
export const homographyFromCorners = (from: Quad, to: Quad): Homography | undefined => {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    // u = (h0 x + h1 y + h2) / (h6 x + h7 y + 1), v likewise with h3 h4 h5
    a.push(x, y, 1, 0, 0, 0, -u * x, -u * y);
    b.push(u);
    a.push(0, 0, 0, x, y, 1, -v * x, -v * y);
    b.push(v);
  }
  const h = solveLinear(a, b, 8);
  return h === undefined ? undefined : [...h, 1];
};

/** H applied to the point p: `(h0 x + h1 y + h2, h3 x + h4 y + h5) / (h6 x + h7 y + h8)`. */
export const applyHomography = (h: Homography, [x, y]: Point): Point => {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
};

/** The inverse of H (its adjugate divided by its determinant). */
export const invertHomography = (h: Homography): Homography => {
  const [a, b, c, d, e, f, g, k, l] = h as [number, number, number, number, number, number, number, number, number];
  const adj = [e * l - f * k, c * k - b * l, b * f - c * e, f * g - d * l, a * l - c * g, c * d - a * f, d * k - e * g, b * g - a * k, a * e - b * d];
  const det = a * adj[0]! + b * adj[3]! + c * adj[6]!;
  return adj.map((v) => v / det);
};

/** The value of `img` at the real position (x, y), bilinear; positions outside are clamped to the border. */
export const sampleBilinear = (img: GreyImage, x: number, y: number): number => {
  const cx = Math.min(Math.max(x, 0), img.width - 1);
  const cy = Math.min(Math.max(y, 0), img.height - 1);
  const x0 = Math.min(Math.floor(cx), img.width - 2 < 0 ? 0 : img.width - 2);
  const y0 = Math.min(Math.floor(cy), img.height - 2 < 0 ? 0 : img.height - 2);
  const x1 = Math.min(x0 + 1, img.width - 1);
  const y1 = Math.min(y0 + 1, img.height - 1);
  const fx = cx - x0;
  const fy = cy - y0;
  const at = (xx: number, yy: number) => img.data[yy * img.width + xx]!;
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) + fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
};

/** The `size × size` image whose pixel p is `src` at H(p), bilinear. */
export const warpPerspective = (src: GreyImage, h: Homography, size: number): GreyImage => {
  const data = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [u, v] = applyHomography(h, [x, y]);
      data[y * size + x] = sampleBilinear(src, u, v);
    }
  }
  return { data, width: size, height: size };
};

/**
 * The grey image of pixel `index` of an `[n, h, w, c]` row-major batch:
 * luminance 0.299 R + 0.587 G + 0.114 B for three or more channels (the
 * first three), the channel itself for one, the mean for two.
 */
export const luminance = (pixels: ArrayLike<number>, index: number, height: number, width: number, channels: number): GreyImage => {
  const n = height * width;
  const data = new Float32Array(n);
  const base = index * n * channels;
  for (let p = 0; p < n; p++) {
    const o = base + p * channels;
    data[p] = channels >= 3 ? 0.299 * pixels[o]! + 0.587 * pixels[o + 1]! + 0.114 * pixels[o + 2]! : channels === 2 ? (pixels[o]! + pixels[o + 1]!) / 2 : pixels[o]!;
  }
  return { data, width, height };
};

/**
 * `img` resized bilinearly to `width × height` with half-pixel centres
 * (output pixel x samples the input at (x + 0.5)·W_in/W_out − 0.5, as
 * `tf.image.resizeBilinear(…, halfPixelCenters = true)`).
 */
export const resizeBilinear = (img: GreyImage, width: number, height: number): GreyImage => {
  const data = new Float32Array(width * height);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = sampleBilinear(img, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5);
  return { data, width, height };
};

/** The `w × h` window of `img` whose top-left pixel is (x0, y0) (integers, inside the image). */
export const cropGrey = (img: GreyImage, x0: number, y0: number, w: number, h: number): GreyImage => {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) data.set(img.data.subarray((y0 + y) * img.width + x0, (y0 + y) * img.width + x0 + w), y * w);
  return { data, width: w, height: h };
};

/** The size of a pair: the crop S and the largest corner offset ρ, both in pixels. */
export interface PairGeometry {
  readonly size: number;
  readonly rho: number;
}

/** `source` scaled (bilinear, aspect kept) so that its shorter side is at least S + 2⌈ρ⌉; unchanged when it already is. */
export const sourceForPairs = (source: GreyImage, g: PairGeometry): GreyImage => {
  const need = g.size + 2 * Math.ceil(g.rho);
  const short = Math.min(source.width, source.height);
  if (short >= need) return source;
  const f = need / short;
  return resizeBilinear(source, Math.max(need, Math.round(source.width * f)), Math.max(need, Math.round(source.height * f)));
};

/** One homography pair. */
export interface HomographyPair {
  /** Crop A, S×S grey. */
  readonly a: Float32Array;
  /** Patch B, S×S grey: the source at H(p) for each pixel p. */
  readonly b: Float32Array;
  /** The target: the 8 corner offsets in crop pixels (TL, TR, BR, BL; x then y). */
  readonly offsets: Float32Array;
  /** H in crop coordinates: maps A's corners onto A's corners plus the offsets. */
  readonly homography: Homography;
  /** The (S + 2⌈ρ⌉)² window of the source around A (A at (⌈ρ⌉, ⌈ρ⌉)), for drawing the quadrilaterals. */
  readonly context: GreyImage;
}

/**
 * The pair whose crop has its top-left pixel at (x0, y0) of `source` (which
 * must hold the crop with ⌈ρ⌉ pixels to spare on every side) and whose
 * corners move by `offsets`. Undefined when the perturbed corners are
 * degenerate.
 */
export const pairAt = (source: GreyImage, g: PairGeometry, x0: number, y0: number, offsets: ArrayLike<number>): HomographyPair | undefined => {
  const square = cropCorners(g.size);
  const local = homographyFromCorners(square, offsetCorners(square, offsets));
  if (local === undefined) return undefined;
  // the same map in source coordinates: translate the image of H by (x0, y0)
  const inSource = [local[0]! + x0 * local[6]!, local[1]! + x0 * local[7]!, local[2]! + x0 * local[8]!, local[3]! + y0 * local[6]!, local[4]! + y0 * local[7]!, local[5]! + y0 * local[8]!, local[6]!, local[7]!, local[8]!];
  const margin = Math.ceil(g.rho);
  return {
    a: cropGrey(source, x0, y0, g.size, g.size).data,
    b: warpPerspective(source, inSource, g.size).data,
    offsets: Float32Array.from(offsets),
    homography: local,
    context: cropGrey(source, x0 - margin, y0 - margin, g.size + 2 * margin, g.size + 2 * margin),
  };
};

/**
 * A random pair from `source`: the crop at a random integer position with
 * ⌈ρ⌉ pixels to spare on every side (after {@link sourceForPairs}), offsets
 * uniform in [−ρ, ρ] (redrawn in the rare case, possible from ρ ≈ S/4, that the
 * perturbed corners are not a convex quadrilateral).
 */
export const homographyPair = (source: GreyImage, g: PairGeometry, rng: Rng): HomographyPair => {
  const img = sourceForPairs(source, g);
  const margin = Math.ceil(g.rho);
  const x0 = margin + rng.int(img.width - g.size - 2 * margin + 1);
  const y0 = margin + rng.int(img.height - g.size - 2 * margin + 1);
  for (;;) {
    // float32 as stored in the targets, so that H maps the corners exactly onto corners + targets
    const offsets = Float32Array.from({ length: 8 }, () => rng.between(-g.rho, g.rho));
    const pair = pairAt(img, g, x0, y0, offsets);
    if (pair !== undefined) return pair;
  }
};
