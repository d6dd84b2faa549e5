/** Paths for every family: t = 0 is the identity, t = 1 is g_θ, K targets, "all", plugins, and no leaked tensors. */
import { Registry, Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { type TransformFamily, allFamily, familyNames, pathTargets, samplePath, transformPlugins } from '../src/index.js';
import { expectClose } from './helpers.js';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(Registry.empty.registerAll(transformPlugins));

const family = (name: string): TransformFamily => {
  const r = registry.create('transform', { name });
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right as TransformFamily;
};

const images = () => tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;

describe.each(familyNames)('%s path', (name) => {
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

describe('transform plugins', () => {
  it('are all registered and reject bad ranges with a path', () => {
    expect(registry.names('transform')).toEqual([...familyNames].sort());
    const bad = registry.create('transform', { name: 'gaussianBlur', sigma: [2, 0.1] }, 'pretrain.path');
    expect(E.isLeft(bad) && bad.left.message).toBe('pretrain.path.sigma: expected [lo, hi] with lo <= hi, got [2,0.1]');
  });
});
