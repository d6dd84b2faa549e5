/**
 * A tiny end-to-end evaluation: pretrain a few steps, run every suite on small
 * sets in-process and through `equissl eval`, and check the report files.
 */
import { evaluateCheckpoint } from '@equissl/eval';
import { pretrain } from '@equissl/pipeline';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(standardRegistry());

const out = mkdtempSync(join(tmpdir(), 'equissl-eval-'));
const checkpoint = join(out, 'checkpoint.safetensors');

beforeAll(async () => {
  const r = await pretrain(
    {
      steps: 2,
      batchSize: 8,
      data: { name: 'procedural', count: 64, size: 16 },
      backbone: { name: 'vit', dim: 16, depth: 1, heads: 2 },
      augment: { name: 'all' },
      reconstruction: { k: 2, decoder: { name: 'conv4', channels: 8 } },
    },
    registry,
    { out },
  )();
  if (E.isLeft(r)) throw new Error(r.left.message);
  r.right.model.dispose();
});

describe('evaluation', () => {
  it('runs the equivariance suite, the linear probe and k-NN on a checkpoint', async () => {
    const r = await evaluateCheckpoint(checkpoint, registry, {
      suites: [{ name: 'equivariance', images: 60, regressor: { name: 'mlp', hidden: [32], epochs: 5 } }, 'linear', 'knn'],
      part: 'clsmean-full',
      seed: 0,
      probeTrainImages: 48,
      probeTestImages: 32,
    });
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.equivariance?.map((f) => f.task)).toEqual(['rotation', 'colour', 'blur', 'translation']);
    expect(r.right.equivariance?.map((f) => f.r2PerDimension.length)).toEqual([1, 4, 1, 2]);
    for (const f of r.right.equivariance ?? []) expect(Number.isFinite(f.r2)).toBe(true);
    expect(r.right.meanR2).toBeCloseTo(r.right.equivariance!.reduce((s, f) => s + f.r2, 0) / 4, 12);
    for (const acc of [r.right.linearAccuracy!, r.right.knnAccuracy!]) expect(acc >= 0 && acc <= 1).toBe(true);
    expect(r.right.data).toBe('procedural dead-leaves images (seed 0, test)');
  });

  it('equi or inv features are half as wide and give their own numbers', async () => {
    const part = async (p: 'clsmean-equi' | 'clsmean-inv') => {
      const r = await evaluateCheckpoint(checkpoint, registry, { suites: ['knn'], part: p, seed: 0, probeTrainImages: 48, probeTestImages: 32 });
      if (E.isLeft(r)) throw new Error(r.left.message);
      return r.right;
    };
    expect((await part('clsmean-equi')).features).toBe('clsmean-equi');
    expect((await part('clsmean-inv')).knnAccuracy).toBeGreaterThanOrEqual(0);
  });

  const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'src', 'main.ts');
  const equissl = (...args: string[]) => spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, EQUISSL_BACKEND: 'wasm' } });

  it('equissl eval writes report.md, results.json and the accuracy chart', () => {
    const report = join(out, 'report');
    const r = equissl('eval', checkpoint, '--suite', 'knn', '--out', report);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^k-NN top-1 = \d+\.\d %$/m);
    const json = JSON.parse(readFileSync(join(report, 'results.json'), 'utf8')) as { knnAccuracy: number }[];
    expect(json[0]!.knnAccuracy).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(report, 'report.md'), 'utf8')).toContain('| configuration | linear probe | k-NN (k = 20) |');
    expect(existsSync(join(report, 'accuracy.png'))).toBe(true);
  });

  it('a missing checkpoint is an error naming it', () => {
    const r = equissl('eval', '/nowhere/checkpoint.safetensors');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('equissl: [DataError] /nowhere/checkpoint.safetensors: no such checkpoint file');
  });

  it('equissl reproduce runs every row over seeds, reports mean ± std in the results.json contract, and reuses finished runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'equissl-reproduce-'));
    const args = ['reproduce', '--steps', '2', '--seeds', '2', '--workers', '1', '--eval-scale', '0.02', '--data', '{name: procedural, count: 128, size: 16}', '--out', dir];
    // --train-only: every checkpoint, no evaluation; the run after it evaluates them without training again
    const trained = equissl(...args, '--train-only');
    expect(trained.status, trained.stderr.slice(-2000)).toBe(0);
    expect(trained.stderr).toContain('reproduce: method seed 1: trained');
    expect(trained.stderr).toMatch(/pretrain \d+\/2/);
    expect(existsSync(join(dir, 'method', 'seed1', 'checkpoint.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'method', 'seed1', 'eval.json'))).toBe(false);
    expect(existsSync(join(dir, 'results.json'))).toBe(false);
    const r = equissl(...args);
    expect(r.stderr).not.toMatch(/pretrain \d+\/2/);
    expect(r.stderr).toContain('reproduce: run 1 of 6: untrained, seed 0');
    expect(r.stderr).toContain('reproduce: run 6 of 6: method, seed 1, 2 steps');
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stdout).toContain('| untrained encoder (control) |');
    expect(r.stdout).toMatch(/\| baseline: VICReg on the whole representation \| -?\d\.\d{3} ± \d\.\d{3} \|/);
    const json = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as {
      steps: number;
      features: string;
      data: string;
      rows: { name: string; seeds: number[]; r2: Record<string, { mean: number; std: number }>; linear: { mean: number; std: number }; knn: { mean: number; std: number } }[];
      protocol: { equivarianceImages: string[] };
    };
    expect(json.steps).toBe(2);
    // the regressors fit on the training split (0.02 of 16,384 asked; the split holds 128) and score 0.02 of 4,096 test images
    expect(json.protocol.equivarianceImages).toEqual(['fitted on 128 (of 328 asked) images of the training split, scored on 82 test images']);
    expect(json.features).toBe('clsmean-full');
    expect(json.data).toContain('procedural');
    expect(json.rows.map((row) => row.name)).toEqual(['untrained', 'baseline', 'method']);
    for (const row of json.rows) {
      expect(row.seeds).toEqual([0, 1]);
      expect(Object.keys(row.r2).sort()).toEqual(['blur', 'colour', 'mean', 'rotation', 'translation']);
      for (const acc of [row.linear, row.knn]) expect(acc.mean >= 0 && acc.mean <= 1 && acc.std >= 0).toBe(true);
    }
    // the row's mean is the mean of its two runs' numbers
    const runs = [0, 1].map((seed) => JSON.parse(readFileSync(join(dir, 'method', `seed${seed}`, 'eval.json'), 'utf8')) as { results: { equivariance: { task: string; r2: number }[] } });
    const rot = runs.map((run) => run.results.equivariance.find((f) => f.task === 'rotation')!.r2);
    expect(json.rows[2]!.r2['rotation']!.mean).toBeCloseTo((rot[0]! + rot[1]!) / 2, 10);
    expect(json.rows[2]!.r2['rotation']!.std).toBeCloseTo(Math.abs(rot[0]! - rot[1]!) / Math.SQRT2, 10);
    for (const f of ['report.md', 'r2-curve.png', 'r2.png', 'accuracy.png', 'untrained/seed0/checkpoint.safetensors', 'baseline/seed1/checkpoint.safetensors']) expect(existsSync(join(dir, f)), f).toBe(true);
    // a rerun reuses every finished run; a run whose curve predates curveVersion 2 has its last point scored again, as the curve's other points
    const methodRun = join(dir, 'method', 'seed0', 'eval.json');
    const scored = JSON.parse(readFileSync(methodRun, 'utf8')) as { curveVersion?: number; curve: { step: number; rotation: number }[] };
    expect(scored.curveVersion).toBe(2);
    expect(scored.curve.at(-1)?.step).toBe(2);
    const { curveVersion: _dropped, ...older } = scored;
    writeFileSync(methodRun, JSON.stringify({ ...older, curve: [...scored.curve.slice(0, -1), { step: 2, rotation: 99 }] }));
    const again = equissl(...args);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('reproduce: run 2 of 6: baseline, seed 0 — already done');
    expect(again.stderr).toContain("reproduce: run 3 of 6: method, seed 0 — done; scoring its curve's last point as the others");
    expect(again.stderr).not.toContain('pretrain:');
    expect(JSON.parse(readFileSync(methodRun, 'utf8'))).toEqual(scored);
    // --report-only with one seed reports seed 0 alone from the finished runs
    const only = equissl('reproduce', '--steps', '2', '--seeds', '1', '--report-only', '--out', dir);
    expect(only.status).toBe(0);
    const json1 = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { rows: { seeds: number[] }[] };
    expect(json1.rows.map((row) => row.seeds)).toEqual([[0], [0], [0]]);
  }, 400_000);

  it('reproduce --suites homography scores every run and trains the from-scratch CNN (pixels, no encoder) once per seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'equissl-reproduce-homography-'));
    const tiny = '{trainPairs: 16, testPairs: 8, steps: 2, batchSize: 4, head: {channels: 4}, scratch: {channels: [4, 4]}, examples: 1}';
    const h = equissl('reproduce', '--steps', '2', '--seeds', '2', '--workers', '1', '--data', '{name: procedural, count: 128, size: 16}', '--suites', 'homography', '--homography', tiny, '--out', dir);
    expect(h.status, h.stderr.slice(-2000)).toBe(0);
    const runs = ['untrained', 'baseline', 'method'].map((row) =>
      [0, 1].map((seed) => JSON.parse(readFileSync(join(dir, row, `seed${seed}`, 'eval.json'), 'utf8')) as { results: { homography: { mceScratch?: number }; equivariance?: unknown }; curve: { step: number; rotation: number }[] }),
    );
    const scratch = runs.map((seeds) => seeds.map((r) => r.results.homography.mceScratch));
    // no equivariance suite, yet every curve ends at its run's step (0 for the untrained control) with a ridge R² score
    for (const [i, seeds] of runs.entries()) {
      for (const r of seeds) {
        expect(r.results.equivariance).toBeUndefined();
        expect(r.curve.at(-1)?.step).toBe(i === 0 ? 0 : 2);
        expect(Number.isFinite(r.curve.at(-1)?.rotation)).toBe(true);
      }
    }
    expect(scratch.slice(1)).toEqual([[undefined, undefined], [undefined, undefined]]);
    const [s0, s1] = scratch[0] as [number, number];
    const refs = (JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as { homographyReferences: { scratch: { mean: number; std: number } } }).homographyReferences;
    expect(refs.scratch.mean).toBeCloseTo((s0 + s1) / 2, 10);
    expect(refs.scratch.std).toBeCloseTo(Math.abs(s0 - s1) / Math.SQRT2, 10);
  }, 400_000);
});
