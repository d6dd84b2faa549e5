/**
 * The checkpoint contract between equissl and its PyTorch trainer
 * (python/equissl_torch, docs/checkpoint-contract.md), from the TypeScript
 * side: a 2-process `torchrun` pretraining on procedural images writes a
 * checkpoint that `equissl eval` and `equissl export` read unchanged and that
 * `equissl pretrain --resume` continues; equissl's checkpoints load on the
 * Python side (`--resume`, and one step repeated there, with one process and
 * with two, agreeing with equissl's step to float tolerance). Every tensor
 * name and shape is checked against the committed listing
 * `fixtures/torch/tiny-tensors.json`, which the package's pytest checks too.
 *
 * Skipped, with the reason, where /usr/bin/python3 has no torch.
 */
import { type LoadedCheckpoint, readCheckpoint } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { writeStepCase } from '../tools/torch-equivalence.js';
import { named, torchMissing } from '../tools/test-data.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'packages', 'cli', 'src', 'main.ts');
const pkg = join(root, 'python', 'equissl_torch');
const python = '/usr/bin/python3';
const tinyYaml = join(root, 'test', 'fixtures', 'torch', 'tiny.yaml');
const tiny = YAML.parse(readFileSync(tinyYaml, 'utf8')) as Record<string, unknown>;
const listing = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'torch', 'tiny-tensors.json'), 'utf8')) as { metadata: string[]; tensors: [string, number[]][] };

/** Why the PyTorch side cannot run here, or undefined when it can. */
const missing = torchMissing(join(pkg, 'equissl_torch', 'train.py'));

const env = { ...process.env, PYTHONPATH: pkg, EQUISSL_BACKEND: 'wasm' };
const equissl = (...args: string[]) => spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, ...args], { encoding: 'utf8', env });
/** `torchrun --standalone --nproc_per_node N -m MODULE …` (through equissl_torch.launch, which repairs Debian's torchrun), or one plain process. */
const torch = (procs: number, module: string, ...args: string[]) =>
  spawnSync(python, [...(procs > 1 ? ['-m', 'equissl_torch.launch', '--standalone', '--nproc_per_node', String(procs)] : []), '-m', module, ...args], { encoding: 'utf8', env, timeout: 240_000, killSignal: 'SIGKILL' });

const must = async (file: string): Promise<LoadedCheckpoint> => {
  const r = await readCheckpoint(file)();
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

const shapes = (c: LoadedCheckpoint) => [...c.tensors].map(([n, t]) => [n, [...t.shape]]);

const metrics = (out: string) =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, number>);

/** What `python3 -m equissl_torch.equivalence` reports. */
interface Report {
  images: number;
  views: number;
  loss: number;
  terms: Record<string, { torch: number; equissl: number; absDiff: number }>;
  grad: { maxRelErr: number };
  param: { maxAbsDiff: number };
  update: { maxAbsDiffOverLr: number; elements: number };
  roundingZero: { tensors: string[]; largestGradientThereOverMax: number };
}

const equivalence = async (workers: number): Promise<Report> => {
  const dir = mkdtempSync(join(tmpdir(), `equissl-torch-step${workers}-`));
  await writeStepCase(tiny, dir, workers);
  // equissl's checkpoints, before and after the step, hold exactly the listed tensors
  expect(shapes(await must(join(dir, 'step1', 'checkpoint.safetensors')))).toEqual(listing.tensors);
  expect(shapes(await must(join(dir, 'init', 'checkpoint.safetensors')))).toEqual(listing.tensors.filter(([n]) => n.startsWith('param/')));
  const r = torch(workers, 'equissl_torch.equivalence', dir, '--json', join(dir, 'report.json'));
  expect(r.status, r.stderr.slice(-3000)).toBe(0);
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as Report;
};

const expectEquivalent = (r: Report) => {
  // the same images and views drawn on both sides, float32 rounding apart
  expect(r.images).toBe(0);
  expect(r.views).toBeLessThan(1e-5);
  // every loss term, the gradients (AdamW's first moment), the updated parameters and the update itself
  for (const [, t] of Object.entries(r.terms)) expect(t.absDiff).toBeLessThan(1e-5 * Math.max(1, Math.abs(t.equissl)));
  expect(r.loss).toBeLessThan(1e-6);
  expect(r.grad.maxRelErr).toBeLessThan(1e-2);
  expect(r.param.maxAbsDiff).toBeLessThan(1e-6);
  expect(r.update.maxAbsDiffOverLr).toBeLessThan(0.01);
  expect(r.update.elements).toBeGreaterThan(7000);
  // gradients that are zero in exact arithmetic (biases before batch norm, and the last one VICReg is blind to) are rounding noise on both sides
  expect(r.roundingZero.tensors).toEqual(['loss.projector.0.bias', 'loss.projector.1.bias']);
  expect(r.roundingZero.largestGradientThereOverMax).toBeLessThan(1e-5);
};

describe.skipIf(missing !== undefined)(named('PyTorch DDP training and the checkpoint contract', missing), () => {
  const out = mkdtempSync(join(tmpdir(), 'equissl-torchrun-'));
  const checkpoint = join(out, 'checkpoint.safetensors');

  it('a 2-process torchrun pretraining writes the tensors equissl writes, and equissl eval and export read its checkpoint', async () => {
    const r = torch(2, 'equissl_torch.train', '--config', tinyYaml, '--out', out, '--log-every', '0');
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toContain('batch 8 on 2 processes (gloo, cpu');
    const m = metrics(out);
    expect(m.map((x) => x['step'])).toEqual([0, 1, 2, 3]);
    for (const x of m) for (const k of ['loss', 'ssl', 'rec', 'gradNorm']) expect(Number.isFinite(x[k])).toBe(true);
    const ckpt = await must(checkpoint);
    expect(shapes(ckpt)).toEqual(listing.tensors);
    expect(ckpt.state.step).toBe(4);
    expect(ckpt.state.encoder).toEqual({ backbone: { name: 'vit', imageSize: 16, patchSize: 4, channels: 3, dim: 16, depth: 1, heads: 2, mlpRatio: 4 }, neck: 'linear', dInv: 8, dEqui: 8 });
    expect(ckpt.state.stream).toMatchObject({ epoch: 0, cursor: 32, skipped: 0 });

    const report = join(out, 'report');
    const ev = equissl('eval', checkpoint, '--suite', 'equivariance,linear,knn', '--probe-images', '64,64', '--regressor', '{name: ridge}', '--workers', '1', '--out', report);
    expect(ev.status, ev.stderr.slice(-2000)).toBe(0);
    const [results] = JSON.parse(readFileSync(join(report, 'results.json'), 'utf8')) as { equivariance: { task: string; r2: number }[]; linearAccuracy: number; knnAccuracy: number }[];
    expect(results!.equivariance.map((f) => f.task)).toEqual(['rotation', 'colour', 'blur', 'translation']);
    for (const f of results!.equivariance) expect(Number.isFinite(f.r2)).toBe(true);
    for (const acc of [results!.linearAccuracy, results!.knnAccuracy]) expect(acc >= 0 && acc <= 1).toBe(true);

    const ex = equissl('export', checkpoint, '--out', join(out, 'encoder.safetensors'));
    expect(ex.status, ex.stderr.slice(-2000)).toBe(0);
    expect(ex.stdout + ex.stderr).toContain('ViT D=16 depth=1 heads=2 patch=4 image=16, neck linear (step 4)');
  }, 300_000);

  it('equissl pretrain --resume continues the run PyTorch trained', async () => {
    const r = equissl('pretrain', '--out', out, '--resume', '--steps', '6');
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toContain('resuming at step 4 of 6');
    expect((await must(checkpoint)).state.step).toBe(6);
    const m = metrics(out).filter((x) => x['event'] === undefined);
    expect(m.map((x) => x['step'])).toEqual([0, 1, 2, 3, 4, 5]);
  }, 300_000);

  it("torchrun --resume continues equissl's run from its checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'equissl-to-torch-'));
    const e = equissl('pretrain', '--config', tinyYaml, '--set', 'workers=2', '--steps', '2', '--out', dir);
    expect(e.status, e.stderr.slice(-2000)).toBe(0);
    const r = torch(2, 'equissl_torch.train', '--out', dir, '--resume', '--steps', '4', '--log-every', '0');
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toContain('resuming at step 2 of 4');
    const ckpt = await must(join(dir, 'checkpoint.safetensors'));
    expect(ckpt.state.step).toBe(4);
    expect(shapes(ckpt)).toEqual(listing.tensors);
    expect(metrics(dir).filter((x) => x['event'] === undefined).map((x) => x['step'])).toEqual([0, 1, 2, 3]);
  }, 300_000);

  it("equissl's checkpoint loads on the Python side, and one step there agrees with equissl's (one process)", async () => {
    expectEquivalent(await equivalence(1));
  }, 300_000);

  it('two DDP processes agree with two equissl replicas (gathered batch statistics, averaged gradients)', async () => {
    expectEquivalent(await equivalence(2));
  }, 300_000);
});
