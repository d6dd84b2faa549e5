/**
 * A trade-off of the PyTorch mirror's runs as one picture: R²(rotation),
 * linear-probe and k-NN accuracy of the baseline and the method, against
 *
 * - `--x range` (default): the largest rotation between the views
 *   (`tools/experiments/mirror-range-budget.sh`). Runs are recognised by their
 *   tag, `…-base-rotN` or `…-meth-rotN` (N the range in degrees), and read at
 *   `--step` (default 500);
 * - `--x step`: the training step (`tools/experiments/mirror-photos-budget.sh`).
 *   Runs are recognised by `-base` or `-meth` in their tag, every scored step
 *   after 0 is a point.
 *
 * Each point is the mean over seeds with a ± sample-std bar, and the chart
 * draws the untrained encoder's level (the step-0 line of every run, e.g.
 * `S10-untrained` with `steps=0`) as a dashed rule.
 *
 *   node --conditions=@equissl/source --import tsx tools/mirror-chart.ts \
 *     --out docs/results/mirror-range/range.png out/mirror10/S10-*.jsonl
 *   node --conditions=@equissl/source --import tsx tools/mirror-chart.ts --x step --title 'Mirror, photo crops 32 px' \
 *     --out docs/results/mirror-photos-budget/budget.png out/mirror-photos-budget/*.jsonl
 */
import { writeChart } from '@equissl/cli';
import { summarise } from '@equissl/eval';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { TopLevelSpec } from 'vega-lite';

const { values: o, positionals: files } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    x: { type: 'string', default: 'range' },
    step: { type: 'string', default: '500' },
    readout: { type: 'string', default: 'clsmean-full' },
    title: { type: 'string', default: 'Mirror, Fashion-MNIST 32 px' },
  },
});
if (o.out === undefined || files.length === 0 || (o.x !== 'range' && o.x !== 'step')) {
  console.error("usage: tools/mirror-chart.ts --out FILE.png [--x range|step] [--step 500] [--readout clsmean-full] [--title 'Mirror, …'] RUNS.jsonl…");
  process.exit(2);
}
const byStep = o.x === 'step';

interface MirrorLine {
  readonly tag: string;
  readonly seed: number;
  readonly step: number;
  readonly r2?: Record<string, number>;
  readonly knn?: number;
  readonly linear?: number;
}

const step = Number(o.step);
const metrics = {
  'R²(rotation)': (l: MirrorLine) => l.r2?.[o.readout!],
  'linear probe (%)': (l: MirrorLine) => (l.linear === undefined ? undefined : 100 * l.linear),
  'k-NN (%)': (l: MirrorLine) => (l.knn === undefined ? undefined : 100 * l.knn),
} as const;

const lines: (MirrorLine & { readonly file: string })[] = files.flatMap((file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((s) => s.trim() !== '')
    .map((s) => ({ ...(JSON.parse(s) as MirrorLine), file })),
);
// one point per (row, x, seed): two runs that land on the same point (e.g. a glob that takes another data set's
// runs with the same tag pattern) would be averaged as if they were seeds, so they are refused
const seen = new Map<string, string>();
const groups = new Map<string, { row: string; x: number; values: Map<string, number[]> }>();
const untrained = new Map<string, number[]>();
for (const l of lines) {
  // the row and the x of a line: its tag's range at --step, or its step
  const m = byStep ? /-(base|meth)(?:-|$)/.exec(l.tag) : /-(base|meth)-rot(\d+)$/.exec(l.tag);
  for (const [metric, read] of Object.entries(metrics)) {
    const v = read(l);
    if (v === undefined) continue;
    if (l.step === 0) untrained.set(metric, [...(untrained.get(metric) ?? []), v]);
    if (m === null || (byStep ? l.step === 0 : l.step !== step)) continue;
    const at = byStep ? l.step : Number(m[2]);
    const key = `${m[1]}-${at}`;
    const point = `${key}/seed${l.seed}/${metric}`;
    const before = seen.get(point);
    if (before !== undefined) {
      console.error(`mirror-chart: ${l.file} (tag ${l.tag}) and ${before} both give ${m[1] === 'base' ? 'the baseline' : 'the method'} at ${byStep ? `step ${at}` : `±${at}°`}, seed ${l.seed}; pass the runs of one data set only`);
      process.exit(2);
    }
    seen.set(point, `${l.file} (tag ${l.tag})`);
    const g = groups.get(key) ?? { row: m[1] === 'base' ? 'baseline' : 'method (K = 2)', x: at, values: new Map() };
    g.values.set(metric, [...(g.values.get(metric) ?? []), v]);
    groups.set(key, g);
  }
}
const points = [...groups.values()].flatMap((g) =>
  [...g.values.entries()].map(([metric, vs]) => {
    const s = summarise(vs);
    return { row: g.row, x: g.x, metric, mean: s.mean, lo: s.mean - s.std, hi: s.mean + s.std, n: s.n };
  }),
);
const levels = [...untrained.entries()].map(([metric, vs]) => ({ metric, level: summarise(vs).mean }));
for (const p of points.sort((a, b) => a.metric.localeCompare(b.metric) || a.row.localeCompare(b.row) || a.x - b.x)) {
  console.log(`${p.metric}\t${p.row}\t${byStep ? `step ${p.x}` : `±${p.x}°`}\t${p.mean.toFixed(3)} ± ${(p.hi - p.mean).toFixed(3)} (n = ${p.n})`);
}

const x = byStep
  ? { field: 'x', type: 'quantitative' as const, title: 'training step' }
  : { field: 'x', type: 'quantitative' as const, title: 'largest rotation between the views (°)', scale: { domain: [40, 95] }, axis: { values: [45, 60, 75, 90] } };
const spec: TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: `${o.title}${byStep ? '' : `, step ${step}`}: mean ± std over seeds${levels.length > 0 ? ' (dashed: untrained encoder)' : ''}`,
  data: { values: [...points, ...levels] },
  facet: { column: { field: 'metric', type: 'nominal', title: null, sort: Object.keys(metrics) } },
  spec: {
    width: 240,
    height: 220,
    layer: [
      { transform: [{ filter: 'isValid(datum.row)' }], mark: { type: 'line', point: true }, encoding: { x, y: { field: 'mean', type: 'quantitative', title: null, scale: { zero: false } }, color: { field: 'row', type: 'nominal', title: 'row' } } },
      { transform: [{ filter: 'isValid(datum.row)' }], mark: 'errorbar', encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'row', type: 'nominal' } } },
      { transform: [{ filter: 'isValid(datum.level)' }], mark: { type: 'rule', strokeDash: [4, 4], color: 'grey' }, encoding: { y: { field: 'level', type: 'quantitative' } } },
    ],
  },
  resolve: { scale: { y: 'independent' } },
};
const written = await writeChart(o.out, spec)();
if (written._tag === 'Left') {
  console.error(written.left.message);
  process.exit(1);
}
console.log(`wrote ${o.out}`);
