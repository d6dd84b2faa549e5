/**
 * `equissl bench`: the reference configuration's training step (or its
 * encoder's forward pass, `--mode encode`), built from equissl's packages,
 * timed in interleaved pairs against the PyTorch reference
 * (`shared/bench/torch_reference.py`, kept warm in one Python process by
 * `tools/reference/bench_server.py`) when Debian's `python3-torch` (with
 * `libopenblas0-openmp`) is installed: equissl, PyTorch, equissl, PyTorch, …
 * Each pair gives a ratio (equissl views/s ÷ PyTorch views/s); the headline
 * is their median with its spread. `--profile` instead runs a few steps of
 * equissl's under `tf.profile` and prints the time per kernel.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, backendLabel, configError, ensureWritableDir, writeFileAtomic } from '@equissl/core';
import { type BenchMode, type BenchSession, type MemorySnapshot, openBenchSession, profileBench, referenceShape, tinyShape } from './session.js';
import * as tf from '@tensorflow/tfjs';
import { type Command, Option } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BenchRecord,
  type CpuInfo,
  type PairRecord,
  type PytorchInfo,
  type Timing,
  busyJiffies,
  describeCpu,
  foreignCores,
  formatMemory,
  formatPair,
  formatProfile,
  formatQuiet,
  formatRatio,
  formatViews,
  pairRecord,
  pairSchedule,
  parseCpuInfo,
  summarizePairs,
  timing,
} from './stats.js';
import { type CommandContext, backendOption, backendThenRegistry, integer, logLine, runTask } from '@equissl/cli';
import { type TorchSession, openTorchSession } from './torch-session.js';

/** Options of {@link runBench}. */
export interface BenchCommandOptions {
  readonly mode: BenchMode;
  readonly batch: number;
  /** Timed steps per repeat. */
  readonly steps: number;
  /** Interleaved pairs (equissl repeat, PyTorch repeat). */
  readonly pairs: number;
  /** Untimed steps of each side, once at the start. */
  readonly warmup: number;
  /** Profile instead of timing pairs: this many steps under tf.profile. */
  readonly profile: number | undefined;
  /** Write the record here (atomically). */
  readonly json: string | undefined;
  /** Path of torch_reference.py (default: the first of {@link referenceCandidates} that exists). */
  readonly reference?: string;
  /** Interpreter with torch (default /usr/bin/python3, Debian's). */
  readonly python: string;
  /** PyTorch's threads. */
  readonly threads: number;
  /** Data-parallel replicas for equissl's step. */
  readonly workers: number;
  readonly backend: BackendPreference;
  /** The tiny model (tests of this command only). */
  readonly tiny: boolean;
  /** Result lines (stdout). */
  readonly out: (line: string) => void;
  /** Progress lines (stderr). */
  readonly log: (line: string) => void;
}

/**
 * Where torch_reference.py is looked for when `--reference` is not given:
 * `$EQUISSL_TORCH_REFERENCE`, then `shared/bench/torch_reference.py` under the
 * working directory and under its parent (a checkout beside `shared/`).
 */
export const referenceCandidates = (cwd: string = process.cwd()): string[] => [
  ...(process.env['EQUISSL_TORCH_REFERENCE'] ? [process.env['EQUISSL_TORCH_REFERENCE']] : []),
  join(cwd, 'shared', 'bench', 'torch_reference.py'),
  join(cwd, '..', 'shared', 'bench', 'torch_reference.py'),
];

/** The long-lived PyTorch side, shipped with this package: python/bench_server.py. */
export const benchServer = (): string => fileURLToPath(new URL('../../python/bench_server.py', import.meta.url));

const readCpu = (): CpuInfo => {
  try {
    return parseCpuInfo(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return { model: undefined, logicalCores: availableParallelism(), avx2: false, avx512f: false };
  }
};

const readBusy = (): number => {
  try {
    return busyJiffies(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return Number.NaN;
  }
};

/** Times one of equissl's repeats, with the cores other processes used meanwhile. */
const timeOurs = async (s: BenchSession, steps: number): Promise<Timing> => {
  const b0 = readBusy();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const sec = await s.time(steps);
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return timing(sec, s.viewsPerStep, foreignCores(readBusy() - b0, (c.user + c.system) / 1e6, wall));
};

const machine = (cpu: CpuInfo) => ({ cpu, node: process.version, platform: `${process.platform} ${process.arch}`, tfjs: tf.version.tfjs });

const settings = (o: BenchCommandOptions) => ({
  batch: o.batch,
  viewsPerStep: 2 * o.batch,
  steps: o.steps,
  warmup: o.warmup,
  pairs: o.profile === undefined ? o.pairs : 0,
  workers: o.profile === undefined ? o.workers : 1,
  threads: o.threads,
  backend: backendLabel(),
  tiny: o.tiny,
});

const validate = (o: BenchCommandOptions): E.Either<EquisslError, void> => {
  const checks: [string, number, number][] = [
    ['batch', o.batch, 2],
    ['steps', o.steps, 1],
    ['pairs', o.pairs, 1],
    ['warmup', o.warmup, 0],
    ['workers', o.workers, 1],
    ['threads', o.threads, 1],
    ...(o.profile === undefined ? [] : ([['profile-steps', o.profile, 1]] as [string, number, number][])),
  ];
  for (const [name, v, min] of checks) if (!Number.isInteger(v) || v < min) return E.left(configError(name, `--${name} must be an integer of at least ${min}, got ${v}`));
  return E.right(undefined);
};

const profileRun = async (registry: Registry, o: BenchCommandOptions, cpu: CpuInfo): Promise<E.Either<EquisslError, BenchRecord>> => {
  const steps = o.profile!;
  o.log(`equissl: profiling ${steps} step${steps === 1 ? '' : 's'} (mode ${o.mode}) after ${o.warmup} warm-up step${o.warmup === 1 ? '' : 's'}, on 1 worker in this thread …`);
  const r = await profileBench(registry, { mode: o.mode, batch: o.batch, warmup: o.warmup, steps, shape: o.tiny ? tinyShape : referenceShape });
  if (E.isLeft(r)) return r;
  const p = r.right;
  o.out(`equissl: ${p.description}; backend ${backendLabel()}`);
  o.out(`memory after warm-up: ${formatMemory(p.memory.afterWarmup)}`);
  o.out(`profile: ${steps} step${steps === 1 ? '' : 's'} of mode ${o.mode}, ${(p.wallMs / steps).toFixed(0)} ms/step under tf.profile, ${((100 * p.kernelMs) / p.wallMs).toFixed(1)} % of it inside kernels`);
  for (const line of formatProfile(p)) o.out(line);
  o.out(`memory at the end: ${formatMemory(p.memory.end)}`);
  return E.right({
    ...recordHeader(o, cpu, p),
    pytorch: { available: false, reason: 'not run with --profile' },
    memory: p.memory,
    pairs: [],
    profile: p,
  });
};

/** The fields every bench record starts with: format, date, mode, settings, machine and our model. */
const recordHeader = (o: BenchCommandOptions, cpu: Parameters<typeof machine>[0], ours: { description: string; parameters: number }) => ({
  format: 'equissl-bench/1' as const,
  date: new Date().toISOString(),
  mode: o.mode,
  settings: settings(o),
  machine: machine(cpu),
  equissl: { description: ours.description, parameters: ours.parameters },
});

const startPytorch = async (o: BenchCommandOptions): Promise<{ session: TorchSession | undefined; info: PytorchInfo }> => {
  const reference = o.reference ?? referenceCandidates().find((c) => existsSync(c)) ?? referenceCandidates()[0]!;
  o.log(`pytorch: starting the reference model (${o.python} ${benchServer()}) …`);
  const opened = await openTorchSession({ python: o.python, server: benchServer(), reference, batch: o.batch, threads: o.threads, shape: o.tiny ? tinyShape : referenceShape });
  if (!opened.ok) return { session: undefined, info: { available: false, reason: opened.reason } };
  const i = opened.session.info;
  return {
    session: opened.session,
    info: { available: true, torch: i.torch, threads: i.threads, python: i.python, parameters: o.mode === 'train' ? i.parameters : i.encoderParameters, blasCheck: i.blasCheck, blasGflops: i.blasGflops },
  };
};

/** Runs the interleaved pairs (or the profile), prints as it goes, and returns the record. */
export const runBench = async (registry: Registry, o: BenchCommandOptions): Promise<E.Either<EquisslError, BenchRecord>> => {
  const valid = validate(o);
  if (E.isLeft(valid)) return valid;
  const cpu = readCpu();
  o.out(`cpu: ${describeCpu(cpu)}`);
  if (o.profile !== undefined) return profileRun(registry, o, cpu);

  // PyTorch first: its BLAS check then runs on a machine not yet busy building our replicas
  const torch = await startPytorch(o);
  o.out(
    torch.info.available
      ? `pytorch: torch ${torch.info.torch}, ${torch.info.threads} thread${torch.info.threads === 1 ? '' : 's'}, python ${torch.info.python}, ${torch.info.parameters.toLocaleString('en')} parameters; ${torch.info.blasCheck}`
      : `pytorch: not available (${torch.info.reason}); equissl's figures only`,
  );
  o.log(`equissl: building the ${o.mode === 'train' ? 'trainer' : 'encoder'} on ${o.workers} worker${o.workers > 1 ? 's' : ''} …`);
  const opened = await openBenchSession(registry, { mode: o.mode, batch: o.batch, workers: o.workers, backend: o.backend, shape: o.tiny ? tinyShape : referenceShape });
  if (E.isLeft(opened)) {
    await torch.session?.close();
    return opened;
  }
  const ours = opened.right;
  try {
    o.out(`equissl: ${ours.description}; ${ours.parameters.toLocaleString('en')} parameters; backend ${backendLabel()}`);
    const each = `${o.steps} timed step${o.steps === 1 ? '' : 's'}`;
    o.out(
      torch.session === undefined
        ? `mode ${o.mode}: ${o.pairs} repeats of ${each} (${ours.viewsPerStep} views per step), after ${o.warmup} warm-up step${o.warmup === 1 ? '' : 's'} at the start`
        : `mode ${o.mode}: ${o.pairs} pairs (equissl then pytorch) of ${each} each (${ours.viewsPerStep} views per step), after ${o.warmup} warm-up step${o.warmup === 1 ? '' : 's'} per side at the start`,
    );
    o.log(`equissl: ${o.warmup} warm-up step${o.warmup === 1 ? '' : 's'} …`);
    await ours.warmup(o.warmup);
    if (torch.session !== undefined) {
      o.log(`pytorch: ${o.warmup} warm-up step${o.warmup === 1 ? '' : 's'} …`);
      await torch.session.warmup(o.mode, o.warmup);
    }
    const afterWarmup: MemorySnapshot = await ours.memory();
    o.out(`memory after warm-up: ${formatMemory(afterWarmup)}`);
    const pairs: PairRecord[] = [];
    let mine: Timing | undefined;
    for (const slot of pairSchedule(o.pairs, torch.session !== undefined)) {
      if (slot.side === 'equissl') {
        mine = await timeOurs(ours, o.steps);
        if (torch.session !== undefined) continue;
        pairs.push(pairRecord(slot.pair, mine, undefined));
      } else {
        const t = await torch.session!.time(o.mode, o.steps);
        pairs.push(pairRecord(slot.pair, mine!, timing(t.secondsPerStep, ours.viewsPerStep, t.foreignCores)));
      }
      o.out(formatPair(pairs[pairs.length - 1]!));
    }
    const end = await ours.memory();
    o.out(`memory at the end: ${formatMemory(end)}`);
    const summary = summarizePairs(pairs);
    if (summary.ratio !== undefined) o.out(formatRatio(summary.ratio));
    const quiet = formatQuiet(summary);
    if (quiet !== undefined) o.out(quiet);
    o.out(`equissl: ${formatViews(summary.equisslViewsPerSecond)}`);
    if (summary.pytorchViewsPerSecond !== undefined) o.out(`pytorch: ${formatViews(summary.pytorchViewsPerSecond)}`);
    return E.right({
      ...recordHeader(o, cpu, ours),
      pytorch: torch.info,
      memory: { afterWarmup, end },
      pairs,
      summary,
    });
  } finally {
    await ours.dispose();
    await torch.session?.close();
  }
};

interface RawOptions {
  mode: BenchMode;
  batch: number;
  steps: number;
  pairs: number;
  warmup: number;
  profile?: boolean;
  profileSteps: number;
  json?: string;
  reference?: string;
  python: string;
  threads: number;
  workers: number;
  tiny?: boolean;
  backend?: BackendPreference;
}

/** `equissl bench`: its options, and the pairs, ratio and record it prints. */
export const benchCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('bench')
    .description('the reference training step (shared/bench/torch_reference.py) built from equissl, timed in interleaved pairs with PyTorch when installed; prints each pair\'s ratio of views/s and their median')
    .addOption(new Option('--mode <mode>', 'train: the full training step; encode: the encoder\'s forward pass on the 2B images').choices(['train', 'encode']).default('train'))
    .option('--batch <n>', 'images per view (each step has 2B views)', integer, 64)
    .option('--steps <n>', 'timed steps per repeat', integer, 3)
    .option('--pairs <n>', 'interleaved pairs (an equissl repeat, then a PyTorch repeat); the median ratio is the headline', integer, 5)
    .option('--warmup <n>', 'untimed steps of each side, once at the start', integer, 1)
    .option('--profile', 'instead of the pairs: run equissl\'s steps under tf.profile (one worker, this thread) and print the time per kernel')
    .option('--profile-steps <n>', 'steps profiled with --profile', integer, 2)
    .option('--json <file>', 'write the whole record as JSON (atomically)')
    .option('--reference <file>', 'path of torch_reference.py (default: ../shared/bench beside the repository)')
    .option('--python <exe>', 'Python with torch', '/usr/bin/python3')
    .option('--threads <n>', 'PyTorch threads (as the reference script)', integer, 2)
    .option('--workers <n>', 'data-parallel replicas for equissl (default: one per core, at most 2 — the reference uses 2 threads)', integer, Math.min(2, availableParallelism()))
    .addOption(new Option('--tiny', 'a tiny model of the same structure (tests of this command; never a timing to quote)').hideHelp())
    .addOption(backendOption())
    .action(async (o: RawOptions) => {
      const out = (line: string) => {
        process.stdout.write(`${line}\n`);
      };
      await runTask(
        pipe(
          o.json === undefined ? TE.right(undefined) : ensureWritableDir(dirname(resolve(o.json))),
          TE.flatMap(() => backendThenRegistry(shared, o.backend)),
          TE.flatMap(
            (registry) => () =>
              runBench(registry, {
                mode: o.mode,
                batch: o.batch,
                steps: o.steps,
                pairs: o.pairs,
                warmup: o.warmup,
                profile: o.profile === true ? o.profileSteps : undefined,
                json: o.json,
                ...(o.reference === undefined ? {} : { reference: o.reference }),
                python: o.python,
                threads: o.threads,
                workers: o.workers,
                backend: (tf.getBackend() as BackendPreference) ?? 'wasm',
                tiny: o.tiny === true,
                out,
                log: logLine,
              }),
          ),
          TE.flatMap((record) =>
            o.json === undefined
              ? TE.right(record)
              : pipe(
                  writeFileAtomic(o.json, `${JSON.stringify(record, null, 2)}\n`),
                  TE.map(() => {
                    out(`wrote ${o.json}`);
                    return record;
                  }),
                ),
          ),
        ),
        () => undefined,
      );
    });
