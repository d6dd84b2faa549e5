/**
 * How many images the equivariance suite needs, chosen on a validation cut:
 * R²(rotation) of a reproduce folder's final checkpoints (every row, seed 0)
 * scored on the validation split with n = 1,024 … 8,192 images (80 % fit
 * the regressor, 20 % are held out) at three evaluation seeds (θ draws and
 * the regressor's initialisation), by SIE's MLP and by ridge, for the full,
 * invariant and equivariant channels of the headline readout.
 *
 * The rule, declared before the numbers: the protocol's n is the smallest n
 * at which, for every checkpoint and both regressors on the full channels,
 * R² moves by at most 0.02 across the evaluation seeds (max − min) and its
 * mean over the seeds moves by at most 0.02 from n to 2n. Writes
 * `images.json` (every score) and `images.md` into OUT; a rerun reuses the
 * scores already in images.json.
 *
 * With SCORED=m, the regressors are fitted on n images of the training split
 * (the suite's `fitImages`) and every one of m validation images is scored;
 * the files are then `images-fit-m.json` and `images-fit-m.md`. HALVES=0
 * scores the full channels only (the rule reads nothing else). REGRESSOR
 * (YAML, e.g. '{name: mlp, epochs: 120}') replaces SIE's MLP and ROWS keeps
 * some rows; their scores go to files tagged with TAG.
 *
 *   npm run equissl -- reproduce --split validation --seeds 1 --out out/protocol/fashion-mnist-val
 *   node --conditions=@equissl/source --import tsx tools/experiments/protocol-images.ts out/protocol/fashion-mnist-val docs/results/protocol/fashion-mnist
 */
import { selectBackend } from '@equissl/core';
import { evaluateCheckpoint } from '@equissl/eval';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const from = process.argv[2] ?? 'out/protocol/fashion-mnist-val';
const out = process.argv[3] ?? 'docs/results/protocol/fashion-mnist';
const sizes = (process.env['SIZES'] ?? '1024 2048 4096 8192').split(' ').map(Number);
const scored = process.env['SCORED'] === undefined ? undefined : Number(process.env['SCORED']);
const halves = process.env['HALVES'] !== '0';
const regressor = process.env['REGRESSOR'] === undefined ? undefined : (parse(process.env['REGRESSOR']) as unknown);
const tag = process.env['TAG'] === undefined ? '' : `-${process.env['TAG']}`;
const stem = `${scored === undefined ? 'images' : `images-fit-${scored}`}${tag}`;
const evalSeeds = [0, 1, 2];
const tolerance = 0.02;
const parts = ['full', 'inv', 'equi'] as const;
type Score = { row: string; n: number; seed: number; mlp: Partial<Record<string, number>>; ridge: Partial<Record<string, number>> };

await selectBackend()();
const registry = standardRegistry();
if (E.isLeft(registry)) throw new Error(registry.left.message);
mkdirSync(out, { recursive: true });
const file = join(out, `${stem}.json`);
const scores: Score[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
const rows = readdirSync(from).filter((r) => existsSync(join(from, r, 'seed0', 'checkpoint.safetensors')) && (process.env['ROWS'] === undefined || process.env['ROWS'].split(' ').includes(r)));
const config = JSON.parse(readFileSync(join(from, rows.find((r) => r !== 'untrained')!, 'seed0', 'config.json'), 'utf8')) as { data: Record<string, unknown> };
for (const n of sizes) {
  for (const row of rows) {
    for (const seed of evalSeeds) {
      if (scores.some((s) => s.row === row && s.n === n && s.seed === seed)) continue;
      const t0 = Date.now();
      const r = await evaluateCheckpoint(join(from, row, 'seed0', 'checkpoint.safetensors'), registry.right, {
        suites: [{ name: 'equivariance', ...(scored === undefined ? { images: n } : { images: scored, fitImages: n }), families: ['rotation'], halves, ...(halves ? {} : { readouts: ['clsmean-full'] }), ...(regressor === undefined ? {} : { regressor }) }],
        data: config.data,
        part: 'clsmean-full',
        seed,
        workers: 1,
      });
      if (E.isLeft(r)) throw new Error(r.left.message);
      const rot = r.right.equivariance![0]!;
      const pick = (m: Readonly<Partial<Record<string, number>>> | undefined) => Object.fromEntries(parts.flatMap((p) => (m?.[`clsmean-${p}`] === undefined ? [] : [[p, m[`clsmean-${p}`]!]])));
      scores.push({ row, n, seed, mlp: halves ? pick(rot.byReadoutMlp) : { full: rot.r2 }, ridge: pick(rot.byReadout) });
      writeFileSync(file, `${JSON.stringify(scores, null, 1)}\n`);
      console.log(`${row} n ${n} seed ${seed} (${Math.round((Date.now() - t0) / 1000)} s): MLP ${JSON.stringify(scores.at(-1)!.mlp)} ridge ${JSON.stringify(scores.at(-1)!.ridge)}`);
    }
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const of = (row: string, n: number, reg: 'mlp' | 'ridge', part: string) => scores.filter((s) => s.row === row && s.n === n).map((s) => s[reg][part]).filter((v): v is number => v !== undefined);
const lines = [
  `# Images of the equivariance suite, chosen on ${config.data['name']} (validation cut)`,
  '',
  ...(scored === undefined ? [] : [`The regressors fit on n images of the training split and score ${scored} images of the validation cut.`, '']),
  `R²(rotation) of each row's seed-0 checkpoint in ${from}, at evaluation seeds ${evalSeeds.join(', ')}: mean (max − min over the seeds). Rule: the smallest n at which, for every row and both regressors on the full channels, max − min ≤ ${tolerance} and |mean(2n) − mean(n)| ≤ ${tolerance}.`,
  '',
  `| row | regressor | part | ${sizes.map((n) => `n = ${n}`).join(' | ')} |`,
  `|---|---|---|${sizes.map(() => '---|').join('')}`,
];
for (const row of rows) {
  for (const reg of ['mlp', 'ridge'] as const) {
    for (const part of parts) {
      const cells = sizes.map((n) => {
        const v = of(row, n, reg, part);
        return v.length === 0 ? '–' : `${mean(v).toFixed(3)} (${(Math.max(...v) - Math.min(...v)).toFixed(3)})`;
      });
      if (cells.some((c) => c !== '–')) lines.push(`| ${row} | ${reg === 'mlp' ? 'MLP' : 'ridge'} | ${part} | ${cells.join(' | ')} |`);
    }
  }
}
const stable = (n: number) =>
  rows.every((row) =>
    (['mlp', 'ridge'] as const).every((reg) => {
      const here = of(row, n, reg, 'full');
      const next = of(row, 2 * n, reg, 'full');
      return here.length === evalSeeds.length && next.length === evalSeeds.length && Math.max(...here) - Math.min(...here) <= tolerance && Math.abs(mean(next) - mean(here)) <= tolerance;
    }),
  );
const chosen = sizes.find((n) => sizes.includes(2 * n) && stable(n));
lines.push('', chosen === undefined ? `No n of ${sizes.join(', ')} meets the rule (with 2n measured).` : `Chosen: n = ${chosen}.`, '');
writeFileSync(join(out, `${stem}.md`), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
