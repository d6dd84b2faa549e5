/** Homography pairs: the homography from four corners, the warp, the corner targets and warping back, against hand-computed values. */
import { Rng } from '@equissl/core';
import { describe, expect, it } from 'vitest';
import {
  type GreyImage,
  applyHomography,
  cropCorners,
  homographyFromCorners,
  homographyPair,
  invertHomography,
  isConvex,
  luminance,
  offsetCorners,
  pairAt,
  sampleBilinear,
  sourceForPairs,
} from '../src/homography.js';

/** A `size²` image with value (y·size + x) / 100 at (x, y): linear in x and y, so bilinear sampling is exact. */
const rampImage = (size: number): GreyImage => ({ data: Float32Array.from({ length: size * size }, (_, i) => i / 100), width: size, height: size });
const rampAt = (size: number, x: number, y: number) => (y * size + x) / 100;

describe('homographyFromCorners', () => {
  it('solves a projective map by hand: the unit square onto (0,0), (4/3,0), (2,2), (0,4/3) is [[1,0,0],[0,1,0],[−1/4,−1/4,1]]', () => {
    const h = homographyFromCorners(
      [
        [0, 0],
        [1, 0],
        [1, 1],
        [0, 1],
      ],
      [
        [0, 0],
        [4 / 3, 0],
        [2, 2],
        [0, 4 / 3],
      ],
    )!;
    [1, 0, 0, 0, 1, 0, -0.25, -0.25, 1].forEach((v, i) => expect(h[i]).toBeCloseTo(v, 12));
    // the centre goes to 0.5 / (1 − 0.25 − 0.25)·… = (2/3, 2/3), not to the quadrilateral's centroid
    const [x, y] = applyHomography(h, [0.5, 0.5]);
    expect(x).toBeCloseTo(2 / 3, 12);
    expect(y).toBeCloseTo(2 / 3, 12);
    const back = applyHomography(invertHomography(h), [2, 2]);
    expect(back[0]).toBeCloseTo(1, 12);
    expect(back[1]).toBeCloseTo(1, 12);
  });

  it('maps a 4-px crop onto its corners moved by the offsets (an affine case: centre (1.5, 1.5) stays)', () => {
    const offsets = [1, 0, 0, 1, -1, 0, 0, -1];
    const moved = offsetCorners(cropCorners(4), offsets);
    expect(moved).toEqual([
      [1, 0],
      [3, 1],
      [2, 3],
      [0, 2],
    ]);
    const h = homographyFromCorners(cropCorners(4), moved)!;
    for (let i = 0; i < 4; i++) {
      const [x, y] = applyHomography(h, cropCorners(4)[i]!);
      expect(x).toBeCloseTo(moved[i]![0], 10);
      expect(y).toBeCloseTo(moved[i]![1], 10);
    }
    // by hand: x' = 1 + 2x/3 − y/3, y' = x/3 + 2y/3
    const [cx, cy] = applyHomography(h, [1.5, 1.5]);
    expect(cx).toBeCloseTo(1.5, 10);
    expect(cy).toBeCloseTo(1.5, 10);
    const [px, py] = applyHomography(h, [3, 0]);
    expect([px, py].map((v) => Number(v.toFixed(10)))).toEqual([3, 1]);
  });

  it('is undefined for collinear corners, and convexity is checked', () => {
    const line = [
      [0, 0],
      [1, 0],
      [2, 0],
      [3, 0],
    ] as const;
    expect(homographyFromCorners(cropCorners(2), line)).toBeUndefined();
    expect(isConvex(cropCorners(5))).toBe(true);
    expect(
      isConvex([
        [0, 0],
        [4, 0],
        [1, 1],
        [0, 4],
      ]),
    ).toBe(false);
  });
});

describe('pixels', () => {
  it('samples bilinearly and makes grey from RGB by luminance', () => {
    const img: GreyImage = { data: Float32Array.from([0, 1, 2, 3]), width: 2, height: 2 };
    expect(sampleBilinear(img, 0.5, 0.5)).toBeCloseTo(1.5, 6);
    expect(sampleBilinear(img, 1, 0.25)).toBeCloseTo(1.5, 6);
    expect(sampleBilinear(img, 5, -3)).toBe(1);
    const grey = luminance(Float32Array.from([1, 0.5, 0, 0, 0, 1]), 0, 1, 2, 3);
    expect(grey.data[0]).toBeCloseTo(0.299 + 0.2935, 6);
    expect(grey.data[1]).toBeCloseTo(0.114, 6);
  });

  it('enlarges a source smaller than S + 2⌈ρ⌉ (32 px crop, ρ = 8: 32 → 48) and keeps a large one', () => {
    const small = sourceForPairs(rampImage(32), { size: 32, rho: 8 });
    expect([small.width, small.height]).toEqual([48, 48]);
    const big = rampImage(60);
    expect(sourceForPairs(big, { size: 32, rho: 8 })).toBe(big);
  });
});

describe('pairAt', () => {
  it('shifts by whole pixels exactly: offsets (1, −1) at every corner give B(x, y) = source(x0 + x + 1, y0 + y − 1)', () => {
    const src = rampImage(8);
    const pair = pairAt(src, { size: 4, rho: 2 }, 2, 2, [1, -1, 1, -1, 1, -1, 1, -1])!;
    // A is the crop at (2, 2): A(0, 0) = (2·8 + 2)/100
    expect(pair.a[0]).toBeCloseTo(0.18, 6);
    expect(pair.a[15]).toBeCloseTo(rampAt(8, 5, 5), 6);
    // B(0, 0) = source(3, 1) = 0.11; B(3, 3) = source(6, 4) = 0.38
    expect(pair.b[0]).toBeCloseTo(0.11, 6);
    expect(pair.b[15]).toBeCloseTo(0.38, 6);
    expect(Array.from(pair.offsets)).toEqual([1, -1, 1, -1, 1, -1, 1, -1]);
    // the context window holds A at (⌈ρ⌉, ⌈ρ⌉)
    expect(pair.context.width).toBe(8);
    expect(pair.context.data[2 * 8 + 2]).toBeCloseTo(pair.a[0]!, 6);
  });

  it('samples the source at H(p) for a projective warp (hand-computed corners of a 2-px crop)', () => {
    const src = rampImage(4);
    // corners (0,0), (1,0), (1,1), (0,1) of the crop at (1, 1) move to (0,0), (4/3,0), (2,2), (0,4/3)
    const pair = pairAt(src, { size: 2, rho: 1 }, 1, 1, [0, 0, 1 / 3, 0, 1, 1, 0, 1 / 3])!;
    expect(pair.b[0]).toBeCloseTo(rampAt(4, 1, 1), 6);
    expect(pair.b[1]).toBeCloseTo(rampAt(4, 1 + 4 / 3, 1), 6);
    expect(pair.b[3]).toBeCloseTo(rampAt(4, 3, 3), 6);
    expect(pair.b[2]).toBeCloseTo(rampAt(4, 1, 1 + 4 / 3), 6);
  });

  it('warping B back by H⁻¹ recovers A: exactly for a whole-pixel shift, within 0.02 (mean 0.005) for a random perspective warp of a smooth image (two bilinear interpolations)', () => {
    const back = (pair: NonNullable<ReturnType<typeof pairAt>>, size: number) => {
      const inv = invertHomography(pair.homography);
      const b: GreyImage = { data: pair.b, width: size, height: size };
      let worst = 0;
      let sum = 0;
      let count = 0;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const [u, v] = applyHomography(inv, [x, y]);
          if (u < 0 || v < 0 || u > size - 1 || v > size - 1) continue;
          const e = Math.abs(sampleBilinear(b, u, v) - pair.a[y * size + x]!);
          worst = Math.max(worst, e);
          sum += e;
          count++;
        }
      }
      return { worst, mean: sum / count, count };
    };
    const shifted = back(pairAt(rampImage(8), { size: 4, rho: 2 }, 2, 2, [1, -1, 1, -1, 1, -1, 1, -1])!, 4);
    // A's pixels at x ≥ 1, y ≤ 2 are in B: 3 × 3 of them, recovered exactly
    expect(shifted.count).toBe(9);
    expect(shifted.worst).toBeLessThan(1e-6);
    const smooth: GreyImage = { data: Float32Array.from({ length: 48 * 48 }, (_, i) => 0.5 + 0.25 * Math.sin((i % 48) / 5) * Math.cos(Math.floor(i / 48) / 6)), width: 48, height: 48 };
    const pair = homographyPair(smooth, { size: 32, rho: 8 }, Rng.seeded(3).fork('pair'));
    const warped = back(pair, 32);
    expect(warped.count).toBeGreaterThan(32 * 32 * 0.5);
    expect(warped.worst).toBeLessThan(0.02);
    expect(warped.mean).toBeLessThan(0.005);
  });
});

describe('homographyPair', () => {
  it('is seeded, keeps offsets within ±ρ and maps the crop corners onto the corners plus the targets', () => {
    const src = rampImage(32);
    const g = { size: 32, rho: 8 };
    const one = homographyPair(src, g, Rng.seeded(7).fork('pair'));
    const two = homographyPair(src, g, Rng.seeded(7).fork('pair'));
    expect(Array.from(one.offsets)).toEqual(Array.from(two.offsets));
    expect(Array.from(one.b)).toEqual(Array.from(two.b));
    expect(one.offsets.every((v) => Math.abs(v) <= 8)).toBe(true);
    const corners = cropCorners(32);
    corners.forEach((p, i) => {
      const [x, y] = applyHomography(one.homography, p);
      expect(x).toBeCloseTo(p[0] + one.offsets[2 * i]!, 9);
      expect(y).toBeCloseTo(p[1] + one.offsets[2 * i + 1]!, 9);
    });
    // B's corner pixels are the (enlarged) source at the moved corners: B(0,0) = A-frame point (dx_tl, dy_tl)
    const enlarged = sourceForPairs(src, g);
    const context = one.context;
    expect(context.width).toBe(48);
    expect(one.b[0]).toBeCloseTo(sampleBilinear(context, 8 + one.offsets[0]!, 8 + one.offsets[1]!), 5);
    expect(enlarged.width).toBe(48);
  });
});
