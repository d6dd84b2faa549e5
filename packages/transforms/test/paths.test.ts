/** Paths for every family: t = 0 is the identity, t = 1 is g_θ, K targets, "all", plugins, and no leaked tensors. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { allFamily, allRotFamily, familyNames, pathTargets, samplePath } from '../src/index.js';
import { expectClose, family, transformRegistry } from './helpers.js';


const images = () => tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;

// allRot's path starts at its "all" part, not at the identity (its own tests below)
describe.each(familyNames.filter((n) => n !== 'allRot'))('%s path', (name) => {
  const f = family(name);

  it('at t = 0 is the identity and at t = 1 is g_θ', () => {
    const rng = Rng.seeded(11);
    const x = images();
    const thetas = [0, 1, 2].map(() => f.sample(rng));
    expectClose(f.apply(x, thetas.map((th) => f.interpolate(th, 0))), x, 1e-5);
    expectClose(f.apply(x, thetas.map((th) => f.interpolate(th, 1))), f.apply(x, thetas), 0);
    expect(thetas.every((th) => th.length === f.paramNames.length)).toBe(true);
  });

  it('gives K targets at k/(K+1) and leaks no tensors', () => {
    const rng = Rng.seeded(12);
    const x = images();
    const before = tf.memory().numTensors;
    const s = samplePath(f, x, rng, 2);
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(s.targets).toHaveLength(2);
    tf.tidy(() => expectClose(s.targets[1]!, f.apply(x, s.thetas.map((th) => f.interpolate(th, 2 / 3))), 0));
    tf.dispose([s.transformed, ...s.targets]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('all', () => {
  const f = allFamily({ maxDegrees: 45, imageSize: 32, maxPixels: undefined, fill: 'constant' });

  it('moves exactly one member family per sample', () => {
    const rng = Rng.seeded(3);
    const groups = [[0], [1, 2], [3, 4, 5, 6], [7]];
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 400; i++) {
      const th = f.sample(rng);
      const active = groups.map((g) => g.some((k) => th[k] !== 0));
      expect(active.filter(Boolean)).toHaveLength(1);
      counts[active.indexOf(true)]! += 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(70);
    expect(f.paramNames[0]).toBe('rotation.angleDeg');
  });

  it('applies the drawn member as that family alone would', () => {
    const x = images();
    const rot = family('rotation');
    const theta = [30, 0, 0, 0, 0, 0, 0, 0];
    expectClose(f.apply(x, [theta, theta, theta]), rot.apply(x, [[30], [30], [30]]), 0);
    expectClose(pathTargets(f, x, [theta, theta, theta], 2)[0]!, rot.apply(x, [[10], [10], [10]]), 1e-6);
  });
});

describe('allRot', () => {
  const f = allRotFamily({ maxDegrees: 90, allMaxDegrees: 45, imageSize: 8, maxPixels: undefined, fill: 'constant' });
  const rot = family('rotation');
  const all = allFamily({ maxDegrees: 45, imageSize: 8, maxPixels: undefined, fill: 'constant' });

  it('θ is [φ | θ_all]: every parameter for a loss that reads θ, φ up to maxDegrees', () => {
    const rng = Rng.seeded(5);
    const thetas = Array.from({ length: 200 }, () => f.sample(rng));
    expect(f.paramNames).toEqual(['path.angleDeg', ...all.paramNames]);
    expect(f.scale?.[0]).toBe(90);
    expect(thetas.every((th) => th.length === 9 && Math.abs(th[0]!) <= 90)).toBe(true);
    expect(Math.max(...thetas.map((th) => Math.abs(th[0]!)))).toBeGreaterThan(60);
    // one "all" member moves per sample, as in "all"
    expect(thetas.every((th) => th.slice(1).some((v, i) => v !== all.identity[i]))).toBe(true);
  });

  it('applies "all" then the rotation, and its path moves along the rotation only', () => {
    const x = images();
    // the "all" part: a translation by (1, 0) px; the path's rotation: 60°
    const theta = [60, 0, 1, 0, 0, 0, 0, 0, 0];
    const thetas = [theta, theta, theta];
    const shifted = all.apply(x, thetas.map((th) => th.slice(1)));
    expectClose(f.apply(x, thetas), rot.apply(shifted, [[60], [60], [60]]), 1e-6);
    const [t1, t2] = pathTargets(f, x, thetas, 2);
    expectClose(t1!, rot.apply(shifted, [[20], [20], [20]]), 1e-6);
    expectClose(t2!, rot.apply(shifted, [[40], [40], [40]]), 1e-6);
    // t = 0 is the "all" view, not x
    expectClose(f.apply(x, thetas.map((th) => f.interpolate(th, 0))), shifted, 1e-6);
  });

  it('leaks no tensors', () => {
    const x = images();
    const before = tf.memory().numTensors;
    const s = samplePath(f, x, Rng.seeded(2), 2);
    tf.dispose([s.transformed, ...s.targets]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('transform plugins', () => {
  it('are all registered and reject bad ranges with a path', () => {
    expect(transformRegistry.names('transform')).toEqual([...familyNames].sort());
    const bad = transformRegistry.create('transform', { name: 'gaussianBlur', sigma: [2, 0.1] }, 'pretrain.path');
    expect(E.isLeft(bad) && bad.left.message).toBe('pretrain.path.sigma: expected [lo, hi] with lo <= hi, got [2,0.1]');
  });
});
