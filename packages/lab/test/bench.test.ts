/**
 * `equissl bench`: the pure pieces (the interleaved order, the headline line,
 * the CPU and /proc/stat parsers, the record) against hand-computed values,
 * and the command itself on a tiny model (no timed assertions: speed belongs
 * in the benchmark, not in tests).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fiveNumberSummary } from '@equissl/core';
import { describe, expect, it } from 'vitest';
import { equissl, root } from './run-cli.js';
import {
  type BenchRecord,
  busyJiffies,
  describeCpu,
  foreignCores,
  formatPair,
  formatQuiet,
  formatRatio,
  pairRecord,
  pairSchedule,
  parseCpuInfo,
  summarizePairs,
  timing,
} from '../src/bench/stats.js';
import { named, torchMissing as missingTorch } from '../../../tools/test-data.js';
import { referenceCandidates } from '../src/bench/command.js';


// the PyTorch side needs torch and the reference script beside the repository (../shared/bench), found from the root as the command finds it
const torchMissing = missingTorch(referenceCandidates(root).find((c) => existsSync(c)) ?? referenceCandidates(root)[0]!);

describe('the interleaved schedule', () => {
  it('alternates equissl and pytorch, pair by pair', () => {
    expect(pairSchedule(3, true)).toEqual([
      { pair: 1, side: 'equissl' },
      { pair: 1, side: 'pytorch' },
      { pair: 2, side: 'equissl' },
      { pair: 2, side: 'pytorch' },
      { pair: 3, side: 'equissl' },
      { pair: 3, side: 'pytorch' },
    ]);
  });

  it('has equissl alone when PyTorch is not available', () => {
    expect(pairSchedule(2, false)).toEqual([
      { pair: 1, side: 'equissl' },
      { pair: 2, side: 'equissl' },
    ]);
  });
});

// the median, quartiles and extremes themselves are tested with @equissl/core's fiveNumberSummary (packages/core/test/stats.test.ts)
describe('statistics', () => {
  it('the headline line', () => {
    expect(formatRatio(fiveNumberSummary([0.3, 0.25, 0.28, 0.27, 0.29]))).toBe('ratio: 0.280 (median of 5 pairs; min–max 0.250–0.300, IQR 0.270–0.290 = 0.020)');
  });
});

describe('the machine', () => {
  const intel = [
    'processor\t: 0',
    'vendor_id\t: GenuineIntel',
    'model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz',
    'flags\t\t: fpu vme de pse avx avx2 avx512f avx512dq',
    '',
    'processor\t: 1',
    'vendor_id\t: GenuineIntel',
    'model name\t: Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz',
    'flags\t\t: fpu vme de pse avx avx2 avx512f avx512dq',
    '',
  ].join('\n');

  it('reads the model, the cores and avx2/avx512f from /proc/cpuinfo', () => {
    const cpu = parseCpuInfo(intel);
    expect(cpu).toEqual({ model: 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz', logicalCores: 2, avx2: true, avx512f: true });
    expect(describeCpu(cpu)).toBe('Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz (2 logical cores; avx2 yes, avx512f yes)');
  });

  it('a CPU without avx512f, and one without a model name (ARM)', () => {
    expect(parseCpuInfo('processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: sse sse2 avx avx2 fma\n')).toEqual({ model: 'AMD EPYC', logicalCores: 1, avx2: true, avx512f: false });
    // avx512 variants other than the foundation flag do not count as avx512f
    expect(parseCpuInfo('processor\t: 0\nflags\t\t: avx2 avx512_vnni\n').avx512f).toBe(false);
    const arm = parseCpuInfo('processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd\nCPU part\t: 0xd0c\n');
    expect(arm).toEqual({ model: undefined, logicalCores: 1, avx2: false, avx512f: false });
    expect(describeCpu(arm)).toBe('unknown model (1 logical core; avx2 no, avx512f no)');
  });

  it('busy jiffies from /proc/stat and the cores other processes used', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice: busy = 100+5+50+1+2+3 = 161
    expect(busyJiffies('cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 50 2 25 500 10 0 1 1 0 0\n')).toBe(161);
    expect(busyJiffies('garbage')).toBeNaN();
    // 200 busy jiffies = 2 s of CPU in a 1 s window, 1.5 s of it ours: 0.5 cores of others
    expect(foreignCores(200, 1.5, 1)).toBeCloseTo(0.5, 12);
    expect(foreignCores(100, 1.5, 1)).toBe(0);
    expect(foreignCores(Number.NaN, 1, 1)).toBeNaN();
  });
});

describe('the record', () => {
  it('pairs carry their ratio; the summary holds the ratio and both sides', () => {
    const pairs = [
      pairRecord(1, timing(4, 128, 0), timing(1, 128, 0.01)),
      pairRecord(2, timing(5, 128, 0), timing(1.25, 128, 0)),
      pairRecord(3, timing(4, 128, 0), timing(2, 128, 0)),
    ];
    expect(pairs.map((p) => p.ratio)).toEqual([0.25, 0.25, 0.5]);
    expect(pairs[0]!.equissl.viewsPerSecond).toBe(32);
    const s = summarizePairs(pairs);
    expect(s.ratio).toEqual({ n: 3, median: 0.25, min: 0.25, max: 0.5, q1: 0.25, q3: 0.375, iqr: 0.125 });
    expect(s.equisslViewsPerSecond.median).toBe(32);
    expect(s.pytorchViewsPerSecond!.median).toBeCloseTo(102.4, 12); // 128/1, 128/1.25, 128/2
    expect(formatPair(pairs[0]!)).toBe('pair 1: equissl 32.00 views/s (4000 ms/step) | pytorch 128.00 views/s (1000 ms/step) | ratio 0.250   other processes 0.00/0.01 cores');
    expect(s.quiet).toEqual({ threshold: 0.25, pairs: [1, 2, 3], ratio: s.ratio });
    expect(formatQuiet(s)).toBeUndefined(); // all quiet: nothing to add to the headline
  });

  it('pairs disturbed by other processes are marked, and the quiet ones summarised apart', () => {
    // the first full run's cores of other processes (equissl/pytorch) and ratios: another job ran during pairs 1–3
    const run: [number, number, number][] = [
      [1.16, 0.99, 1.487],
      [1.03, 1.02, 3.135],
      [0.39, 0.01, 0.262],
      [0.01, 0.01, 0.287],
      [0.01, 0.02, 0.317],
    ];
    const pairs = run.map(([a, b, ratio], i) => pairRecord(i + 1, timing(1 / ratio, 1, a), timing(1, 1, b)));
    expect(pairs.map((p) => p.ratio!)).toEqual(run.map(([, , r]) => expect.closeTo(r, 12)));
    const s = summarizePairs(pairs);
    expect(s.ratio!.median).toBeCloseTo(0.317, 12);
    expect(s.quiet!.pairs).toEqual([4, 5]);
    expect(s.quiet!.ratio!.median).toBeCloseTo(0.302, 12);
    expect(formatQuiet(s)).toBe('quiet pairs (other processes under 0.25 cores on both sides): 4, 5; their median ratio 0.302 (min–max 0.287–0.317)');
    expect(formatPair(pairs[2]!)).toMatch(/ratio 0\.262 {3}other processes 0\.39\/0\.01 cores \(disturbed\)$/);
    expect(formatPair(pairs[3]!)).toMatch(/cores$/);
    const none = summarizePairs(pairs.slice(0, 3));
    expect(none.quiet).toEqual({ threshold: 0.25, pairs: [] });
    expect(formatQuiet(none)).toBe('no quiet pair: other processes used 0.25 cores or more during every pair, so the ratio above is not to be trusted');
  });

  it('without PyTorch: no ratio, equissl alone', () => {
    const pairs = [pairRecord(1, timing(2, 8, Number.NaN), undefined)];
    expect(pairs[0]).toEqual({ pair: 1, equissl: { secondsPerStep: 2, viewsPerSecond: 4, foreignCores: Number.NaN } });
    expect(Object.keys(summarizePairs(pairs))).toEqual(['equisslViewsPerSecond', 'quiet']);
    expect(formatQuiet(summarizePairs(pairs))).toBeUndefined();
    expect(formatPair(pairs[0]!)).toBe('repeat 1: equissl 4.00 views/s (2000 ms/step)   other processes ? cores'); // unknown (no /proc/stat) is not marked
    expect(formatPair(pairRecord(2, timing(2, 8, 0.5), undefined))).toBe('repeat 2: equissl 4.00 views/s (2000 ms/step)   other processes 0.50 cores (disturbed)');
  });
});

describe('equissl bench (tiny model)', () => {
  it('without PyTorch: says so in one line, prints our repeats, memory and the JSON record', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'equissl-bench-')), 'sub', 'bench.json');
    // a reference that exists (this file stands in for it) and a Python that does not: the check reaches the interpreter
    const r = equissl('bench', '--tiny', '--batch', '4', '--steps', '1', '--pairs', '2', '--workers', '1', '--reference', fileURLToPath(import.meta.url), '--python', '/nonexistent/python3', '--json', json);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cpu: .+ \(\d+ logical cores?; avx2 (yes|no), avx512f (yes|no)\)$/m);
    expect(r.stdout.match(/^pytorch: not available .*$/gm)).toEqual([expect.stringContaining('/nonexistent/python3: cannot start')]);
    expect(r.stdout).toMatch(/^mode train: 2 repeats of 1 timed step \(8 views per step\), after 1 warm-up step at the start$/m);
    expect(r.stdout.match(/^repeat \d: equissl [\d.]+ views\/s \(\d+ ms\/step\) {3}other processes \S+ cores( \(disturbed\))?$/gm)).toHaveLength(2);
    expect(r.stdout).toMatch(/^memory after warm-up: \d+ tensors \(this thread\), rss \d+ MB$/m);
    expect(r.stdout).toMatch(/^memory at the end: \d+ tensors \(this thread\), rss \d+ MB$/m);
    expect(r.stdout).not.toMatch(/^ratio:/m);
    expect(r.stdout).toMatch(/^equissl: median [\d.]+ views\/s/m);
    const record = JSON.parse(readFileSync(json, 'utf8')) as BenchRecord;
    expect(Object.keys(record)).toEqual(['format', 'date', 'mode', 'settings', 'machine', 'equissl', 'pytorch', 'memory', 'pairs', 'summary']);
    expect(record.format).toBe('equissl-bench/1');
    expect(record.settings).toEqual({ batch: 4, viewsPerStep: 8, steps: 1, warmup: 1, pairs: 2, workers: 1, threads: 2, backend: expect.stringMatching(/^wasm( \+ openblas \(1 thread\))?$/), tiny: true });
    expect(record.pytorch.available).toBe(false);
    expect(record.pairs.map((p) => p.pair)).toEqual([1, 2]);
    expect(record.pairs[0]!.ratio).toBeUndefined();
    expect(record.summary!.equisslViewsPerSecond.n).toBe(2);
    expect(record.memory.afterWarmup.numTensors).toBeGreaterThan(0);
    expect(record.memory.end.numTensors).toBe(record.memory.afterWarmup.numTensors); // no tensor leaks across repeats
    expect(record.memory.end.rssBytes).toBeGreaterThan(0);
    expect(record.machine.cpu.logicalCores).toBeGreaterThan(0);
  });

  it.skipIf(torchMissing !== undefined)(named('with PyTorch, mode encode on 2 workers: pairs in order with their ratios, the BLAS line, the median ratio', torchMissing), () => {
    const json = join(mkdtempSync(join(tmpdir(), 'equissl-bench-')), 'bench.json');
    const r = equissl('bench', '--tiny', '--mode', 'encode', '--batch', '4', '--steps', '1', '--pairs', '2', '--workers', '2', '--threads', '1', '--json', json);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(json, 'utf8')) as BenchRecord;
    expect(record.mode).toBe('encode');
    if (!record.pytorch.available) {
      // a machine too busy for the reference's BLAS check (it refuses below 20 GFLOP/s) reports that, and still times ours
      expect(record.pytorch.reason).toMatch(/BLAS/);
      return;
    }
    expect(r.stdout).toMatch(/^pytorch: torch \S+, 1 thread, python \S+, [\d,]+ parameters; BLAS check: 512\^3 sgemm [\d.]+ GFLOP\/s$/m);
    expect(r.stdout).toMatch(/^equissl: .*encoder forward only on 2×4 images \(no tape\), 2 workers/m);
    expect(r.stdout.match(/^pair \d: .*$/gm)!.map((l) => l.slice(0, 6))).toEqual(['pair 1', 'pair 2']);
    expect(r.stdout).toMatch(/^memory after warm-up: \d+ tensors \(this thread\) \+ \d+ \(encoder workers\), rss /m);
    expect(r.stdout).toMatch(/^ratio: [\d.]+ \(median of 2 pairs; min–max [\d.]+–[\d.]+, IQR [\d.]+–[\d.]+ = [\d.]+\)$/m);
    // the headline comes before the absolute figures
    expect(r.stdout.indexOf('ratio:')).toBeLessThan(r.stdout.indexOf('equissl: median'));
    expect(record.pytorch.blasCheck).toMatch(/^BLAS check: /);
    expect(record.pairs.every((p) => p.ratio !== undefined && Math.abs(p.ratio - p.equissl.viewsPerSecond / p.pytorch!.viewsPerSecond) < 1e-12)).toBe(true);
    expect(record.summary!.ratio!.n).toBe(2);
    expect(record.memory.end.workerTensors).toBe(record.memory.afterWarmup.workerTensors);
  });

  it('--profile prints a table by kernel, the slowest first, and the time outside kernels', () => {
    const json = join(mkdtempSync(join(tmpdir(), 'equissl-bench-')), 'profile.json');
    const r = equissl('bench', '--tiny', '--profile', '--profile-steps', '1', '--batch', '4', '--json', json);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^profile: 1 step of mode train, \d+ ms\/step under tf\.profile, [\d.]+ % of it inside kernels$/m);
    expect(r.stdout).toMatch(/^ {2}kernel +calls +total ms +% of step$/m);
    expect(r.stdout).toMatch(/^ {2}\(outside kernels\) +[\d.]+ +[\d.]+$/m);
    const record = JSON.parse(readFileSync(json, 'utf8')) as BenchRecord;
    const rows = record.profile!.rows;
    expect(rows.length).toBeGreaterThan(5);
    // the decoders' convolutions: the addon's kernel where it is installed, the wasm backend's otherwise
    expect(rows.map((x) => x.kernel)).toContain(process.env['EQUISSL_OPENBLAS'] === '0' || rows.every((x) => !x.kernel.startsWith('Equissl')) ? 'Conv2D' : 'EquisslConv3x3');
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.totalMs).toBeLessThanOrEqual(rows[i - 1]!.totalMs);
    expect(record.profile!.kernelMs).toBeCloseTo(rows.reduce((n, x) => n + x.totalMs, 0), 6);
    expect(record.profile!.kernelMs).toBeLessThanOrEqual(record.profile!.wallMs);
    expect(record.pairs).toEqual([]);
    expect(record.pytorch).toEqual({ available: false, reason: 'not run with --profile' });
  });

  it('a bad count exits 2 naming the option', () => {
    const r = equissl('bench', '--pairs', '0', '--python', '/nonexistent/python3');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('equissl: [ConfigError] pairs: --pairs must be an integer of at least 1, got 0');
  });
});
