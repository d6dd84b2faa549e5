/**
 * The probes over training: linear probe and k-NN top-1 of every intermediate
 * checkpoint (steps 125, 250, 375 and the final 500) of a reproduce folder's
 * baseline and method runs, with the settings reproduce scores its final
 * checkpoints with (2,048 / 1,024 images of the headline readout). Writes
 * `curve.json` (per run), `curve.md` (mean ± std over seeds per step, and
 * method − baseline) and `accuracy-curve.png` into OUT.
 *   node --conditions=@equissl/source --import tsx tools/experiments/accuracy-curve.ts out/reproduce-photos out/accuracy-curve-photos
 */
import { selectBackend } from '@equissl/core';
import { evaluateCheckpoint, summarise } from '@equissl/eval';
import { writeChart } from '@equissl/report';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';

const from = process.argv[2] ?? 'out/reproduce-photos';
const out = process.argv[3] ?? 'out/accuracy-curve-photos';
const rows = ['baseline', 'method'] as const;
const stepOf = (file: string) => (file === 'checkpoint.safetensors' ? 500 : Number(/step(\d+)/.exec(file)![1]));

await selectBackend()();
const registry = standardRegistry();
if (E.isLeft(registry)) throw new Error(registry.left.message);
mkdirSync(out, { recursive: true });
const file = join(out, 'curve.json');
const points: { row: string; seed: number; step: number; linear: number; knn: number }[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
for (const row of rows) {
  for (const seedDir of readdirSync(join(from, row)).filter((d) => /^seed\d+$/.test(d)).sort()) {
    const seed = Number(seedDir.slice(4));
    for (const ckpt of readdirSync(join(from, row, seedDir)).filter((f) => /^checkpoint(-step\d+)?\.safetensors$/.test(f))) {
      const step = stepOf(ckpt);
      if (points.some((p) => p.row === row && p.seed === seed && p.step === step)) continue;
      const r = await evaluateCheckpoint(join(from, row, seedDir, ckpt), registry.right, { suites: ['linear', 'knn'], part: 'clsmean-full', seed, probeTrainImages: 2048, probeTestImages: 1024 });
      if (E.isLeft(r)) throw new Error(r.left.message);
      points.push({ row, seed, step, linear: 100 * r.right.linearAccuracy!, knn: 100 * r.right.knnAccuracy! });
      writeFileSync(file, `${JSON.stringify(points, null, 1)}\n`);
      console.log(`${row} seed ${seed} step ${step}: linear ${points.at(-1)!.linear.toFixed(1)} %, k-NN ${points.at(-1)!.knn.toFixed(1)} %`);
    }
  }
}

const steps = [...new Set(points.map((p) => p.step))].sort((a, b) => a - b);
const at = (row: string, step: number, probe: 'linear' | 'knn') => summarise(points.filter((p) => p.row === row && p.step === step).map((p) => p[probe]));
const fmt = (s: { mean: number; std: number; n: number }) => `${s.mean.toFixed(1)} ± ${s.std.toFixed(1)} (${s.n})`;
const lines = [
  `# Linear probe and k-NN over training (${from})`,
  '',
  'Top-1 %, mean ± sample std over seeds (seeds in brackets); method − baseline per step.',
  '',
  '| step | baseline linear | method linear | Δ linear | baseline k-NN | method k-NN | Δ k-NN |',
  '|---|---|---|---|---|---|---|',
  ...steps.map((s) => {
    const [bl, ml, bk, mk] = [at('baseline', s, 'linear'), at('method', s, 'linear'), at('baseline', s, 'knn'), at('method', s, 'knn')];
    return `| ${s} | ${fmt(bl)} | ${fmt(ml)} | ${(ml.mean - bl.mean).toFixed(1)} | ${fmt(bk)} | ${fmt(mk)} | ${(mk.mean - bk.mean).toFixed(1)} |`;
  }),
  '',
];
writeFileSync(join(out, 'curve.md'), lines.join('\n'));
const values = steps.flatMap((s) => rows.flatMap((row) => (['linear', 'knn'] as const).map((probe) => ({ step: s, row, probe: probe === 'knn' ? 'k-NN' : 'linear probe', ...at(row, s, probe) })))).map((v) => ({ ...v, low: v.mean - v.std, high: v.mean + v.std }));
const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: `top-1 accuracy over training (mean ± std over seeds)`,
  data: { values },
  facet: { column: { field: 'probe', type: 'nominal', title: null } },
  spec: {
    width: 260,
    height: 220,
    layer: [
      { mark: { type: 'area', opacity: 0.2 }, encoding: { x: { field: 'step', type: 'quantitative', title: 'training step' }, y: { field: 'low', type: 'quantitative', title: 'top-1 (%)', scale: { zero: false } }, y2: { field: 'high' }, color: { field: 'row', type: 'nominal', title: null } } },
      { mark: { type: 'line', point: true }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'mean', type: 'quantitative' }, color: { field: 'row', type: 'nominal', title: null } } },
    ],
  },
} as TopLevelSpec;
const chart = await writeChart(join(out, 'accuracy-curve.png'), spec)();
if (E.isLeft(chart)) throw new Error(chart.left.message);
console.log(lines.join('\n'));
