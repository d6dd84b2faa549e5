/** The homography suite in reproduce's report: its MCE column and references, against hand-computed values. */
import { describe, expect, it } from 'vitest';
import { homography, results } from '../../../tools/homography-fixtures.js';
import { reproduceMarkdown, resultsJson } from '../src/reproduce/report.js';
import { type ReproduceRun, summariseRow } from '../src/reproduce/summary.js';

describe('reproduce report', () => {
  const run = (row: string, seed: number, mce: number): ReproduceRun => ({ row, seed, steps: 10, curve: [], results: results(homography(mce, { mceZero: 6 + seed, mceScratch: 5 })) });
  const runs = [run('method', 0, 4), run('method', 1, 5)];
  const context = { rows: ['method'], seeds: [0, 1], steps: 10, data: 'd', labels: {}, workers: 1 };

  it('adds an MCE column: mean ± sample std over seeds (4 and 5 px: 4.50 ± 0.71)', () => {
    const summary = summariseRow('method', runs);
    expect(summary.mce!.mean).toBe(4.5);
    expect(summary.mce!.std).toBeCloseTo(Math.SQRT1_2, 12);
    const scored = runs.map((r, i): ReproduceRun => ({ ...r, results: { ...r.results, equivariance: [{ task: 'rotation', paramNames: ['angle'], r2: 0.5 + i / 10, r2PerDimension: [0.5 + i / 10] }] } }));
    const md = reproduceMarkdown([summariseRow('method', scored)], scored, context);
    expect(md).toContain('| row | rot | colour | blur | trans | mean | MCE (px) |');
    expect(md).toMatch(/\| method \| 0\.550 ± 0\.071 \(0\.500, 0\.600\) \| .* \| 4\.50 ± 0\.71 \|/);
    // references over the runs: zero offsets 6 and 7 px → 6.50 ± 0.71
    expect(md).toContain('References: zero offsets 6.50 ± 0.71, CNN from scratch on pixels 5.00 ± 0.00.');
    expect(md).toContain('| method | 1 | 0.600 | – | 5.00 |');
    const json = resultsJson([summary], runs, context);
    expect(json.runs[0]).toMatchObject({ homography: { mce: 4, mceZero: 6 } });
    expect(JSON.stringify(json)).not.toContain('examples');
  });

  it('names each row\'s seeds when a run is missing (a report written mid-run)', () => {
    const both = reproduceMarkdown([summariseRow('method', runs)], runs, context);
    expect(both).toContain('Seeds 0, 1 for every row (mean ± sample std over seeds, the per-seed values in parentheses)');
    const partial = [summariseRow('baseline', [{ ...runs[0]!, row: 'baseline' }, { ...runs[1]!, row: 'baseline' }]), summariseRow('method', [runs[0]!])];
    const md = reproduceMarkdown(partial, runs, { ...context, rows: ['baseline', 'method'] });
    expect(md).toContain('Not every run is in: seeds 0, 1 (baseline); 0 (method) (mean ± sample std over seeds, the per-seed values in parentheses)');
    expect(md).not.toContain('for every row');
  });

  it('homography alone: an MCE table, method against baseline, and no empty R² or comparison tables', () => {
    // baseline 4 and 6 px (5.00 ± 1.41), method 4 and 5 px (4.50 ± 0.71): −0.50 px, pooled std √((2 + 0.5) / 2) = 1.118
    const both = [run('baseline', 0, 4), run('baseline', 1, 6), ...runs];
    const md = reproduceMarkdown([summariseRow('baseline', both.slice(0, 2)), summariseRow('method', runs)], both, { ...context, rows: ['baseline', 'method'] });
    expect(md).toContain('## Homography estimation (Mean Corner Error)\n\n| row | MCE (px) |\n|---|---|\n| baseline | 5.00 ± 1.41 |\n| method | 4.50 ± 0.71 |');
    expect(md).toContain('Method − baseline: -0.50 px (2 × pooled std 2.24: not called).');
    expect(md).toContain('(encoder frozen, 3 steps; 4-px grey crops, ρ = 1 px, 16 training / 8 test pairs)');
    for (const absent of ['R² of θ', 'R² per readout', '## The comparison', '| rot |']) expect(md).not.toContain(absent);
    expect(md).toContain('| row | seed | MCE | checkpoint |');
    expect(md).toContain('| method | 1 | 5.00 | `c.safetensors` (step 10) |');
  });

  it('has no MCE column when no run was scored on homography', () => {
    const plain: ReproduceRun = { ...runs[0]!, results: { checkpoint: 'c', step: 10, features: 'clsmean-full', data: 'd' } };
    expect(reproduceMarkdown([summariseRow('method', [plain])], [plain], context)).not.toContain('MCE');
  });
});
