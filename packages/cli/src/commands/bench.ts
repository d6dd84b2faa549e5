/**
 * `equissl bench`: views per second of one training step of the reference
 * configuration, built from equissl's packages, and — when Debian's
 * `python3-torch` (with `libopenblas0-openmp`) is installed — the PyTorch
 * reference step (`shared/bench/torch_reference.py`) on the same settings in
 * the same run, with the ratio ours / PyTorch.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, ioError } from '@equissl/core';
import { type BenchResult, benchTrainStep } from '@equissl/pipeline';
import * as tf from '@tensorflow/tfjs';
import { type Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CommandContext, backendOption, backendThenRegistry, integer, logLine, runTask } from '../cli-support.js';

/** Options of {@link runBench}. */
export interface BenchCommandOptions {
  readonly batch: number;
  readonly steps: number;
  readonly repeats: number;
  readonly warmup: number;
  /** Path of torch_reference.py (default: shared/bench beside the repository). */
  readonly reference?: string;
  /** Interpreter with torch (default /usr/bin/python3, Debian's). */
  readonly python: string;
  /** Data-parallel replicas for equissl's step (default: 2, or 1 on a 1-core machine). */
  readonly workers: number;
  readonly backend: BackendPreference;
  readonly log: (line: string) => void;
}

/** The outcome of the PyTorch side. */
export type ReferenceOutcome = { readonly ran: true; readonly viewsPerSecond: number; readonly output: string } | { readonly ran: false; readonly reason: string };

/** What `equissl bench` measured. */
export interface BenchReport {
  readonly ours: BenchResult;
  readonly reference: ReferenceOutcome;
  readonly ratio: number | undefined;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

/** Where torch_reference.py is looked for. */
export const referenceCandidates = (): string[] => [join(repoRoot, '..', 'shared', 'bench', 'torch_reference.py'), join(repoRoot, 'shared', 'bench', 'torch_reference.py')];

const runReference = (o: BenchCommandOptions): ReferenceOutcome => {
  const script = o.reference ?? referenceCandidates().find((c) => existsSync(c));
  if (script === undefined || !existsSync(script)) return { ran: false, reason: `torch_reference.py not found (looked in ${referenceCandidates().join(', ')}); pass --reference` };
  const probe = spawnSync(o.python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { ran: false, reason: `${o.python} cannot import torch; install it with: apt-get install python3-torch libopenblas0-openmp` };
  const json = join(mkdtempSync(join(tmpdir(), 'equissl-bench-')), 'torch.json');
  const r = spawnSync(o.python, [script, '--batch', String(o.batch), '--modes', 'train', '--steps', String(o.steps), '--repeats', String(o.repeats), '--warmup', String(o.warmup), '--json', json], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0 || !existsSync(json)) return { ran: false, reason: `the PyTorch reference did not report (exit ${r.status}): ${output.trim().split('\n').slice(-2).join(' ')}` };
  const result = JSON.parse(readFileSync(json, 'utf8')) as { modes: { train: { steps_per_s: number[] } } };
  const sps = [...result.modes.train.steps_per_s].sort((a, b) => a - b);
  return { ran: true, viewsPerSecond: 2 * o.batch * sps[Math.floor(sps.length / 2)]!, output };
};

/** Runs our step, then the reference, and computes the ratio. */
export const runBench = async (registry: Registry, o: BenchCommandOptions): Promise<E.Either<EquisslError, BenchReport>> => {
  o.log(`equissl: timing ${o.repeats} × ${o.steps} steps after ${o.warmup} warm-up steps on ${o.workers} worker${o.workers > 1 ? 's' : ''} …`);
  const ours = await benchTrainStep(registry, {
    workers: o.workers,
    backend: o.backend,
    batch: o.batch,
    warmup: o.warmup,
    steps: o.steps,
    repeats: o.repeats,
    onRepeat: (r, sec) => o.log(`  [equissl] repeat ${r + 1}: ${(sec * 1000).toFixed(0)} ms/step  ${((2 * o.batch) / sec).toFixed(1)} views/s`),
  });
  if (E.isLeft(ours)) return ours;
  o.log('pytorch: running the reference step …');
  let reference: ReferenceOutcome;
  try {
    reference = runReference(o);
  } catch (e) {
    return E.left(ioError(o.python, (e as Error).message));
  }
  if (reference.ran) for (const line of reference.output.trim().split('\n')) o.log(`  [pytorch] ${line}`);
  return E.right({ ours: ours.right, reference, ratio: reference.ran ? ours.right.viewsPerSecond / reference.viewsPerSecond : undefined });
};

/** `equissl bench`: its options, and the views/s (and ratio) it prints. */
export const benchCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('bench')
    .description('views/s of the reference training step (shared/bench/torch_reference.py) built from equissl, beside PyTorch when installed, and their ratio')
    .option('--batch <n>', 'images per view (each step has 2B views)', integer, 64)
    .option('--steps <n>', 'timed steps per repeat', integer, 3)
    .option('--repeats <n>', 'repeats (the median is reported)', integer, 3)
    .option('--warmup <n>', 'untimed steps first', integer, 1)
    .option('--reference <file>', 'path of torch_reference.py (default: ../shared/bench beside the repository)')
    .option('--python <exe>', 'Python with torch', '/usr/bin/python3')
    .option('--workers <n>', 'data-parallel replicas for equissl (default: one per core, at most 2 — the reference uses 2 threads)', integer, Math.min(2, availableParallelism()))
    .addOption(backendOption())
    .action(async (o: { batch: number; steps: number; repeats: number; warmup: number; reference?: string; python: string; workers: number; backend?: BackendPreference }) => {
      await runTask(
        pipe(
          backendThenRegistry(shared, o.backend),
          TE.flatMap((registry) => () => runBench(registry, { ...o, backend: (tf.getBackend() as BackendPreference) ?? 'wasm', log: logLine })),
        ),
        (r) => {
          process.stdout.write(`config: ${r.ours.description}; ${r.ours.parameters.toLocaleString('en')} parameters; backend ${tf.getBackend()}\n`);
          process.stdout.write(`equissl: ${r.ours.viewsPerSecond.toFixed(2)} views/s\n`);
          if (r.reference.ran) {
            process.stdout.write(`pytorch: ${r.reference.viewsPerSecond.toFixed(2)} views/s\n`);
            process.stdout.write(`ratio: ${r.ratio!.toFixed(3)}\n`);
          } else process.stdout.write(`pytorch: not run (${r.reference.reason})\n`);
        },
      );
    });
