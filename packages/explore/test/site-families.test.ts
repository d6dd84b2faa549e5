/**
 * The page offers every transform family of the registry it is given: the
 * checkpoint's own path first, the affine ones it warps itself, then the
 * others — `gaussianBlur`, `colorJitter`, … and a plugin of the user's (here
 * `fade`, registered from this file) — whose images the command computes
 * with the family's own code. Their strips hold, per sample image and stop
 * of the slider, g_θ(x) and the targets at the models' path fractions:
 * checked against calling the family's `apply` directly, through the files
 * a site writes and the page's own reader. A plugin that only shares a
 * built-in's name is not warped by the page; a plugin that cannot be
 * created with its defaults (its config wants a field, its create throws),
 * or whose `apply` fails on the images, is left out with the reason.
 */
import { Registry, definePlugin, nonNegative, positiveInt, struct } from '@equissl/core';
import { standardRegistry } from '@equissl/standard';
import { type Params, type TransformFamily, lerpFromIdentity, rotationFamily } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LoadedStrip, loadedStrip, stripCovers, stripPoint } from '../page/strips.js';
import { exploreFamilies } from '../src/families.js';
import type { RegressorFile, SiteManifest, StripFamily } from '../src/manifest.js';
import { computeStrip, stripSampleCount, stripStops, targetFractions } from '../src/path-strips.js';
import { buildSite } from '../src/site.js';
import { tinyCheckpoint } from './run-explore.js';

/** A user's family: fades the image towards grey by a ∈ [0, max], θ = [a]. */
const fadeFamily = (c: { max: number }): TransformFamily => ({
  name: 'fade',
  paramNames: ['amount'],
  identity: [0],
  scale: [c.max],
  sample: (rng) => [rng.between(0, c.max)],
  interpolate: lerpFromIdentity([0]),
  apply: (images, thetas) =>
    tf.tidy(() => {
      const a = tf.tensor4d(thetas.map((th) => th[0]!), [thetas.length, 1, 1, 1]);
      return tf.add(tf.mul(images, tf.sub(1, a)), tf.mul(a, 0.5)) as tf.Tensor4D;
    }),
});
const fade = definePlugin({ kind: 'transform', name: 'fade', description: 'fades towards grey', config: struct('fade', { max: nonNegative }, { max: 0.8 }), create: (c) => E.right(fadeFamily(c)) });

/** A plugin that cannot be created without a config, one whose create throws, and one whose apply fails. */
const needsSize = definePlugin({ kind: 'transform', name: 'needsSize', description: 'needs a size', config: struct('needsSize', { size: positiveInt }, {}), create: () => E.right(fadeFamily({ max: 1 })) });
const throwing = definePlugin({ kind: 'transform', name: 'throwing', description: 'throws', config: struct('throwing', {}, {}), create: () => { throw new Error('not today'); } });
const broken = definePlugin({ kind: 'transform', name: 'broken', description: 'fails', config: struct('broken', {}, {}), create: () => E.right({ ...fadeFamily({ max: 1 }), apply: () => { throw new Error('no pixels today'); } }) });

const standard = E.getOrElseW(() => {
  throw new Error('registry');
})(standardRegistry());
const withUsers = E.getOrElseW((e: { message: string }) => {
  throw new Error(e.message);
})(standard.registerAll([fade, needsSize, throwing, broken]));

const shape = [16, 16, 3] as const;
const per = 16 * 16 * 3;
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
/** Image element k of image b = 0.5·sin(0.07·k + b) + 0.5. */
const images = (n: number) => tf.tensor4d(Float32Array.from({ length: n * per }, (_, i) => 0.5 * Math.sin(0.07 * (i % per) + Math.floor(i / per)) + 0.5), [n, ...shape]);

describe('the families of the registry', () => {
  it("lists the checkpoint's own path first, then the affine ones, then the others (a user's plugin too); leaves out one it cannot create", () => {
    const found = exploreFamilies(withUsers, { name: 'gaussianBlur', sigma: [0.5, 1.5] }, shape);
    if (E.isLeft(found)) throw new Error(found.left.message);
    const { families, skipped } = found.right;
    expect(families.map((f) => [f.name, f.own, f.live === undefined ? 'strip' : 'live'])).toEqual([
      ['gaussianBlur', true, 'strip'],
      ['rotation', false, 'live'],
      ['se2', false, 'live'],
      ['translation', false, 'live'],
      ['all', false, 'strip'],
      ['allRot', false, 'strip'],
      ['broken', false, 'strip'],
      ['colorJitter', false, 'strip'],
      ['fade', false, 'strip'],
    ]);
    expect(families[0]!.family.scale).toEqual([1.5]);
    expect(families[0]!.description).toContain('Gaussian blur');
    expect(skipped.map((s) => s.name)).toEqual(['needsSize', 'throwing']);
    expect(skipped[0]!.reason).toContain('families.needsSize');
    expect(skipped[1]!.reason).toBe('families.throwing: the throwing plugin failed to create its family (not today)');
  });

  it("warps only @equissl/transforms' own affine plugins: a user's plugin named rotation is computed by the command", () => {
    const own = definePlugin({ kind: 'transform', name: 'rotation', description: 'my rotation', config: struct('rotation', {}, {}), create: () => E.right(rotationFamily({ maxDegrees: 10, fill: 'constant' })) });
    const registry = E.getOrElseW(() => {
      throw new Error('registry');
    })(Registry.of(own));
    const found = exploreFamilies(registry, { name: 'rotation' }, shape);
    expect(E.isRight(found) && found.right.families.map((f) => [f.name, f.live === undefined])).toEqual([['rotation', true]]);
  });
});

describe('a strip', () => {
  it.each([
    ['gaussianBlur', { name: 'gaussianBlur' }],
    ['fade (a plugin of this file)', { name: 'fade', max: 0.6 }],
  ])('of %s holds g_θ(x) and the targets at every stop, as the family applies them', (_, slot) => {
    const family = E.getOrElseW(() => {
      throw new Error('family');
    })(withUsers.create('transform', slot, 'path', { imageShape: shape })) as TransformFamily;
    const theta: Params = family.name === 'fade' ? [0.6] : [1.8];
    const stops = stripStops(family, theta, 5);
    expect(stops.map((s) => s.t)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(stops[4]!.theta).toEqual(theta);
    const fractions = targetFractions([2, 3]);
    expect(fractions).toEqual([0.25, 1 / 3, 0.5, 2 / 3, 0.75]);
    const x = images(3);
    const floats = computeStrip(family, x, stops, fractions);
    if (E.isLeft(floats)) throw new Error(floats.left);
    expect(floats.right.length).toBe(3 * 5 * 6 * per);
    const spec = { kind: 'strip', name: family.name, label: family.name, description: '', paramNames: [...family.paramNames], own: false, file: 'paths/0.bin', samples: 3, theta: [...theta], points: stops, fractions } satisfies StripFamily;
    const strip = loadedStrip(spec, floats.right, shape);
    for (const [sample, j, k] of [[0, 0, 2], [1, 2, 3], [2, 4, 2], [2, 3, 3]] as const) {
      const xi = tf.slice(x, [sample, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      const point = stripPoint(strip, shape, sample, j, k);
      expect(maxDiff(point.transformed, family.apply(xi, [stops[j]!.theta]))).toBeLessThan(1e-6);
      expect(point.targets).toHaveLength(k);
      point.targets.forEach((target, i) => expect(maxDiff(target, family.apply(xi, [family.interpolate(stops[j]!.theta, (i + 1) / (k + 1))]))).toBeLessThan(1e-6));
    }
    expect(stripCovers(spec, 2)).toBe(true);
    expect(stripCovers(spec, 3)).toBe(false);
    expect(stripCovers(spec, undefined)).toBe(false);
  });

  it('is an error value when apply fails, and takes fewer sample images where they would be large', () => {
    const failing = { ...fadeFamily({ max: 1 }), apply: () => { throw new Error('no pixels today'); } };
    const r = computeStrip(failing, images(1), stripStops(failing, [1]), [0.5]);
    expect(E.isLeft(r) && r.left).toBe('apply failed on these images (no pixels today)');
    expect(stripSampleCount(8, per, 2)).toBe(8);
    expect(stripSampleCount(8, 224 * 224 * 3, 2)).toBe(2);
    expect(stripSampleCount(8, 512 * 512 * 3, 4)).toBe(1);
    expect(stripSampleCount(8, 64 * 64 * 3, 2, 9, 27 * 64 * 64 * 3 * 4 * 3)).toBe(3);
  });
});

describe('a site', () => {
  const work = mkdtempSync(join(tmpdir(), 'equissl-explore-families-'));
  let manifest: SiteManifest;
  let site = '';

  beforeAll(async () => {
    const checkpoint = await tinyCheckpoint(join(work, 'method'), 'method', 1);
    site = join(work, 'site');
    const r = await buildSite(withUsers, { checkpoints: [checkpoint], out: site, pairs: 20, samples: 4, seed: 0 }, () => TE.right(undefined))();
    if (E.isLeft(r)) throw new Error(r.left.message);
    manifest = r.right.manifest;
  });

  it('lists every registered family, with strips for the others and a θ regressor for each; leaves out what it cannot draw', () => {
    expect(manifest.format).toBe('equissl-explore/2');
    expect(manifest.families.map((f) => `${f.name}:${f.kind}`)).toEqual([
      'rotation:live',
      'se2:live',
      'translation:live',
      'all:strip',
      'allRot:strip',
      'colorJitter:strip',
      'fade:strip',
      'gaussianBlur:strip',
    ]);
    expect(manifest.families[0]).toMatchObject({ own: true, param: 'angleDeg', unit: '°', max: 45, warp: ['angle'], direction: [1] });
    expect(manifest.skipped.map((s) => s.name).sort()).toEqual(['broken', 'needsSize', 'throwing']);
    expect(manifest.skipped.find((s) => s.name === 'broken')!.reason).toContain('no pixels today');
    expect(manifest.models[0]!.targets).toBe(2);
    const blur = manifest.families.find((f) => f.name === 'gaussianBlur');
    expect(blur).toMatchObject({ kind: 'strip', label: 'blur', paramNames: ['sigmaPx'], samples: 4, fractions: [1 / 3, 2 / 3] });
    const reg = JSON.parse(readFileSync(join(site, manifest.models[0]!.regressor), 'utf8')) as RegressorFile;
    expect(Object.keys(reg.families).sort()).toEqual(manifest.families.map((f) => f.name).sort());
    expect(reg.families['fade']!.paramNames).toEqual(['amount']);
  });

  it.each(['gaussianBlur', 'fade'])("writes %s's images as its own apply makes them from the samples, and the page reads them back", (name) => {
    const spec = manifest.families.find((f): f is StripFamily => f.name === name && f.kind === 'strip')!;
    const family = E.getOrElseW(() => {
      throw new Error('family');
    })(withUsers.create('transform', { name }, 'path', { imageShape: shape })) as TransformFamily;
    expect(spec.points).toHaveLength(9);
    expect(spec.points[8]!.theta).toEqual(spec.theta);
    spec.points.forEach((p, j) => expect(p.theta).toEqual(family.interpolate(spec.theta, j / 8)));
    const samples = new Float32Array(readFileSync(join(site, manifest.samples.file)).buffer.slice(0));
    const bytes = readFileSync(join(site, spec.file));
    const strip: LoadedStrip = loadedStrip(spec, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), shape);
    for (const [sample, j] of [[0, 8], [3, 4], [1, 0]] as const) {
      const x = tf.tensor4d(samples.slice(sample * per, (sample + 1) * per), [1, ...shape]);
      const point = stripPoint(strip, shape, sample, j, 2);
      expect(maxDiff(point.transformed, family.apply(x, [spec.points[j]!.theta]))).toBeLessThan(1e-6);
      [1, 2].forEach((k, i) => expect(maxDiff(point.targets[i]!, family.apply(x, [family.interpolate(spec.points[j]!.theta, k / 3)]))).toBeLessThan(1e-6));
    }
    // the strip ends at a θ that moves the image
    const x0 = tf.tensor4d(samples.slice(0, per), [1, ...shape]);
    expect(maxDiff(stripPoint(strip, shape, 0, 8, 2).transformed, x0)).toBeGreaterThan(1e-3);
  });
});
