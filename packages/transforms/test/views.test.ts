/** SSL view augmentations: identity settings, flips, parameter ranges, determinism by seed. */
import { Rng, decode } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { ViewConfig, applyViewParams, augmentPair, augmentView, sampleCrop } from '../src/index.js';
import { expectClose } from './helpers.js';

const config = (over: object): ViewConfig => {
  const r = decode(ViewConfig, over, 'views');
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

const none = { cropScale: [1, 1], cropRatio: [1, 1], flip: 0, jitter: { p: 0 }, grayscale: 0, blur: { p: 0 }, solarize: 0 };
const x = () => tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', 3) as tf.Tensor4D;

describe('views', () => {
  it('with every augmentation off returns the image and says so', () => {
    const out = augmentView(x(), config(none), Rng.seeded(0));
    expectClose(out.images, x(), 1e-6);
    expect(out.params[0]).toEqual({ crop: [0, 0, 1, 1], flip: false, jitter: [0, 0, 0, 0], grayscale: false, sigma: 0, solarize: false });
  });

  it('flip = 1 mirrors left-right exactly', () => {
    const out = augmentView(x(), config({ ...none, flip: 1 }), Rng.seeded(0));
    expectClose(out.images, tf.reverse(x(), 2), 1e-6);
  });

  it('grayscale = 1 gives equal channels; solarize = 1 inverts values ≥ 0.5', () => {
    const g = augmentView(x(), config({ ...none, grayscale: 1 }), Rng.seeded(0)).images;
    const [r, gr, b] = tf.split(g, 3, 3);
    expectClose(r!, gr!, 1e-6);
    expectClose(gr!, b!, 1e-6);
    const s = augmentView(x(), config({ ...none, solarize: 1 }), Rng.seeded(0)).images;
    expectClose(s, tf.where(tf.greaterEqual(x(), 0.5), tf.sub(1, x()), x()), 1e-6);
  });

  it('crops stay inside the image with the requested area', () => {
    const rng = Rng.seeded(5);
    for (let i = 0; i < 200; i++) {
      const [y1, x1, y2, x2] = sampleCrop(rng, 32, 32, [0.2, 1], [3 / 4, 4 / 3]);
      expect(Math.min(y1, x1)).toBeGreaterThanOrEqual(0);
      expect(Math.max(y2, x2)).toBeLessThanOrEqual(1);
      const area = ((y2 - y1) * 31 + 1) * ((x2 - x1) * 31 + 1);
      expect(area).toBeGreaterThan(0.15 * 1024);
    }
  });

  it('is deterministic by seed with the default config, and applyViewParams replays a view', () => {
    const c = config({});
    const a = augmentView(x(), c, Rng.seeded(9));
    const b = augmentView(x(), c, Rng.seeded(9));
    expectClose(a.images, b.images, 0);
    expect(a.params).toEqual(b.params);
    expectClose(applyViewParams(x(), a.params), a.images, 0);
  });

  it('shared-crop pairs show one crop: equal without photometric draws, each its own crop when independent', () => {
    const crops = { ...none, cropScale: [0.2, 0.5], cropRatio: [3 / 4, 4 / 3], flip: 0.5 };
    const [a, b] = augmentPair(x(), config({ ...crops, pairing: 'shared-crop' }), Rng.seeded(4));
    expectClose(a, b, 0);
    const [c, d] = augmentPair(x(), config(crops), Rng.seeded(4));
    expect(tf.max(tf.abs(tf.sub(c, d))).dataSync()[0]).toBeGreaterThan(0.05);
    // the first view and every draw are the same either way: only the second view's box changes
    expectClose(a, c, 0);
  });

  it("shared-crop keeps the second view's photometric draws its own", () => {
    const rng = Rng.seeded(2);
    const first = augmentView(x(), config({ cropScale: [0.3, 1] }), rng);
    const second = augmentView(x(), config({ cropScale: [0.3, 1] }), Rng.seeded(2).fork('other'), { sameCropAs: first.params });
    expect(second.params.map((p) => [p.crop, p.flip])).toEqual(first.params.map((p) => [p.crop, p.flip]));
    expect(second.params.map((p) => p.jitter)).not.toEqual(first.params.map((p) => p.jitter));
  });

  it("aligned pairs (STL): image 2i + 1 shows image 2i's crop, jitter and grayscale; flip and blur stay its own", () => {
    const c = config({ cropScale: [0.2, 0.6], flip: 0, jitter: { p: 1 }, grayscale: 0.5, blur: { p: 0 } });
    // four images, 2i + 1 a copy of 2i: aligned views of a pair are then the same pixels
    const twice = tf.tidy(() => tf.gather(tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 5), [0, 0, 1, 1]) as tf.Tensor4D);
    const [v1, u] = augmentPair(twice, c, Rng.seeded(6), true);
    for (const v of [v1, u]) {
      expectClose(tf.gather(v, [1, 3]), tf.gather(v, [0, 2]), 0);
      // the two pairs are not aligned with each other
      expect(tf.max(tf.abs(tf.sub(tf.gather(v, [0]), tf.gather(v, [2])))).dataSync()[0]).toBeGreaterThan(0.05);
    }
    const [w1] = augmentPair(twice, c, Rng.seeded(6));
    expect(tf.max(tf.abs(tf.sub(tf.gather(w1, [1]), tf.gather(w1, [0])))).dataSync()[0]).toBeGreaterThan(0.05);
    const flips = augmentView(twice, config({ flip: 0.5, blur: { p: 1, sigma: [0.1, 1] } }), Rng.seeded(7), { alignedPairs: true }).params;
    expect(flips[1]!.crop).toEqual(flips[0]!.crop);
    expect(flips.map((p) => p.sigma)).toEqual([...new Set(flips.map((p) => p.sigma))]);
  });

  it('resizes to the configured size', () => {
    expect(augmentView(x(), config({ size: 4 }), Rng.seeded(1)).images.shape).toEqual([2, 4, 4, 3]);
  });
});
