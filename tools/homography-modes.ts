/**
 * The homography table of a reproduce run in both modes: the frozen MCE that
 * `equissl reproduce --suites …,homography` stored in every run's eval.json,
 * and the fine-tuned MCE, scored here by `equissl eval CKPT --suite
 * homography --finetune --seed N` on each run's checkpoint (the same seed, so
 * the same pairs as the frozen score). Finished fine-tune evaluations (a
 * results.json with a fine-tuned homography result) are reused.
 *
 * Every evaluation is its own process on one core (the wasm backend runs one
 * thread), so `--lanes 2` scores two checkpoints at a time on a 2-core
 * machine. The table (mean ± sample std over seeds; the method against the
 * baseline called only beyond twice the pooled std) is printed and written to
 * OUT/table.md.
 *
 *   node --conditions=@equissl/source --import tsx tools/homography-modes.ts \
 *     --reproduce out/reproduce-photos --data '{name: image-folder, dir: data/crops32, size: 32}' \
 *     --out out/homography-finetune [--settings '{steps: 300}'] [--lanes 2] [--seeds 0,1,2]
 */
import { writeFileAtomic } from '@equissl/core';
import { type HomographyResult, type SeedSummary, compareSeeds, formatSummary, homographyTraining, summarise } from '@equissl/eval';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';

const { values: o } = parseArgs({
  options: {
    reproduce: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    settings: { type: 'string', default: '{}' },
    lanes: { type: 'string', default: '2' },
    seeds: { type: 'string', default: '0,1,2' },
    rows: { type: 'string', default: 'untrained,baseline,method' },
  },
});
if (o.reproduce === undefined || o.out === undefined) {
  console.error('usage: tools/homography-modes.ts --reproduce DIR --out DIR [--data SLOT] [--settings YAML] [--lanes N] [--seeds 0,1,2] [--rows untrained,baseline,method]');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const reproduceDir = resolve(o.reproduce);
const out = resolve(o.out);
const seeds = o.seeds.split(',').map(Number);
const rows = o.rows.split(',');

type Homography = Omit<HomographyResult, 'examples'>;
const readJson = (file: string): any => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined);
const frozenOf = (row: string, seed: number): Homography | undefined => readJson(join(reproduceDir, row, `seed${seed}`, 'eval.json'))?.results?.homography;
const finetunedOf = (row: string, seed: number): Homography | undefined => {
  const h = readJson(join(out, row, `seed${seed}`, 'results.json'))?.[0]?.homography as Homography | undefined;
  return h?.mode === 'finetune' ? h : undefined;
};

/** One fine-tune evaluation as a child process; its progress lines are prefixed with the run. */
const finetune = (row: string, seed: number): Promise<void> =>
  new Promise((done, fail) => {
    const checkpoint = join(reproduceDir, row, `seed${seed}`, 'checkpoint.safetensors');
    const args = ['--conditions=@equissl/source', '--import', 'tsx', 'packages/cli/src/main.ts', 'eval', checkpoint, '--suite', 'homography', '--finetune', '--seed', String(seed), '--homography', JSON.stringify({ ...(parse(o.settings) ?? {}), references: ['zero'] }), '--out', join(out, row, `seed${seed}`), ...(o.data !== undefined ? ['--data', o.data] : [])];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const relay = (chunk: Buffer) => chunk.toString().split('\n').filter((l) => l.trim() !== '').forEach((l) => console.log(`${new Date().toISOString().slice(11, 19)} ${row} seed ${seed}: ${l}`));
    child.stdout.on('data', relay);
    child.stderr.on('data', relay);
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`eval of ${checkpoint} exited with ${code}`))));
  });

const pending = rows.flatMap((row) => seeds.map((seed) => ({ row, seed }))).filter(({ row, seed }) => finetunedOf(row, seed) === undefined);
console.log(`homography-modes: ${pending.length} fine-tune evaluation(s) to run on ${o.lanes} lane(s)`);
const queue = [...pending];
await Promise.all(
  Array.from({ length: Number(o.lanes) }, async () => {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) await finetune(job.row, job.seed);
  }),
);

const summaryOf = (pick: (row: string, seed: number) => number | undefined, row: string): SeedSummary =>
  summarise(seeds.map((s) => pick(row, s)).filter((v): v is number => v !== undefined));
const frozen = (row: string) => summaryOf((r, s) => frozenOf(r, s)?.mce, row);
const tuned = (row: string) => summaryOf((r, s) => finetunedOf(r, s)?.mce, row);
const headFirst = (row: string) => summaryOf((r, s) => finetunedOf(r, s)?.mceHeadOnly, row);
const zero = summaryOf((r, s) => frozenOf(r, s)?.mceZero, rows[0]!);
const zeroTuned = summaryOf((r, s) => finetunedOf(r, s)?.mceZero, rows[0]!);
const scratch = summarise(rows.flatMap((r) => seeds.map((s) => frozenOf(r, s)?.mceScratch)).filter((v): v is number => v !== undefined));
const f = (s: SeedSummary) => formatSummary(s, 2);
const one = frozenOf(rows[0]!, seeds[0]!);
const ft = finetunedOf(rows[0]!, seeds[0]!);
const call = (a: SeedSummary, b: SeedSummary) => {
  const d = compareSeeds(a, b);
  return `${d.difference >= 0 ? '+' : ''}${d.difference.toFixed(2)} px (2 × pooled std ${(2 * d.pooledStd).toFixed(2)}: ${d.called ? 'called' : 'not called'})`;
};
const table = [
  `Homography estimation, Mean Corner Error in px (lower is better), mean ± sample std over seeds ${seeds.join(', ')}.`,
  one ? `${one.size}-px grey crops, ρ = ${one.rho} px, ${one.trainPairs} training / ${one.testPairs} test pairs; frozen: ${one.steps} head steps (reproduce's eval.json in ${o.reproduce})${ft ? `; fine-tuned (${o.out}): ${homographyTraining(ft)} ("head first" is the MCE after the head's steps, the frozen score again when the settings match)` : ''}.` : '',
  '',
  '| row | frozen | head first | fine-tuned |',
  '|---|---|---|---|',
  `| zero offsets (trivial predictor) | ${f(zero)} | ${f(zeroTuned)} | ${f(zeroTuned)} |`,
  `| CNN from scratch on pixels (one per seed) | ${f(scratch)} | – | – |`,
  ...rows.map((r) => `| ${r} | ${f(frozen(r))} | ${f(headFirst(r))} | ${f(tuned(r))} |`),
  '',
  ...(rows.includes('method') && rows.includes('baseline')
    ? [`method − baseline: frozen ${call(frozen('method'), frozen('baseline'))}; fine-tuned ${call(tuned('method'), tuned('baseline'))}.`, '']
    : []),
  ...(ft ? [`fine-tuned − head first: ${rows.map((r) => `${r} ${call(tuned(r), headFirst(r))}`).join('; ')}.`, ''] : []),
  '| row | seed | frozen | head first | fine-tuned |',
  '|---|---|---|---|---|',
  ...rows.flatMap((r) => seeds.map((s) => `| ${r} | ${s} | ${frozenOf(r, s)?.mce.toFixed(3) ?? '–'} | ${finetunedOf(r, s)?.mceHeadOnly?.toFixed(3) ?? '–'} | ${finetunedOf(r, s)?.mce.toFixed(3) ?? '–'} |`)),
  '',
].join('\n');
console.log(table);
const written = await writeFileAtomic(join(out, 'table.md'), table)();
if (written._tag === 'Left') {
  console.error(written.left.message);
  process.exit(1);
}
