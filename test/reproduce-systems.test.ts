/**
 * `equissl reproduce` with every system, its Ours(X) row and the ablations, as
 * a user runs it: a tiny run (2 steps, one seed, procedural images so that it
 * needs no optional data) that writes every section of the systems report,
 * and a rerun that trains nothing because every run is in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'packages', 'cli', 'src', 'main.ts');
const tsx = import.meta.resolve('tsx');
const equissl = (...args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', tsx, main, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, EQUISSL_BACKEND: 'wasm' } });

const rows = ['untrained', 'baseline', 'method', 'method-k1', 'method-k3', 'sie-all', 'ours-sie-all-rot', 'sie', 'ours-sie', 'ibot', 'ours-ibot', 'dinov2', 'ours-dinov2', 'stl', 'ours-stl'];

describe('reproduce --systems sie,ibot,dinov2,stl --with-method --ablation k1 k3 sie-all-rot', () => {
  it('trains and scores every row, reports each pair, the K ablation, the teachers and the paper; a rerun reuses every run', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'equissl-systems-')), 'out');
    const args = ['reproduce', '--steps', '2', '--seeds', '1', '--workers', '1', '--eval-scale', '0.02', '--systems', 'sie,ibot,dinov2,stl', '--with-method', '--ablation', 'k1', 'k3', 'sie-all-rot', '--data', '{name: procedural, count: 256, size: 16}', '--out', out];
    const r = equissl(...args);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toContain(`reproduce: run ${rows.length} of ${rows.length}: ours-stl, seed 0, 2 steps`);
    // each teacher run says, as it finishes training, whether its teacher trains
    for (const row of ['ibot', 'ours-ibot', 'dinov2', 'ours-dinov2']) expect(r.stderr).toMatch(new RegExp(`reproduce: ${row} seed 0: teacher: (trains|uniform teacher|one prototype|one-hot teacher|student not learning) \\(entropy `));
    expect(r.stderr).not.toMatch(/reproduce: (sie|stl|baseline|method) seed 0: teacher:/);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as {
      rows: { name: string; r2: Record<string, { n: number }> }[];
      systemsChecks: { requirement: string }[];
      kAblation: { k: number }[];
      teacher: { row: string; logK: number }[];
    };
    expect(json.rows.map((x) => x.name)).toEqual(rows);
    expect(json.rows.every((x) => ['rotation', 'colour', 'blur', 'translation', 'mean'].every((f) => x.r2[f]!.n === 1))).toBe(true);
    // six pairs (VICReg, SIE, SIE (all), iBOT, DINOv2, STL), four requirements each (the R² gap, h, linear, k-NN)
    expect(json.systemsChecks).toHaveLength(24);
    expect(json.kAblation.map((l) => l.k)).toEqual([1, 2, 3]);
    expect(json.teacher.map((t) => t.row)).toEqual(['ibot', 'ours-ibot', 'dinov2', 'ours-dinov2']);
    expect(json.teacher.every((t) => Math.abs(t.logK - Math.log(256)) < 1e-12)).toBe(true);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    for (const section of ['## Each system X against Ours(X)', '## The K ablation', '## Teacher health (iBOT, DINOv2)', '## The paper beside this run']) expect(report).toContain(section);
    const again = equissl(...args);
    expect(again.status, again.stderr.slice(-2000)).toBe(0);
    expect(again.stderr).not.toContain('pretrain ');
    expect(again.stderr).toContain(`reproduce: run ${rows.length} of ${rows.length}: ours-stl, seed 0 — already done`);
  }, 900_000);
});
