/**
 * The θ regressor: `fitRidge` predicts what the eval suite's `ridge` head
 * predicts after the same fit (same generator), as one affine map; on a tiny
 * checkpoint, `fitThetaRegressor` gives an R² and held-out pairs of the
 * documented shapes (the same with the images' readout passed in), and the page's `predictTheta` on its own features gives
 * the prediction of the map on equissl's features.
 */
import { Rng } from '@equissl/core';
import { encode, loadEncoder } from '@equissl/encoder';
import type { Regressor } from '@equissl/heads';
import { standardRegistry } from '@equissl/standard';
import type { TransformFamily } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictTheta } from '../page/compute.js';
import { features, loadModel } from '../page/model.js';
import { applyAffine, fitRidge, fitThetaRegressor, readoutOf } from '../src/regressor.js';
import { equissl, tinyCheckpoint } from './run-explore.js';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(standardRegistry());

describe('fitRidge', () => {
  it("predicts what the ridge head predicts, as one affine map on raw features", () => {
    const rng = Rng.seeded(7);
    const n = 120;
    const d = 12;
    const raw = Float32Array.from({ length: n * d }, (_, i) => 3 + (i % d) + rng.between(-1, 1) * (1 + (i % 3)));
    const y = Float32Array.from({ length: n * 2 }, (_, i) => raw[Math.floor(i / 2) * d + (i % 2)]! * 2 - raw[Math.floor(i / 2) * d + 5]! + rng.between(-0.1, 0.1));
    const x = tf.tensor2d(raw, [n, d]);
    const t = tf.tensor2d(y, [n, 2]);
    const head = E.getOrElseW(() => {
      throw new Error('ridge');
    })(registry.create('head', { name: 'ridge' }, 'regressor')).create() as Regressor;
    head.fit(x, t, Rng.seeded(3));
    const expected = head.predict(x).dataSync();
    const map = fitRidge(x, t, Rng.seeded(3));
    expect(map.weights).toHaveLength(d);
    expect(map.bias).toHaveLength(2);
    const ours = applyAffine(map, raw, n).flat();
    const scale = Math.max(...Array.from(expected, Math.abs));
    for (let i = 0; i < ours.length; i++) expect(Math.abs(ours[i]! - expected[i]!)).toBeLessThan(1e-3 * scale);
    head.dispose();
    tf.dispose([x, t]);
  });
});

describe('fitThetaRegressor', () => {
  it('fits rotation on [f(x) ; f(g_θ x)] of a checkpoint; the page predicts with it as equissl does', async () => {
    const work = mkdtempSync(join(tmpdir(), 'equissl-explore-regressor-'));
    const checkpoint = await tinyCheckpoint(join(work, 'run'), 'method', 2);
    const frozen = await loadEncoder(checkpoint, registry)();
    if (E.isLeft(frozen)) throw new Error(frozen.left.message);
    const model = frozen.right.encoder;
    const family = E.getOrElseW(() => {
      throw new Error('rotation');
    })(registry.create('transform', { name: 'rotation' }, 'path', { imageShape: [16, 16, 3] })) as TransformFamily;
    const images = tf.randomUniform([60, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const reg = fitThetaRegressor(model, images, family, Rng.seeded(0));
    expect(reg.paramNames).toEqual(['angleDeg']);
    expect(reg.weights).toHaveLength(4 * 16);
    expect(reg.weights[0]).toHaveLength(1);
    expect(reg.test.truth).toHaveLength(12);
    expect(reg.test.predicted).toHaveLength(12);
    expect(Number.isFinite(reg.r2) && reg.r2 <= 1).toBe(true);
    // the readout of the images, computed once for every family, gives the same fit
    const readout = readoutOf(model, images);
    expect(fitThetaRegressor(model, images, family, Rng.seeded(0), readout)).toEqual(reg);
    expect(readout.isDisposed).toBe(false);
    readout.dispose();

    // the page, on the export, predicts what the map predicts on equissl's features
    const dir = join(work, 'tfjs');
    expect(equissl('export', checkpoint, '--format', 'tfjs', '--decoders', '--out', dir).code).toBe(0);
    const m = await loadModel(join(dir, 'model.json'), (async (url: string) => new Response(readFileSync(url))) as unknown as typeof fetch);
    const x = tf.slice(images, [0, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
    const gx = family.apply(x, [[20]]);
    const page = predictTheta(reg, features(m, x), features(m, gx));
    const row = tf.concat([encode(model, x), encode(model, gx)], 1).dataSync();
    const expected = applyAffine(reg, row, 1)[0]!;
    expect(page[0]).toBeCloseTo(expected[0]!, 2);
    model.dispose();
  });
});
