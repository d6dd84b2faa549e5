/**
 * Which features the invariant tasks read, chosen on a validation split: the
 * linear probe and k-NN of a reproduce folder's final baseline and method
 * checkpoints with two readouts,
 *
 * - `clsmean-full`: cls + mean patch token of the backbone (every row);
 * - `clsmean-inv`: the same tokens of each row's invariant channels, the
 *   ones its SSL loss trains (the baseline has no neck and no equivariant
 *   channels, so for it this is `clsmean-full`),
 *
 * first on a validation cut that shares no pixel with the test strip
 * (`make-crops --within 0.6 --regions 0.6`: train and validation strips both
 * inside the training strip), then on the test split. The readout is chosen
 * by the method's mean validation accuracy (linear and k-NN); the test
 * numbers of both readouts are written, the chosen one marked. Writes
 * `readout.json` (per run) and `readout.md` into OUT.
 *
 *   node --import tsx tools/make-crops.ts --out data/scenes32-val --size 32 --per-image 600 --test-per-image 300 \
 *     --min-side 0.4 --max-side 0.7 --regions 0.6 --within 0.6 --src $(dpkg -L lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 | grep -i '\.jpg$')
 *   node --conditions=@equissl/source --import tsx tools/experiments/probe-readout.ts out/reproduce-photos out/probe-readout-photos data/scenes32-val
 */
import { selectBackend } from '@equissl/core';
import { evaluateCheckpoint, summarise } from '@equissl/eval';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const from = process.argv[2] ?? 'out/reproduce-photos';
const out = process.argv[3] ?? 'out/probe-readout-photos';
const validationDir = process.argv[4] ?? 'data/scenes32-val';
const rows = ['baseline', 'method'] as const;
const readouts = ['clsmean-full', 'clsmean-inv'] as const;
const splits = ['validation', 'test'] as const;
type Point = { row: string; seed: number; readout: string; split: string; linear: number; knn: number };

await selectBackend()();
const registry = standardRegistry();
if (E.isLeft(registry)) throw new Error(registry.left.message);
mkdirSync(out, { recursive: true });
const file = join(out, 'readout.json');
const points: Point[] = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : [];
const seedsOf = (row: string) => readdirSync(join(from, row)).filter((d) => /^seed\d+$/.test(d)).map((d) => Number(d.slice(4))).sort((a, b) => a - b);
for (const split of splits) {
  for (const row of rows) {
    for (const seed of seedsOf(row)) {
      for (const readout of readouts) {
        if (points.some((p) => p.row === row && p.seed === seed && p.readout === readout && p.split === split)) continue;
        // the baseline's invariant channels are its whole output: score it once, under both names
        const same = row === 'baseline' && readout === 'clsmean-inv' ? points.find((p) => p.row === row && p.seed === seed && p.readout === 'clsmean-full' && p.split === split) : undefined;
        if (same !== undefined) {
          points.push({ ...same, readout });
          continue;
        }
        const data = split === 'validation' ? { data: { name: 'image-folder', dir: validationDir, size: 32 } } : {};
        const r = await evaluateCheckpoint(join(from, row, `seed${seed}`, 'checkpoint.safetensors'), registry.right, { suites: ['linear', 'knn'], part: readout, seed, probeTrainImages: 2048, probeTestImages: 1024, ...data });
        if (E.isLeft(r)) throw new Error(r.left.message);
        points.push({ row, seed, readout, split, linear: 100 * r.right.linearAccuracy!, knn: 100 * r.right.knnAccuracy! });
        writeFileSync(file, `${JSON.stringify(points, null, 1)}\n`);
        console.log(`${split} ${row} seed ${seed} ${readout}: linear ${points.at(-1)!.linear.toFixed(1)} %, k-NN ${points.at(-1)!.knn.toFixed(1)} %`);
      }
    }
  }
}

const at = (row: string, readout: string, split: string, probe: 'linear' | 'knn') => summarise(points.filter((p) => p.row === row && p.readout === readout && p.split === split).map((p) => p[probe]));
const methodScore = (readout: string) => (at('method', readout, 'validation', 'linear').mean + at('method', readout, 'validation', 'knn').mean) / 2;
const chosen = [...readouts].sort((a, b) => methodScore(b) - methodScore(a))[0]!;
const fmt = (s: { mean: number; std: number; n: number }) => `${s.mean.toFixed(1)} ± ${s.std.toFixed(1)}`;
const pooled = (a: { std: number }, b: { std: number }) => Math.sqrt((a.std ** 2 + b.std ** 2) / 2);
const lines = [
  `# Which features the probes read (${from}; validation: ${validationDir})`,
  '',
  `Top-1 %, mean ± sample std over seeds ${seedsOf('method').join(', ')}; Δ = method − baseline (2 × pooled std in brackets). Chosen on validation by the method's mean accuracy: \`${chosen}\`.`,
  '',
  '| split | readout | baseline linear | method linear | Δ linear | baseline k-NN | method k-NN | Δ k-NN |',
  '|---|---|---|---|---|---|---|---|',
  ...splits.flatMap((split) =>
    readouts.map((readout) => {
      const [bl, ml, bk, mk] = [at('baseline', readout, split, 'linear'), at('method', readout, split, 'linear'), at('baseline', readout, split, 'knn'), at('method', readout, split, 'knn')];
      const mark = readout === chosen ? ' (chosen)' : '';
      return `| ${split} | \`${readout}\`${mark} | ${fmt(bl)} | ${fmt(ml)} | ${(ml.mean - bl.mean).toFixed(1)} (${(2 * pooled(bl, ml)).toFixed(1)}) | ${fmt(bk)} | ${fmt(mk)} | ${(mk.mean - bk.mean).toFixed(1)} (${(2 * pooled(bk, mk)).toFixed(1)}) |`;
    }),
  ),
  '',
];
writeFileSync(join(out, 'readout.md'), lines.join('\n'));
console.log(lines.join('\n'));
