/** Rotation, translation and SE(2) against array permutations and shifts computed by hand. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { intermediateParams, rotationFamily, se2Family, translationFamily } from '../src/index.js';
import { expectClose, ramp } from './helpers.js';

const rotation = rotationFamily({ maxDegrees: 45, fill: 'constant' });
const translation = translationFamily({ imageSize: 32, maxPixels: undefined, fill: 'constant' });
const se2 = se2Family({ maxDegrees: 45, imageSize: 32, maxPixels: 3, fill: 'constant' });

/** numpy.rot90 (counter-clockwise): out[i][j] = in[j][n − 1 − i]. */
const rot90 = (img: number[][][]): number[][][] => img.map((row, i) => row.map((_, j) => img[j]![img.length - 1 - i]!));

/** out[y][x] = in[y − dy][x − dx], zero outside. */
const shift = (img: number[][][], dx: number, dy: number): number[][][] =>
  img.map((row, y) => row.map((px, x) => img[y - dy]?.[x - dx] ?? px.map(() => 0)));

describe('rotation', () => {
  it('by 90° equals numpy.rot90 (counter-clockwise), per channel', () => {
    const img = ramp(5, 3);
    const expected = rot90((img.arraySync() as number[][][][])[0]!);
    expectClose(rotation.apply(img, [[90]]), expected.flat(2));
  });

  it('by −90° is rot90 three times, and by 180° flips both axes', () => {
    const img = ramp(4);
    const a = (img.arraySync() as number[][][][])[0]!;
    expectClose(rotation.apply(img, [[-90]]), rot90(rot90(rot90(a))).flat(2));
    expectClose(rotation.apply(img, [[180]]), rot90(rot90(a)).flat(2));
  });

  it('applies each image its own angle', () => {
    const imgs = tf.concat([ramp(4), ramp(4)]) as tf.Tensor4D;
    const out = rotation.apply(imgs, [[0], [90]]);
    const a = (ramp(4).arraySync() as number[][][][])[0]!;
    expectClose(out, [...a.flat(2), ...rot90(a).flat(2)]);
  });

  it('samples within ±maxDegrees and the path at K = 2 gives 10° and 20° for 30°', () => {
    const rng = Rng.seeded(0);
    const draws = Array.from({ length: 500 }, () => rotation.sample(rng)[0]!);
    expect(Math.max(...draws)).toBeLessThanOrEqual(45);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(-45);
    expect(Math.max(...draws)).toBeGreaterThan(40);
    expect(intermediateParams(rotation, [30], 2).map((p) => p[0]!)).toEqual([10, 20]);
  });
});

describe('rotation fill', () => {
  // a constant image rotated by 45°: with constant fill its four corners come from outside (0);
  // with reflect every output pixel samples inside the image, so it stays 1 everywhere
  const ones = () => tf.ones([1, 9, 9, 1]) as tf.Tensor4D;
  it('constant fill leaves black corners, the centre untouched', () => {
    const out = rotationFamily({ maxDegrees: 90, fill: 'constant' }).apply(ones(), [[45]]).dataSync();
    expect(out[0]).toBe(0);
    expect(out[8]).toBe(0);
    expect(out[80]).toBe(0);
    expect(out[40]).toBeCloseTo(1, 6);
  });

  it('reflect fill has no corner cue: a constant image stays constant', () => {
    const out = rotationFamily({ maxDegrees: 90, fill: 'reflect' }).apply(ones(), [[45]]);
    expectClose(out, ones(), 1e-6);
  });
});

describe('translation', () => {
  it('by whole pixels equals a shift with zero fill', () => {
    const img = ramp(5, 2);
    const a = (img.arraySync() as number[][][][])[0]!;
    expectClose(translation.apply(img, [[2, -1]]), shift(a, 2, -1).flat(2));
  });

  it('scales the paper’s ±10 px at 224 to the image size', () => {
    const rng = Rng.seeded(1);
    const draws = Array.from({ length: 500 }, () => translation.sample(rng)).flat();
    const max = (10 * 32) / 224;
    expect(Math.max(...draws.map(Math.abs))).toBeLessThanOrEqual(max);
    expect(Math.max(...draws.map(Math.abs))).toBeGreaterThan(0.9 * max);
  });
});

describe('se2', () => {
  it('is the rotation followed by the translation', () => {
    const img = ramp(5);
    const a = (img.arraySync() as number[][][][])[0]!;
    expectClose(se2.apply(img, [[90, 1, 0]]), shift(rot90(a), 1, 0).flat(2));
    expect(se2.paramNames).toEqual(['angleDeg', 'txPx', 'tyPx']);
  });
});
