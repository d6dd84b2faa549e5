/**
 * The equivariance suite on worker threads: families are dealt by cost,
 * and every family's R² equals the single-threaded suite's exactly (same θ
 * draws, features and regressor seeds), in the suite's order.
 */
import { openDataset } from '@equissl/data';
import { untrainedCheckpoint } from './checkpoint.js';
import { standardRegistry } from './registry.js';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dealFamilies, equivarianceSuite, equivarianceSuiteOnWorkers } from '../src/index.js';
import { loadEncoder } from '@equissl/encoder';

const dir = mkdtempSync(join(tmpdir(), 'equissl-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dealFamilies', () => {
  it('deals equal-cost families round-robin and drops empty groups', () => {
    const four = ['rotation', 'colour', 'blur', 'translation'];
    expect(dealFamilies(four, 2)).toEqual([['rotation', 'blur'], ['colour', 'translation']]);
    expect(dealFamilies(four, 3)).toEqual([['rotation', 'translation'], ['colour'], ['blur']]);
    expect(dealFamilies(four, 1)).toEqual([four]);
    expect(dealFamilies(['rotation'], 4)).toEqual([['rotation']]);
  });

  it('deals by cost: rotation with its two halves (3 fits) against the other three families', () => {
    const four = ['rotation', 'colour', 'blur', 'translation'];
    expect(dealFamilies(four, 2, (t) => (t === 'rotation' ? 3 : 1))).toEqual([['rotation'], ['colour', 'blur', 'translation']]);
    expect(dealFamilies(four, 3, (t) => (t === 'rotation' ? 3 : 1))).toEqual([['rotation'], ['colour', 'translation'], ['blur']]);
    expect(dealFamilies(four, 2, (t) => (t === 'blur' ? 2 : 1))).toEqual([['blur', 'translation'], ['rotation', 'colour']]);
  });
});

describe('equivarianceSuiteOnWorkers', () => {
  it('gives exactly the single-threaded results, family by family', async () => {
    const registry = standardRegistry();
    if (E.isLeft(registry)) throw new Error('registry');
    const data = { name: 'procedural', size: 16, count: 48, split: 'test' };
    const config = { backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data, workers: 1, seed: 3 };
    const file = await untrainedCheckpoint(dir, config, registry.right, [16, 16, 3]);
    const options = { images: 40, part: 'clsmean-full' as const, seed: 5, regressor: { name: 'mlp', hidden: [8], epochs: 2 }, tasks: ['rotation', 'colour', 'translation'] };
    const started: string[] = [];
    const pooled = await equivarianceSuiteOnWorkers(registry.right, { ...options, onTask: (task) => started.push(task) }, { checkpoint: file, data, workers: 2, backend: 'auto' });
    if (E.isLeft(pooled)) throw new Error(pooled.left.message);
    const encoder = await loadEncoder(file, registry.right)();
    const dataset = await openDataset(registry.right, data, 'data')();
    if (E.isLeft(encoder) || E.isLeft(dataset)) throw new Error('load');
    const local = await equivarianceSuite(encoder.right.encoder, dataset.right, registry.right, options);
    encoder.right.encoder.dispose();
    if (E.isLeft(local)) throw new Error(local.left.message);
    expect(pooled.right.map((f) => f.task)).toEqual(['rotation', 'colour', 'translation']);
    expect(pooled.right).toEqual(local.right);
    expect([...started].sort()).toEqual(['colour', 'rotation', 'translation']);
    expect(pooled.right.every((f) => Number.isFinite(f.r2) && f.r2 !== 0)).toBe(true);
  }, 120_000);

  it('fits on the training split on every worker when the suite has fitImages', async () => {
    const registry = standardRegistry();
    if (E.isLeft(registry)) throw new Error('registry');
    const data = { name: 'procedural', size: 16, count: 48, split: 'test' };
    const fitData = { ...data, split: 'train' };
    const file = await untrainedCheckpoint(dir, { backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data, workers: 1, seed: 4 }, registry.right, [16, 16, 3]);
    const options = { images: 16, fitImages: 32, part: 'clsmean-full' as const, seed: 6, regressor: { name: 'ridge' }, tasks: ['rotation', 'blur'] };
    const pooled = await equivarianceSuiteOnWorkers(registry.right, options, { checkpoint: file, data, fitData, workers: 2, backend: 'auto' });
    if (E.isLeft(pooled)) throw new Error(pooled.left.message);
    const encoder = await loadEncoder(file, registry.right)();
    const scored = await openDataset(registry.right, data, 'data')();
    const fit = await openDataset(registry.right, fitData, 'data')();
    if (E.isLeft(encoder) || E.isLeft(scored) || E.isLeft(fit)) throw new Error('load');
    const local = await equivarianceSuite(encoder.right.encoder, scored.right, registry.right, options, fit.right);
    // without the training split the same images are split 80/20 instead: other scores
    const unfitted = await equivarianceSuite(encoder.right.encoder, scored.right, registry.right, { ...options, fitImages: undefined });
    encoder.right.encoder.dispose();
    if (E.isLeft(local) || E.isLeft(unfitted)) throw new Error('local suite');
    expect(pooled.right).toEqual(local.right);
    expect(local.right[0]!.r2).not.toBe(unfitted.right[0]!.r2);
  }, 120_000);
});
