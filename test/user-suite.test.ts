/**
 * A suite and a family from outside the packages (test/user-app/src), registered
 * onto the standard registry: the suite's section reaches report.md and its
 * line the printed summary, and the family is scored by the equivariance
 * suite when named — through the library (evaluateCheckpoint, the suites'
 * presentations, writeReport), on a tiny untrained checkpoint. And the
 * example of docs/writing-a-suite.md prints its suite's line and reports its
 * section.
 */
import type { Registry } from '@equissl/core';
import { evaluateCheckpoint, suitePresentations, summaryLines } from '@equissl/eval';
import { saveUntrained } from '@equissl/pipeline';
import { writeReport } from '@equissl/report';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureStats } from './user-app/src/my-suite.js';
import { invert } from './user-app/src/my-family.js';

const registry = (() => {
  const r = E.flatMap((s: Registry) => s.registerAll([featureStats, invert]))(standardRegistry());
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
})();

const dir = mkdtempSync(join(tmpdir(), 'equissl-user-suite-'));
let checkpoint = '';

beforeAll(async () => {
  const saved = await saveUntrained({ backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, data: { name: 'procedural', count: 64, size: 16 }, reconstruction: { decoder: { name: 'conv4', channels: 4 } } }, registry, dir)();
  if (E.isLeft(saved)) throw new Error(saved.left.message);
  checkpoint = saved.right;
});

describe('a suite and a family from outside the packages', () => {
  const suites = [{ name: 'equivariance', images: 40, regressor: { name: 'ridge' }, families: ['rotation', 'invert'] }, 'feature-stats', 'knn'];

  it('are listed beside the built-in plugins', () => {
    expect(registry.names('suite')).toEqual(['equivariance', 'feature-stats', 'homography', 'knn', 'linear']);
    expect(registry.names('transform')).toContain('invert');
  });

  it('report their numbers in results.json, report.md and the printed summary', async () => {
    const results = await evaluateCheckpoint(checkpoint, registry, { suites, part: 'clsmean-full', seed: 0, probeTrainImages: 32, probeTestImages: 16 });
    if (E.isLeft(results)) throw new Error(results.left.message);
    const r = results.right;
    // the family named is scored under its label; the equivariance suite used 40 of the 64 test images
    expect(r.equivariance?.map((f) => [f.task, f.paramNames])).toEqual([
      ['rotation', ['angleDeg']],
      ['inversion', ['mix']],
    ]);
    expect(r.equivarianceImages).toEqual({ asked: 40, used: 40, train: 32, test: 8 });
    expect(r.probeImages).toEqual({ asked: 48, used: 48, train: 32, test: 16, askedTrain: 32, askedTest: 16 });
    expect(r.featureStats?.images).toBe(32);

    const presentations = suitePresentations(registry, suites);
    if (E.isLeft(presentations)) throw new Error(presentations.left.message);
    const out = join(dir, 'report');
    const files = await writeReport(out, 'user suite', [{ label: 'untrained', results: r }], presentations.right)();
    if (E.isLeft(files)) throw new Error(files.left.message);
    expect(files.right.map((f) => f.slice(out.length + 1))).toEqual(['results.json', 'report.md', 'r2.png', 'feature-stats.png', 'accuracy.png']);
    for (const f of files.right) expect(existsSync(f)).toBe(true);

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const stats = r.featureStats!;
    expect(md).toContain(`## Feature statistics\n\n| configuration | mean | std | images |\n|---|---|---|---|\n| untrained | ${stats.mean.toFixed(3)} | ${stats.std.toFixed(3)} | 32 |`);
    expect(md).toContain('| configuration | rotation | inversion | mean |');
    expect(md).toContain('- untrained: 40 of 40 images asked (32 to fit, 8 held out) — **R² from fewer than 50 held-out images is not reliable**');
    expect(md).toContain('- untrained: 32 of 32 train images asked, 16 of 16 test images asked — **accuracy from fewer than 50 held-out images is not reliable**');
    expect(md).not.toContain('paper');

    const printed = summaryLines(presentations.right, r);
    expect(printed).toEqual([
      `R²(rotation) = ${r.equivariance![0]!.r2.toFixed(3)}`,
      `R²(inversion) = ${r.equivariance![1]!.r2.toFixed(3)}`,
      `mean R² = ${r.meanR2!.toFixed(3)}`,
      'equivariance: 40 of 40 images asked (32 to fit, 8 held out); R² from fewer than 50 held-out images is not reliable',
      `feature-stats: mean ${stats.mean.toFixed(3)}, std ${stats.std.toFixed(3)} over 32 images`,
      `k-NN top-1 = ${(100 * r.knnAccuracy!).toFixed(1)} %`,
      'probes: 32 of 32 train images asked, 16 of 16 test images asked; accuracy from fewer than 50 held-out images is not reliable',
    ]);
  }, 120_000);

  it('an unknown family is refused before the encoder is loaded, naming it', async () => {
    const r = await evaluateCheckpoint('/nowhere/checkpoint.safetensors', registry, { suites: [{ name: 'equivariance', families: ['rotation', 'shear'] }], part: 'clsmean-full', seed: 0, probeTrainImages: 8, probeTestImages: 8 });
    expect(E.isLeft(r) && r.left.message).toBe('suite plugin "equivariance": families.1.name: unknown transform plugin "shear"; known transform plugins: all, allRot, colorJitter, gaussianBlur, invert, rotation, se2, translation');
  });
});

describe('docs/writing-a-suite.md', () => {
  it("the example's suite prints its line and reports its section, its images flagged", async () => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const block = /```ts\n([\s\S]*?)```/.exec(readFileSync(join(root, 'docs', 'writing-a-suite.md'), 'utf8'))?.[1];
    if (block === undefined) throw new Error('no example');
    mkdirSync(join(root, 'test', '.generated'), { recursive: true });
    const file = join(root, 'test', '.generated', 'writing-a-suite-report.ts');
    writeFileSync(file, block);
    const mod = (await import(pathToFileURL(file).href)) as { main: () => Promise<{ brightnessR2: number; printed: string[]; report: string }> };
    const r = await mod.main();
    expect(r.printed[0]).toBe(`R²(brightness) = ${r.brightnessR2.toFixed(3)}`);
    // 48 of the 96 test images: 36 fit the ridge, 12 are held out
    expect(r.printed[1]).toBe('brightness: 48 of 48 images asked (36 to fit, 12 held out); R² from fewer than 50 held-out images is not reliable');
    expect(r.printed).toContain('probes: 48 of 48 train images asked, 32 of 32 test images asked; accuracy from fewer than 50 held-out images is not reliable');
    expect(r.report).toContain(`## Brightness (R² of the mean brightness from frozen features)\n\n| configuration | R² |\n|---|---|\n| two steps | ${r.brightnessR2.toFixed(3)} |`);
    expect(r.report).toContain('| configuration | linear probe | k-NN (k = 20) |');
  }, 120_000);
});
