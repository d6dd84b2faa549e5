/**
 * End to end: a tiny model pretrains for a few steps on the wasm and on the cpu
 * backend and its loss goes down; `equissl pretrain` leaves the promised files
 * and refuses bad configs with path-precise messages and exit code 2.
 */
import { selectBackend } from '@equissl/core';
import { pretrain } from '@equissl/pipeline';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(standardRegistry());

const tiny = {
  seed: 1,
  steps: 14,
  batchSize: 8,
  data: { name: 'procedural', count: 16, size: 16 },
  backbone: { name: 'vit', dim: 16, depth: 1, heads: 2, mlpRatio: 2 },
  reconstruction: { weight: 1, k: 2, decoder: { name: 'conv4', channels: 8 } },
  optimizer: { lr: 3e-3, warmupSteps: 2 },
  checkpointEvery: 0,
  workers: 1,
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

afterAll(async () => {
  await selectBackend('wasm')();
});

describe.each(['wasm', 'cpu'] as const)('pretraining on %s', (backend) => {
  it('lowers the loss within a few steps', async () => {
    const r0 = await selectBackend(backend)();
    expect(r0._tag === 'Right' && r0.right.name).toBe(backend);
    const totals: number[] = [];
    const r = await pretrain(tiny, registry, { out: mkdtempSync(join(tmpdir(), `equissl-${backend}-`)), onStep: (s) => totals.push(s.loss) })();
    if (E.isLeft(r)) throw new Error(r.left.message);
    r.right.model.dispose();
    expect(totals).toHaveLength(14);
    expect(mean(totals.slice(-3))).toBeLessThan(mean(totals.slice(0, 3)));
  });
});

const main = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'src', 'main.ts');
const equissl = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, EQUISSL_BACKEND: 'wasm' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** `equissl ...args` in a child process, awaited (so that two runs overlap). */
const equisslAsync = (...args: string[]) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, ...args], { env: { ...process.env, EQUISSL_BACKEND: 'wasm' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

describe('equissl pretrain', () => {
  it('writes the checkpoint, the metrics log, the loss curve and the reconstruction grid', async () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-cli-pretrain-'));
    const config = join(out, 'tiny.yaml');
    writeFileSync(
      config,
      ['steps: 3', 'batchSize: 4', 'data: { name: procedural, count: 8, size: 16 }', 'backbone: { name: vit, dim: 16, depth: 1, heads: 2 }', 'reconstruction: { k: 2, decoder: { name: conv4, channels: 8 } }'].join('\n'),
    );
    const r = equissl('pretrain', '--config', config, '--set', 'optimizer.lr=1e-3', '--out', out);
    expect(r.stderr).toContain('pretrain: ViT D=16 depth=1 heads=2 patch=4 image=16');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^done: 3 steps, final loss \d+\.\d{4}$/m);
    for (const f of ['checkpoint.safetensors', 'metrics.jsonl', 'config.json', 'loss.png', 'reconstructions.png']) expect(existsSync(join(out, f)), f).toBe(true);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(lines.map((l) => l['step'])).toEqual([0, 1, 2]);
    expect(Object.keys(lines[0]!)).toEqual(expect.arrayContaining(['loss', 'lr', 'viewsPerSecond', 'ssl', 'ssl.invariance', 'rec', 'rec.k1', 'rec.k2', 'total']));
    // 6 images (rows) × (v1, u1, u2, rec1, rec2, v2) tiles of 16 px ×4, under an 18 px band of column labels
    const grid = await sharp(join(out, 'reconstructions.png')).metadata();
    expect([grid.width, grid.height]).toEqual([6 * 64 + 7 * 2, 18 + 6 * 64 + 7 * 2]);
  });

  it('with the iBOT and DINOv2 defaults, 30 steps on the embedded images end with a teacher neither uniform nor on one prototype, said in the summary', async () => {
    // the default settings (workers: auto), both runs at once
    const teacher = async (loss: string) => {
      const r = await equisslAsync('pretrain', '--set', `loss.name=${loss}`, '--steps', '30', '--out', mkdtempSync(join(tmpdir(), `equissl-${loss}-`)));
      expect(r.code, r.stderr.slice(-500)).toBe(0);
      const line = /^teacher: (.+) \(entropy [\d.]+ → ([\d.]+) nats of log K ([\d.]+); marginal [\d.]+ → ([\d.]+);/m.exec(r.stdout);
      expect(line, r.stdout).not.toBeNull();
      return { verdict: line![1]!, entropy: Number(line![2]), logK: Number(line![3]), marginal: Number(line![4]) };
    };
    const [ibot, dinov2] = await Promise.all([teacher('ibot'), teacher('dinov2')]);
    expect(ibot.verdict).toBe('trains');
    expect(dinov2.verdict).toBe('trains');
    // sharper than uniform by the margin, spread over the prototypes
    for (const t of [ibot, dinov2]) {
      expect(t.entropy).toBeLessThan(t.logK - 0.5);
      expect(t.marginal).toBeGreaterThan(0.5);
    }
  }, 240_000);

  it('refuses a bad value, an unknown plugin and a missing file with exit code 2 or 1', () => {
    const bad = equissl('pretrain', '--set', 'optimizer.lr=ten', '--out', mkdtempSync(join(tmpdir(), 'x-')));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('equissl: [ConfigError] optimizer.lr: expected positive number, got "ten"');
    const unknown = equissl('pretrain', '--set', 'backbone.name=resnet50', '--out', mkdtempSync(join(tmpdir(), 'x-')));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('equissl: [UnknownPlugin] backbone.name: unknown backbone plugin "resnet50"; known backbone plugins: vit, vit-micro, vit-small, vit-tiny');
    const missing = equissl('pretrain', '--config', '/nowhere/config.yaml');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('equissl: [IoError] /nowhere/config.yaml: no such config file');
  });

  it('Ctrl-C finishes the step, writes a checkpoint, exits 130, and --resume completes the run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-sigint-'));
    const args = ['--conditions=@equissl/source', '--import', 'tsx', main, 'pretrain', '--out', out, '--steps', '80', '--set', 'batchSize=4', '--set', 'data={name: procedural, count: 8, size: 16}', '--set', 'backbone={name: vit, dim: 16, depth: 1, heads: 2}', '--set', 'reconstruction.decoder={name: conv4, channels: 8}'];
    const child = spawn(process.execPath, args, { env: { ...process.env, EQUISSL_BACKEND: 'wasm' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d) => {
        stderr += String(d);
        // interrupt once the run is visibly under way
        if (/pretrain 20\/80/.test(stderr) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(stderr).toContain('interrupt: finishing this step and writing a checkpoint');
    expect(code).toBe(130);
    const done = Number(/interrupted after step (\d+)/.exec(stdout)?.[1]);
    expect(done).toBeGreaterThanOrEqual(20);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(done);
    const resumed = equissl('pretrain', '--out', out, '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`resuming at step ${done} of 80`);
    expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(80);
  });
});
