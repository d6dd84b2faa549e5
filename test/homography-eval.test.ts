/**
 * A tiny homography evaluation end to end (a few seconds): pretrain two
 * steps, then `equissl eval CKPT --suite homography` as a user runs it, and
 * the fine-tuned mode in-process; checks the printed MCE, results.json,
 * report.md and homography.png.
 */
import { evaluateCheckpoint } from '@equissl/eval';
import { pretrain } from '@equissl/pipeline';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(standardRegistry());

const out = mkdtempSync(join(tmpdir(), 'equissl-homography-'));
const checkpoint = join(out, 'checkpoint.safetensors');
const tiny = '{trainPairs: 16, testPairs: 8, steps: 3, batchSize: 4, head: {channels: 4}, scratch: {channels: [4, 4]}, examples: 2}';

beforeAll(async () => {
  const r = await pretrain({ steps: 2, batchSize: 8, workers: 1, data: { name: 'procedural', count: 64, size: 16 }, backbone: { name: 'vit', dim: 16, depth: 1, heads: 2 } }, registry, { out })();
  if (E.isLeft(r)) throw new Error(r.left.message);
  r.right.model.dispose();
});

describe('equissl eval --suite homography', () => {
  it('prints the MCE and writes it, its references and a figure of pairs', () => {
    const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'src', 'main.ts');
    const report = join(out, 'eval-homography');
    const r = spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, 'eval', checkpoint, '--suite', 'homography', '--homography', tiny, '--out', report], {
      encoding: 'utf8',
      env: { ...process.env, EQUISSL_BACKEND: 'wasm' },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('eval: homography: checkpoint: step 3/3');
    expect(r.stdout).toMatch(/homography MCE \(frozen\) = \d+\.\d\d px \(zero offsets \d+\.\d\d, from scratch \d+\.\d\d, untrained \d+\.\d\d\)/);
    const [results] = JSON.parse(readFileSync(join(report, 'results.json'), 'utf8')) as [{ homography: Record<string, unknown>; equivariance?: unknown }];
    expect(results.equivariance).toBeUndefined();
    expect(results.homography).toMatchObject({ mode: 'frozen', size: 16, rho: 4, trainPairs: 16, testPairs: 8, steps: 3 });
    for (const k of ['mce', 'mceZero', 'mceScratch', 'mceUntrained']) expect(results.homography[k]).toBeGreaterThan(0);
    const md = readFileSync(join(report, 'report.md'), 'utf8');
    expect(md).toContain('## Homography estimation (Mean Corner Error, px; lower is better)');
    expect(md).toContain(`| zero offsets (trivial predictor) | ${(results.homography['mceZero'] as number).toFixed(2)} |`);
    expect(existsSync(join(report, 'homography.png'))).toBe(true);
  });

  it('fine-tunes after training the head on the frozen encoder: the first phase equals the frozen mode, the zero predictor is unchanged', async () => {
    const common = { part: 'clsmean-full' as const, seed: 0, probeTrainImages: 8, probeTestImages: 8 };
    const settings = { trainPairs: 16, testPairs: 8, steps: 2, finetuneSteps: 2, batchSize: 4, head: { channels: 4 }, references: ['zero'], examples: 0 };
    const frozen = await evaluateCheckpoint(checkpoint, registry, { ...common, suites: [{ name: 'homography', ...settings }] });
    const tuned = await evaluateCheckpoint(checkpoint, registry, { ...common, suites: [{ name: 'homography', ...settings, finetune: true }] });
    if (E.isLeft(frozen) || E.isLeft(tuned)) throw new Error('eval');
    expect(tuned.right.homography?.mode).toBe('finetune');
    expect(tuned.right.homography).toMatchObject({ finetuneLrScale: 0.1, finetuneSteps: 2, mceHeadOnly: frozen.right.homography?.mce });
    expect(frozen.right.homography?.finetuneLrScale).toBeUndefined();
    expect(frozen.right.homography?.mceHeadOnly).toBeUndefined();
    expect(tuned.right.homography?.mceZero).toBe(frozen.right.homography?.mceZero);
    expect(tuned.right.homography?.mce).not.toBe(frozen.right.homography?.mce);
  });
});
