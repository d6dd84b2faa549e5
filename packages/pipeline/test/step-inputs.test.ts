/**
 * What the step prepares for the losses with needs, against hand-computed
 * values: block token masks, the EMA teacher's update and momentum schedule,
 * aligned pairs and scaled θ.
 */
import { Rng } from '@equissl/core';
import { teacherMomentumAt } from '@equissl/losses';
import { rotationFamily, samplePath, scaledParams } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { blockMask, buildModel, localTrainer, makeViews, sampleTokenMasks, viewTensors } from '../src/index.js';
import { decodePretrainConfig } from '@equissl/encoder';
import { registry, tinyConfig } from './helpers.js';

describe('block token masks', () => {
  it('mask about the requested count in rectangles, reproducibly by seed', () => {
    const a = blockMask(8, 20, Rng.seeded(1));
    const b = blockMask(8, 20, Rng.seeded(1));
    expect(Array.from(a)).toEqual(Array.from(b));
    const count = a.reduce((n, v) => n + v, 0);
    expect(count).toBeLessThanOrEqual(20);
    expect(count).toBeGreaterThanOrEqual(12);
  });

  it('mask no image with probability 0 and every image with probability 1', () => {
    const none = sampleTokenMasks(4, 4, { probability: 0, minRatio: 0.5, maxRatio: 0.5 }, Rng.seeded(2));
    expect(none.sum().dataSync()[0]).toBe(0);
    const all = sampleTokenMasks(4, 8, { probability: 1, minRatio: 0.4, maxRatio: 0.4 }, Rng.seeded(2));
    for (const row of all.sum(1).arraySync() as number[]) expect(row).toBeGreaterThan(0);
  });
});

describe('the EMA teacher', () => {
  it('momentum follows the cosine from m0 to 1', () => {
    expect(teacherMomentumAt(0.996, 0, 100)).toBeCloseTo(0.996, 12);
    expect(teacherMomentumAt(0.996, 50, 100)).toBeCloseTo(0.998, 12);
    expect(teacherMomentumAt(0.996, 100, 100)).toBeCloseTo(1, 12);
  });

  it('starts equal to the student and after one step is m·t + (1 − m)·s, never trained by gradients', async () => {
    const config = decodePretrainConfig(tinyConfig({ loss: { name: 'ibot', headHidden: 16, bottleneck: 8, prototypes: 16 }, steps: 4 }));
    if (E.isLeft(config)) throw new Error(config.left.message);
    const model = buildModel(config.right, registry, [16, 16, 3]);
    if (E.isLeft(model)) throw new Error(model.left.message);
    const m = model.right;
    const teacher = m.teacher!;
    // backbone, neck and the loss's head; no decoders
    expect(teacher.store.names().every((n) => n.startsWith('encoder.') || n.startsWith('loss.'))).toBe(true);
    expect(teacher.store.names()).toContain('loss.head.prototypes');
    const before = new Map([...teacher.store.toArrays()].map(([k, a]) => [k, Float32Array.from(a.data)]));
    for (const [name, t] of before) expect(Array.from(t)).toEqual(Array.from(m.store.get(name)!.dataSync()));
    const trainer = localTrainer(m, config.right);
    const images = tf.randomUniform([8, 16, 16, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const r = await trainer.step(images, 0);
    if (E.isLeft(r)) throw new Error(r.left.message);
    const mom = teacherMomentumAt(0.996, 0, 4);
    let moved = 0;
    for (const [name, t0] of before) {
      const s = m.store.get(name)!.dataSync();
      const t = teacher.store.get(name)!.dataSync();
      for (let i = 0; i < t.length; i++) {
        expect(t[i]).toBeCloseTo(mom * t0[i]! + (1 - mom) * s[i]!, 6);
        moved = Math.max(moved, Math.abs(s[i]! - t0[i]!));
      }
    }
    expect(moved).toBeGreaterThan(1e-5);
    images.dispose();
    await trainer.dispose();
    m.dispose();
  });
});

describe('θ for the losses', () => {
  it('aligned pairs share one draw; θ is scaled by the family range', () => {
    const family = rotationFamily({ maxDegrees: 30, fill: 'constant' });
    const u = tf.zeros([4, 8, 8, 1]) as tf.Tensor4D;
    const path = samplePath(family, u, Rng.seeded(5), 0, true);
    expect(path.thetas[1]).toEqual(path.thetas[0]);
    expect(path.thetas[3]).toEqual(path.thetas[2]);
    expect(path.thetas[2]).not.toEqual(path.thetas[0]);
    expect(Array.from(scaledParams(family, [[15], [-30]]).dataSync())).toEqual([0.5, -1]);
    tf.dispose([u, path.transformed]);
  });

  it("STL's aligned pairs share θ and the views' crop and jitter: a pair of equal images gives equal views", () => {
    const views = { flip: 0, blur: { p: 0 }, jitter: { p: 1 }, grayscale: 0.5, cropScale: [0.2, 0.6] };
    const stl = decodePretrainConfig(tinyConfig({ loss: { name: 'stl', projector: [8, 8], transBackbone: [8, 8], transProjector: [8, 8] }, views, reconstruction: 'off' }));
    const vicreg = decodePretrainConfig(tinyConfig({ views, reconstruction: 'off' }));
    if (E.isLeft(stl) || E.isLeft(vicreg)) throw new Error('config');
    const images = tf.tidy(() => tf.gather(tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 8), [0, 0, 1, 1]) as tf.Tensor4D);
    const gap = (t: tf.Tensor, a: number[], b: number[]) => tf.tidy(() => tf.max(tf.abs(tf.sub(tf.gather(t, a), tf.gather(t, b)))).dataSync()[0]!);
    for (const [config, aligned] of [[stl.right, true], [vicreg.right, false]] as const) {
      const model = buildModel(config, registry, [16, 16, 3]);
      if (E.isLeft(model)) throw new Error(model.left.message);
      const v = makeViews(model.right, config, images, Rng.seeded(9));
      for (const t of [v.v1, v.u, v.v2]) {
        if (aligned) expect(gap(t, [1, 3], [0, 2])).toBe(0);
        else expect(gap(t, [1, 3], [0, 2])).toBeGreaterThan(0.05);
      }
      tf.dispose(viewTensors(v));
      model.right.dispose();
    }
    images.dispose();
  });
});
