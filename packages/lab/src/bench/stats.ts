/**
 * The pure pieces of `equissl bench`: the order of the interleaved repeats,
 * the summaries of a run's pairs (median, min–max, quartiles, by
 * `@equissl/core`'s {@link fiveNumberSummary}), the CPU description from
 * `/proc/cpuinfo`, the CPU other processes used during a timed window (from
 * `/proc/stat`), and the JSON record the command writes.
 *
 * @since 0.1.0
 */
import { type FiveNumberSummary, fiveNumberSummary } from '@equissl/core';
import type { BenchMode, KernelProfile, MemorySnapshot } from './session.js';

/** Who runs a repeat. */
export type Side = 'equissl' | 'pytorch';

/** One slot of the interleaved schedule (pairs count from 1). */
export interface Slot {
  readonly pair: number;
  readonly side: Side;
}

/** The interleaved order: equissl, pytorch, equissl, pytorch, … — `pairs` pairs (equissl alone when PyTorch is not available). */
export const pairSchedule = (pairs: number, withPytorch: boolean): Slot[] =>
  Array.from({ length: pairs }, (_, i) => (withPytorch ? [{ pair: i + 1, side: 'equissl' as const }, { pair: i + 1, side: 'pytorch' as const }] : [{ pair: i + 1, side: 'equissl' as const }])).flat();

/** The CPU, as `/proc/cpuinfo` describes it. */
export interface CpuInfo {
  /** The first `model name` (undefined where the file has none, e.g. on ARM). */
  readonly model: string | undefined;
  /** `processor` entries. */
  readonly logicalCores: number;
  readonly avx2: boolean;
  readonly avx512f: boolean;
}

/** Reads the model name, the number of logical cores and the avx2/avx512f flags from the text of `/proc/cpuinfo`. */
export const parseCpuInfo = (text: string): CpuInfo => {
  let model: string | undefined;
  let cores = 0;
  let flags: string[] | undefined;
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at < 0) continue;
    const key = line.slice(0, at).trim();
    const value = line.slice(at + 1).trim();
    if (key === 'processor') cores += 1;
    else if (key === 'model name' && model === undefined) model = value;
    else if (key === 'flags' && flags === undefined) flags = value.split(/\s+/);
  }
  return { model, logicalCores: cores, avx2: flags?.includes('avx2') ?? false, avx512f: flags?.includes('avx512f') ?? false };
};

/** One line: `AMD EPYC (2 logical cores; avx2 yes, avx512f no)`. */
export const describeCpu = (cpu: CpuInfo): string =>
  `${cpu.model ?? 'unknown model'} (${cpu.logicalCores} logical core${cpu.logicalCores === 1 ? '' : 's'}; avx2 ${cpu.avx2 ? 'yes' : 'no'}, avx512f ${cpu.avx512f ? 'yes' : 'no'})`;

/** Busy jiffies of the whole machine from the first line of `/proc/stat` (user … steal, less idle and iowait), as torch_reference.py counts them. */
export const busyJiffies = (procStat: string): number => {
  const v = (procStat.split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  if (v.length < 5 || v.some((x) => !Number.isFinite(x))) return Number.NaN;
  return v.reduce((a, b) => a + b, 0) - v[3]! - v[4]!;
};

/**
 * Cores other processes kept busy during a window: (machine busy seconds −
 * this process's CPU seconds) / wall seconds, at least 0. Jiffies are
 * USER_HZ = 100 per second (Linux's fixed user-visible tick).
 */
export const foreignCores = (busyJiffiesDelta: number, ownCpuSeconds: number, wallSeconds: number, hz = 100): number =>
  Number.isFinite(busyJiffiesDelta) && wallSeconds > 0 ? Math.max(0, (busyJiffiesDelta / hz - ownCpuSeconds) / wallSeconds) : Number.NaN;

/** One timed repeat of one side. */
export interface Timing {
  readonly secondsPerStep: number;
  readonly viewsPerSecond: number;
  /** Cores other processes used during the repeat (0 on a quiet machine). */
  readonly foreignCores: number;
}

/** One pair: equissl's repeat, then PyTorch's, and the ratio of their views/s. */
export interface PairRecord {
  readonly pair: number;
  readonly equissl: Timing;
  readonly pytorch?: Timing;
  /** equissl views/s ÷ PyTorch views/s. */
  readonly ratio?: number;
}

/** The PyTorch side: what ran, or why it did not. */
export type PytorchInfo =
  | {
      readonly available: true;
      readonly torch: string;
      readonly threads: number;
      readonly python: string;
      readonly parameters: number;
      /** The reference's BLAS check line, as it printed it. */
      readonly blasCheck: string;
      readonly blasGflops: number;
    }
  | { readonly available: false; readonly reason: string };

/** The whole record of a run, as `--json` writes it. */
export interface BenchRecord {
  readonly format: 'equissl-bench/1';
  /** ISO time the run ended. */
  readonly date: string;
  readonly mode: BenchMode;
  readonly settings: {
    readonly batch: number;
    readonly viewsPerStep: number;
    readonly steps: number;
    readonly warmup: number;
    readonly pairs: number;
    readonly workers: number;
    /** PyTorch's threads. */
    readonly threads: number;
    readonly backend: string;
    /** True for the tiny test model (never a timing to quote). */
    readonly tiny: boolean;
  };
  readonly machine: { readonly cpu: CpuInfo; readonly node: string; readonly platform: string; readonly tfjs: string };
  readonly equissl: { readonly description: string; readonly parameters: number };
  readonly pytorch: PytorchInfo;
  readonly memory: { readonly afterWarmup: MemorySnapshot; readonly end: MemorySnapshot };
  readonly pairs: ReadonlyArray<PairRecord>;
  /** Absent for a `--profile` run, which times no pairs. */
  readonly summary?: {
    readonly equisslViewsPerSecond: FiveNumberSummary;
    readonly pytorchViewsPerSecond?: FiveNumberSummary;
    readonly ratio?: FiveNumberSummary;
    /** The pairs during which other processes used less than {@link quietCores} on both sides, and their ratios' summary. */
    readonly quiet?: { readonly threshold: number; readonly pairs: ReadonlyArray<number>; readonly ratio?: FiveNumberSummary };
  };
  readonly profile?: KernelProfile;
}

/** Other processes' cores below which a repeat counts as quiet. */
export const quietCores = 0.25;

/** Whether other processes used less than {@link quietCores} during both repeats of a pair (an unknown figure, without /proc/stat, disturbs nothing). */
export const isQuiet = (p: PairRecord): boolean => [p.equissl, ...(p.pytorch === undefined ? [] : [p.pytorch])].every((t) => !(t.foreignCores >= quietCores));

/** The summary of a run's pairs (the ratio and PyTorch's only where PyTorch ran). */
export const summarizePairs = (pairs: ReadonlyArray<PairRecord>): NonNullable<BenchRecord['summary']> => {
  const theirs = pairs.flatMap((p) => (p.pytorch === undefined ? [] : [p.pytorch.viewsPerSecond]));
  const ratios = pairs.flatMap((p) => (p.ratio === undefined ? [] : [p.ratio]));
  const quiet = pairs.filter(isQuiet);
  const quietRatios = quiet.flatMap((p) => (p.ratio === undefined ? [] : [p.ratio]));
  return {
    equisslViewsPerSecond: fiveNumberSummary(pairs.map((p) => p.equissl.viewsPerSecond)),
    ...(theirs.length > 0 ? { pytorchViewsPerSecond: fiveNumberSummary(theirs) } : {}),
    ...(ratios.length > 0 ? { ratio: fiveNumberSummary(ratios) } : {}),
    quiet: { threshold: quietCores, pairs: quiet.map((p) => p.pair), ...(quietRatios.length > 0 ? { ratio: fiveNumberSummary(quietRatios) } : {}) },
  };
};

/**
 * The line after the headline when some pairs were disturbed (undefined when
 * all were quiet, or without PyTorch): which pairs were quiet and their
 * median ratio, or that none was.
 */
export const formatQuiet = (s: NonNullable<BenchRecord['summary']>): string | undefined => {
  if (s.ratio === undefined || s.quiet === undefined || s.quiet.pairs.length === s.ratio.n) return undefined;
  const q = s.quiet;
  if (q.ratio === undefined) return `no quiet pair: other processes used ${q.threshold} cores or more during every pair, so the ratio above is not to be trusted`;
  return `quiet pairs (other processes under ${q.threshold} cores on both sides): ${q.pairs.join(', ')}; their median ratio ${q.ratio.median.toFixed(3)} (min–max ${q.ratio.min.toFixed(3)}–${q.ratio.max.toFixed(3)})`;
};

/** A timing from seconds per step. */
export const timing = (secondsPerStep: number, viewsPerStep: number, foreign: number): Timing => ({ secondsPerStep, viewsPerSecond: viewsPerStep / secondsPerStep, foreignCores: foreign });

/** A pair record, with its ratio when PyTorch ran. */
export const pairRecord = (pair: number, equissl: Timing, pytorch: Timing | undefined): PairRecord =>
  pytorch === undefined ? { pair, equissl } : { pair, equissl, pytorch, ratio: equissl.viewsPerSecond / pytorch.viewsPerSecond };

/** `1.23 GB` */
export const formatBytes = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : `${(n / 1e6).toFixed(0)} MB`);

/** `123 tensors (this thread) + 45 (encoder workers), rss 1.23 GB` */
export const formatMemory = (m: MemorySnapshot): string =>
  `${m.numTensors} tensors (this thread)${m.workerTensors === undefined ? '' : ` + ${m.workerTensors} (encoder workers)`}, rss ${formatBytes(m.rssBytes)}`;

/** The headline: `ratio: 0.279 (median of 5 pairs; min–max 0.270–0.285, IQR 0.275–0.281 = 0.006)`. */
export const formatRatio = (s: FiveNumberSummary): string =>
  `ratio: ${s.median.toFixed(3)} (median of ${s.n} pair${s.n === 1 ? '' : 's'}; min–max ${s.min.toFixed(3)}–${s.max.toFixed(3)}, IQR ${s.q1.toFixed(3)}–${s.q3.toFixed(3)} = ${s.iqr.toFixed(3)})`;

/** `median 23.67 views/s (min–max 23.10–24.02, IQR 23.40–23.80)` */
export const formatViews = (s: FiveNumberSummary): string =>
  `median ${s.median.toFixed(2)} views/s (min–max ${s.min.toFixed(2)}–${s.max.toFixed(2)}, IQR ${s.q1.toFixed(2)}–${s.q3.toFixed(2)})`;

/** One pair's line: `pair 1: equissl 23.5 views/s (5450 ms/step) | pytorch 84.1 views/s (1522 ms/step) | ratio 0.279   other processes 0.01/0.00 cores`. */
export const formatPair = (p: PairRecord): string => {
  const side = (t: Timing) => `${t.viewsPerSecond.toFixed(2)} views/s (${(t.secondsPerStep * 1000).toFixed(0)} ms/step)`;
  const other = (t: Timing) => (Number.isFinite(t.foreignCores) ? t.foreignCores.toFixed(2) : '?');
  return p.pytorch === undefined
    ? `repeat ${p.pair}: equissl ${side(p.equissl)}   other processes ${other(p.equissl)} cores${isQuiet(p) ? '' : ' (disturbed)'}`
    : `pair ${p.pair}: equissl ${side(p.equissl)} | pytorch ${side(p.pytorch)} | ratio ${p.ratio!.toFixed(3)}   other processes ${other(p.equissl)}/${other(p.pytorch)} cores${isQuiet(p) ? '' : ' (disturbed)'}`;
};

/** The kernel table of a profile: the `top` slowest kernels, then the time outside kernels. */
export const formatProfile = (p: KernelProfile, top = 20): string[] => {
  const name = Math.max(24, ...p.rows.slice(0, top).map((r) => r.kernel.length));
  const line = (k: string, calls: string, ms: string, pct: string) => `  ${k.padEnd(name)} ${calls.padStart(7)} ${ms.padStart(11)} ${pct.padStart(9)}`;
  const out = [line('kernel', 'calls', 'total ms', '% of step')];
  for (const r of p.rows.slice(0, top)) out.push(line(r.kernel, String(r.calls), r.totalMs.toFixed(1), r.percent.toFixed(1)));
  const rest = p.rows.slice(top);
  if (rest.length > 0) {
    const ms = rest.reduce((n, r) => n + r.totalMs, 0);
    out.push(line(`(${rest.length} other kernels)`, String(rest.reduce((n, r) => n + r.calls, 0)), ms.toFixed(1), ((100 * ms) / p.wallMs).toFixed(1)));
  }
  const outside = p.wallMs - p.kernelMs;
  out.push(line('(outside kernels)', '', outside.toFixed(1), ((100 * outside) / p.wallMs).toFixed(1)));
  return out;
};
