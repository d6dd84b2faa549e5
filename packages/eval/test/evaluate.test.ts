/** evaluateCheckpoint runs suite plugins: each from its slot, its fields merged into one results object, probes skipped on unlabelled data, unknown suites named. */
import { type PluginError, Registry, definePlugin, struct } from '@equissl/core';
import { standardRegistry } from './registry.js';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type EvalSuite, defaultSuites, evaluateCheckpoint, suiteSlots } from '../src/index.js';
import { untrainedCheckpoint } from './checkpoint.js';
import { memoryDataset } from './memory-dataset.js';

declare module '../src/suite.js' {
  interface SuiteResults {
    readonly echo?: { readonly step: number; readonly scale: number; readonly part: string; readonly testImages: number };
  }
}

/** A suite that reports what its context and config hold. */
const echo = definePlugin({
  kind: 'suite',
  name: 'echo',
  description: 'reports its context',
  config: struct('echo', { scale: t.number }, { scale: 2 }),
  create: (c) =>
    E.right<PluginError, EvalSuite>({
      byDefault: false,
      run: async (ctx) => E.right({ echo: { step: ctx.frozen.step, scale: c.scale, part: ctx.part, testImages: ctx.test.size } }),
    }),
});

/** Unlabelled RGB images (a dataset plugin of the test). */
const unlabelled = definePlugin({
  kind: 'dataset',
  name: 'unlabelled',
  description: 'unlabelled 16-px RGB noise',
  config: struct('unlabelled', { split: t.string }, { split: 'train' }),
  create: () => {
    const grey = memoryDataset(40, 16, 'unlabelled noise', (k, p) => ((k * 31 + p * 7) % 97) / 97);
    const rgb = { ...grey, imageShape: [16, 16, 3] as const, read: (indices: ReadonlyArray<number>) => TE.map((r: { pixels: Float32Array }) => ({ ...r, pixels: Float32Array.from({ length: r.pixels.length * 3 }, (_, i) => r.pixels[Math.floor(i / 3)]!) }))(grey.read(indices)) };
    return E.right({ open: () => TE.right(rgb as never) });
  },
});

const registry = (() => {
  const r = E.flatMap((s: Registry) => s.registerAll([echo, unlabelled]))(standardRegistry());
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
})();

const dir = mkdtempSync(join(tmpdir(), 'evaluate-'));
const data = { name: 'procedural', count: 64, size: 16 };

let checkpoint = '';
beforeAll(async () => {
  checkpoint = await untrainedCheckpoint(dir, { backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data }, registry, [16, 16, 3], 5);
});

const common = { part: 'clsmean-full' as const, seed: 0, probeTrainImages: 32, probeTestImages: 16 };

describe('evaluateCheckpoint with suite plugins', () => {
  it('runs a registered suite from its slot (settings decoded with defaults) beside a built-in one, and merges their fields', async () => {
    const r = await evaluateCheckpoint(checkpoint, registry, { ...common, suites: suiteSlots(['echo', 'knn'], { echo: { scale: 3 } }) });
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.echo).toEqual({ step: 5, scale: 3, part: 'clsmean-full', testImages: 64 });
    expect(r.right.knnAccuracy! >= 0 && r.right.knnAccuracy! <= 1).toBe(true);
    expect(r.right.linearAccuracy).toBeUndefined();
    const plain = await evaluateCheckpoint(checkpoint, registry, { ...common, suites: ['echo'] });
    expect(E.isRight(plain) && plain.right.echo?.scale).toBe(2);
  });

  it('names an unknown suite and a bad setting by their place in suites', async () => {
    const unknown = await evaluateCheckpoint(checkpoint, registry, { ...common, suites: ['knn', 'sharpness'] });
    expect(E.isLeft(unknown) && unknown.left.message).toMatch(/^suites\.1\.name: .*sharpness/);
    const bad = await evaluateCheckpoint(checkpoint, registry, { ...common, suites: [{ name: 'echo', scale: 'big' }] });
    expect(E.isLeft(bad) && bad.left.message).toMatch(/^suites\.0\.scale: /);
  });

  it('skips the suites that need labels on unlabelled data, with the reason, and runs the rest', async () => {
    const r = await evaluateCheckpoint(checkpoint, registry, { ...common, data: { name: 'unlabelled' }, suites: ['linear', 'knn', 'echo'] });
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.skipped?.[0]).toMatch(/^linear and knn skipped: .* has no labels$/);
    expect(r.right.knnAccuracy).toBeUndefined();
    expect(r.right.echo?.scale).toBe(2);
  });

  it('all is the suites that run by default', () => {
    expect(defaultSuites(registry)).toEqual(['equivariance', 'linear', 'knn']);
  });

  it('scores rotation from the full, invariant and equivariant channels by default (halves), none with halves off', async () => {
    const suite = { name: 'equivariance', images: 40, regressor: { name: 'ridge' }, families: ['rotation'] };
    const r = await evaluateCheckpoint(checkpoint, registry, { ...common, suites: [suite] });
    if (E.isLeft(r)) throw new Error(r.left.message);
    const parts = r.right.equivariance?.[0]?.byReadout ?? {};
    expect(Object.keys(parts)).toEqual(['clsmean-full', 'clsmean-inv', 'clsmean-equi']);
    for (const v of Object.values(parts)) expect(Number.isFinite(v) && v <= 1).toBe(true);
    // the halves by the suite's own regressor too; its full channels are the main readout's score itself
    const byMain = r.right.equivariance?.[0]?.byReadoutMlp ?? {};
    expect(Object.keys(byMain)).toEqual(['clsmean-full', 'clsmean-inv', 'clsmean-equi']);
    expect(byMain['clsmean-full']).toBe(r.right.equivariance?.[0]?.r2);
    for (const v of Object.values(byMain)) expect(Number.isFinite(v) && v <= 1).toBe(true);
    const off = await evaluateCheckpoint(checkpoint, registry, { ...common, suites: [{ ...suite, halves: false }] });
    if (E.isLeft(off)) throw new Error(off.left.message);
    expect(off.right.equivariance?.[0]?.byReadout).toBeUndefined();
    expect(off.right.equivariance?.[0]?.byReadoutMlp).toBeUndefined();
  });
});

