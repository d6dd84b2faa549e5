/**
 * The preset's selection rule (docs/protocol.md, "Choosing the preset") as
 * `tools/experiments/preset-choice.py` applies it, on screens written here
 * with hand-picked numbers: a variant replaces the preset's setting only when
 * it is admissible (neither probe more than 2 points below its baseline) and
 * its gap beats the preset's by more than 0.02; a setting needs 3 seeds paired
 * with its baseline; ±60° is measured against its own baseline.
 *
 * The script needs only Python's standard library (/usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(root, 'tools', 'experiments', 'preset-choice.py');
const python = '/usr/bin/python3';

/** One run: its R²(rotation) on clsmean-full and its probe accuracies (fractions). */
interface Run {
  r2: number;
  linear: number;
  knn: number;
}

/** A screen folder: tag → the runs of seeds 0, 1, … (one JSON-lines file each, an earlier step before the last). */
const screen = (runs: Record<string, Run[]>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'equissl-preset-choice-'));
  for (const [tag, seeds] of Object.entries(runs))
    seeds.forEach((r, seed) => {
      const row = (step: number, x: Run) => JSON.stringify({ tag, seed, step, r2: { 'clsmean-full': x.r2 }, linear: x.linear, knn: x.knn });
      writeFileSync(join(dir, `${tag}-s${seed}.jsonl`), `${row(250, { r2: 0, linear: 0, knn: 0 })}\n${row(500, r)}\n`);
    });
  return dir;
};

const choose = (dir: string): string => {
  const r = spawnSync(python, [script, dir], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};

const same = (r2: number, linear = 0.8, knn = 0.8): Run[] => [0, 1, 2].map(() => ({ r2, linear, knn }));
const base = same(0.8);

describe.skipIf(!existsSync(python))('preset-choice.py applies the declared rule', () => {
  it('keeps the preset when the best variant is within 0.02 of it', () => {
    // preset gap 0.9 − 0.8 = 0.10; no neck 0.915 − 0.8 = 0.115
    const out = choose(screen({ 'V-base-rot90': base, 'V-meth': same(0.9), 'V-meth-noneck': same(0.915) }));
    expect(out).toContain('The preset stays: the best admissible variant, V-meth-noneck, has gap +0.115 against the preset\'s +0.100');
  });

  it('chooses a variant more than 0.02 above the preset', () => {
    const out = choose(screen({ 'V-base-rot90': base, 'V-meth': same(0.9), 'V-meth-l1': same(0.95) }));
    expect(out).toContain('Choice: V-meth-l1 (gap +0.150 against the preset\'s +0.100');
  });

  it('passes over a variant whose linear probe falls more than 2 points below its baseline', () => {
    // l1: linear 0.77 against 0.80 (−3 points) → not admissible; pixels: +0.03 above the preset, admissible
    const out = choose(
      screen({ 'V-base-rot90': base, 'V-meth': same(0.9), 'V-meth-l1': same(0.99, 0.77), 'V-meth-pixels': same(0.93, 0.79, 0.79) }),
    );
    expect(out).toMatch(/\| V-meth-l1 \(0, 1, 2\) \| V-base-rot90 \|.*\| \+0\.190 \| -3\.0 \| \+0\.0 \| no \|/);
    expect(out).toContain('Choice: V-meth-pixels (gap +0.130');
  });

  it('leaves out a setting with fewer than 3 seeds paired with its baseline', () => {
    const out = choose(screen({ 'V-base-rot90': base, 'V-meth': same(0.9), 'V-meth-tokens': same(0.99).slice(0, 2) }));
    expect(out).toContain('only 2 seeds: left out');
    expect(out).toContain('No admissible variant: the preset stays.');
  });

  it('measures ±60° against its own baseline', () => {
    // rot60's gap is 0.95 − 0.9 = 0.05 (not 0.95 − 0.8 = 0.15), below the preset's 0.10: the preset stays
    const out = choose(screen({ 'V-base-rot90': base, 'V-base-rot60': same(0.9), 'V-meth': same(0.9), 'V-meth-rot60': same(0.95) }));
    expect(out).toMatch(/\| V-meth-rot60 \(0, 1, 2\) \| V-base-rot60 \|.*\| \+0\.050 \|/);
    expect(out).toContain('The preset stays');
  });

  it('prints the untrained control beside the rule, in percent for the probes', () => {
    const untrained: Run[] = [0.95, 0.97, 0.99].map((r2) => ({ r2, linear: 0.7, knn: 0.5 + r2 / 10 }));
    const out = choose(screen({ 'V-untrained': untrained, 'V-base-rot90': base, 'V-meth': same(0.9) }));
    expect(out).toContain('Untrained control (V-untrained, seeds 0, 1, 2): R²(rot) 0.970 ± 0.020 (0.950, 0.970, 0.990), linear 70.0 ± 0.0 (70.0, 70.0, 70.0) %, k-NN 59.7 ± 0.2 (59.5, 59.7, 59.9) %.');
  });

  it('makes no choice before the preset has 3 seeds', () => {
    const out = choose(screen({ 'V-base-rot90': base, 'V-meth': same(0.9).slice(0, 2), 'V-meth-l1': same(0.99) }));
    expect(out).toContain('The preset (V-meth) has fewer than 3 finished seeds: no choice.');
  });
});
