/** The equivariance suite's families come from the registry: labels from the families, `tasks` kept as a filter, unknown and repeated names refused; heads narrowed by kind. */
import { Registry, type PluginError, definePlugin, struct } from '@equissl/core';
import { buildEncoder, decodePretrainConfig } from '@equissl/encoder';
import { type TransformFamily, rotationFamily } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { defaultFamilies, equivarianceSuite, probeAccuracy, resolveFamilies } from '../src/index.js';
import { memoryDataset } from './memory-dataset.js';
import { standardRegistry } from './registry.js';

/** A family of this test, with neither label nor invisibleOnGrey: the half-turn, θ = [angleDeg, flip]. */
const halfTurn = definePlugin({
  kind: 'transform',
  name: 'halfTurn',
  description: 'rotation with a second, unused parameter',
  config: struct('halfTurn', {}, {}),
  create: () => {
    const rot = rotationFamily({ maxDegrees: 180, fill: 'constant' });
    return E.right<PluginError, TransformFamily>({ ...rot, name: 'halfTurn', paramNames: ['angleDeg', 'flip'], identity: [0, 0], sample: (rng) => [...rot.sample(rng), 0], interpolate: (th, t) => th.map((v) => t * v), apply: (x, th) => rot.apply(x, th.map((p) => [p[0]!])) });
  },
});

const registry = (() => {
  const r = E.flatMap((s: Registry) => s.register(halfTurn))(standardRegistry());
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
})();

const tasks = (slots: ReadonlyArray<unknown>, only?: ReadonlyArray<string>) => E.map((fs: { task: string }[]) => fs.map((f) => f.task))(resolveFamilies(registry, slots, only));

describe('resolveFamilies', () => {
  it('labels the built-in families as the results always named them', () => {
    expect(tasks(defaultFamilies)).toEqual(E.right(['rotation', 'colour', 'blur', 'translation']));
  });

  it('labels a family without a label by its plugin name, and takes settings', () => {
    expect(tasks(['halfTurn', { name: 'rotation', maxDegrees: 90 }])).toEqual(E.right(['halfTurn', 'rotation']));
  });

  it('keeps `tasks` as a filter by label or plugin name, in the families\' order', () => {
    expect(tasks(defaultFamilies, ['colour', 'rotation'])).toEqual(E.right(['rotation', 'colour']));
    expect(tasks(defaultFamilies, ['gaussianBlur'])).toEqual(E.right(['blur']));
  });

  it('refuses an unknown family, an unknown task and two families with one label', () => {
    const message = (r: E.Either<{ message: string }, unknown>) => (E.isLeft(r) ? r.left.message : 'no error');
    expect(message(tasks(['rotation', 'shear']))).toBe('families.1.name: unknown transform plugin "shear"; known transform plugins: all, allRot, colorJitter, gaussianBlur, halfTurn, rotation, se2, translation');
    expect(message(tasks(defaultFamilies, ['hue']))).toBe("tasks: no family 'hue' among the suite's families: rotation, colour, blur, translation");
    expect(message(tasks(['rotation', { name: 'rotation', maxDegrees: 90 }]))).toBe("families: two families are labelled 'rotation'; score each family once");
  });
});

describe('the equivariance suite on named families', () => {
  const setup = () => {
    const config = decodePretrainConfig({ backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data: { name: 'procedural', size: 16 } });
    if (E.isLeft(config)) throw new Error(config.left.message);
    const model = buildEncoder(config.right, registry, [16, 16, 1]);
    if (E.isLeft(model)) throw new Error(model.left.message);
    return model.right;
  };
  const grey = memoryDataset(40, 16, 'grey gradients', (k, p) => ((p / 256) * ((k % 7) + 1)) / 7);
  const options = { images: 40, part: 'clsmean-full' as const, seed: 0, regressor: { name: 'ridge' } };

  it('scores a registered family by its name, every parameter shown (it names none invisible on grey)', async () => {
    const model = setup();
    const r = await equivarianceSuite(model, grey, registry, { ...options, families: ['halfTurn', 'colorJitter'] });
    model.dispose();
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.map((f) => [f.task, f.paramNames])).toEqual([
      ['halfTurn', ['angleDeg', 'flip']],
      ['colour', ['brightness', 'contrast']],
    ]);
  });

  it('refuses a classifier as the regressor, naming the setting', async () => {
    const model = setup();
    const r = await equivarianceSuite(model, grey, registry, { ...options, families: ['rotation'], regressor: { name: 'knn' } });
    model.dispose();
    expect(E.isLeft(r) && r.left.message).toBe('regressor: expected a regressor head (e.g. mlp, ridge), got a classifier');
  });

  it('a probe refuses a regressor as its head, naming the setting', () => {
    const r = probeAccuracy(registry, { name: 'ridge' }, { train: { features: undefined!, labels: new Int32Array(), classes: 2 }, test: { features: undefined!, labels: new Int32Array() }, counts: { asked: 0, used: 0, train: 0, test: 0 }, dispose: () => {} }, 0);
    expect(E.isLeft(r) && r.left.message).toBe('head: expected a classifier head (e.g. linear, knn), got a regressor');
  });
});
