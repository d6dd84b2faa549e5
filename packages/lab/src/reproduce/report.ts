/**
 * The report of `equissl reproduce`: per-seed runs summarised as mean ± std
 * with the per-seed values per row (`results.json` in the documented
 * contract, `report.md`), R²(rotation) per half of the split by the MLP and
 * by ridge, the method-versus-baseline comparison whose requirements are
 * one-sided tests Holm-corrected over the table, and charts: R²(rotation) over
 * training steps with ± std bands and the untrained level as a rule
 * (`r2-curve.png`), and mean R² per family and accuracies (`r2.png`,
 * `accuracy.png`). When the runs were scored on homography estimation, the
 * table gains an MCE column (mean ± std over seeds, px) and the report the
 * references' MCE. The paper's reference numbers (Table 2, and homography
 * estimation when the runs were scored on it) close the report. Every file
 * is written atomically.
 *
 * @since 0.1.0
 */
import { type EquisslError, writeFileAtomic } from '@equissl/core';
import { type EvaluationResults, type SeedSummary, alpha, compareSeeds, formatSummary, formatWithValues, homographyTraining, summarise } from '@equissl/eval';
import { type Readout, headlineReadout } from '@equissl/encoder';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeChart } from '@equissl/report';
import { type ReproduceRun, type RowSummary, comparisonChecks, families, halves, holdsCell, measuredWithP, optional, summariseRow, valuesOf } from './summary.js';
import { paperMarkdown } from './paper.js';
import { type TeacherHealth, kAblation, systemsChecks, systemsMarkdown } from './systems-report.js';

/** What the report needs besides the runs. */
export interface ReportContext {
  readonly rows: ReadonlyArray<string>;
  readonly seeds: ReadonlyArray<number>;
  readonly steps: number;
  readonly data: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly workers: number;
  /** Whether the Fashion-MNIST accuracy targets (baseline linear ≥ 80 %, k-NN ≥ 75 %) are rows of the comparison (default true). */
  readonly accuracyTargets?: boolean;
  /** The teacher of every iBOT / DINOv2 run (`readTeacherHealth`). */
  readonly teacher?: ReadonlyArray<TeacherHealth>;
  /** Which split scored the runs: `test`, or `validation` (a cut of the training data, for choosing settings). */
  readonly split?: 'test' | 'validation';
}

/** A run's homography numbers without the example pairs. */
const homographyNumbers = (r: EvaluationResults) => {
  const { examples: _examples, ...numbers } = r.homography!;
  return numbers;
};

/**
 * The homography references over seeds, mean ± std: the zero predictor (the same test pairs for every row of a
 * seed, so one value per seed) and the from-scratch CNN (trained once per seed).
 */
export const homographyReferences = (runs: ReadonlyArray<ReproduceRun>): { zero?: SeedSummary; scratch?: SeedSummary } => {
  const scored = runs.filter((r) => r.results.homography !== undefined);
  const onePerSeed = scored.filter((r, i) => scored.findIndex((o) => o.seed === r.seed) === i);
  const zero = optional(valuesOf(onePerSeed, (r) => r.homography?.mceZero));
  const scratch = optional(valuesOf(runs, (r) => r.homography?.mceScratch));
  return { ...(zero ? { zero } : {}), ...(scratch ? { scratch } : {}) };
};

/** What the equivariance suite's regressors were fitted on and scored on, once per distinct setting of the runs. */
export const regressorImages = (runs: ReadonlyArray<ReproduceRun>): string[] =>
  [
    ...new Set(
      runs.flatMap((r) => {
        const c = r.results.equivarianceImages;
        if (c === undefined) return [];
        const of = (used: number, asked: number | undefined) => (asked !== undefined && used < asked ? `${used} (of ${asked} asked)` : `${used}`);
        return [c.askedTrain !== undefined ? `fitted on ${of(c.train, c.askedTrain)} images of the training split, scored on ${of(c.test, c.askedTest)} test images` : `${of(c.used, c.asked)} test images, ${c.train} fitted and ${c.test} scored`];
      }),
    ),
  ];

/** The `results.json` object. */
export const resultsJson = (summaries: ReadonlyArray<RowSummary>, runs: ReadonlyArray<ReproduceRun>, c: ReportContext) => ({
  data: c.data,
  split: c.split ?? 'test',
  steps: c.steps,
  features: headlineReadout,
  // what the tables' verdicts rest on (docs/protocol.md); the images each run's suite used are in its equivariance counts
  protocol: {
    headline: `R²(rotation), SIE's MLP on ${headlineReadout}: method − baseline > 0.2`,
    tests: 'one-sided: Welch for gaps, one-sample for levels and the systems\' h; two-sided Welch for the K ablation',
    correction: 'holm',
    alpha,
    equivarianceImages: regressorImages(runs),
  },
  rows: summaries,
  ...(summaries.some((s) => s.mce) ? { homographyReferences: homographyReferences(runs) } : {}),
  ...(systemsChecks(summaries).length > 0 ? { systemsChecks: systemsChecks(summaries) } : {}),
  ...(kAblation(summaries).length > 0 ? { kAblation: kAblation(summaries) } : {}),
  ...((c.teacher ?? []).length > 0 ? { teacher: c.teacher } : {}),
  runs: runs.map((r) => ({ row: r.row, seed: r.seed, steps: r.steps, checkpoint: r.results.checkpoint, equivariance: r.results.equivariance, meanR2: r.results.meanR2, linear: r.results.linearAccuracy, knn: r.results.knnAccuracy, ...(r.results.homography ? { homography: homographyNumbers(r.results) } : {}), curve: r.curve, ...(r.results.skipped ? { skipped: r.results.skipped } : {}) })),
});

/** The paragraph under the table when it has an MCE column: what the suite was, its references, and the method against the baseline. */
const homographyNote = (summaries: ReadonlyArray<RowSummary>, runs: ReadonlyArray<ReproduceRun>): string[] => {
  const h = runs.find((r) => r.results.homography)?.results.homography;
  if (h === undefined) return [];
  const refs = homographyReferences(runs);
  const method = summaries.find((s) => s.name === 'method')?.mce;
  const baseline = summaries.find((s) => s.name === 'baseline')?.mce;
  const d = method && baseline ? compareSeeds(method, baseline) : undefined;
  return [
    `MCE: homography estimation, Mean Corner Error in px (lower is better) of a 3-layer conv head on the patch tokens of both crops (${homographyTraining(h)}; ${h.size}-px grey crops, ρ = ${h.rho} px, ${h.trainPairs} training / ${h.testPairs} test pairs). References: zero offsets ${refs.zero ? formatSummary(refs.zero, 2) : '–'}, CNN from scratch on pixels ${refs.scratch ? formatSummary(refs.scratch, 2) : '–'}.` +
      (d ? ` Method − baseline: ${d.difference >= 0 ? '+' : ''}${d.difference.toFixed(2)} px (2 × pooled std ${(2 * d.pooledStd).toFixed(2)}: ${d.called ? 'called' : 'not called'}).` : ''),
    '',
  ];
};

/**
 * Which seeds the table holds: "Seeds 0, 1, 2 for every row" when every row
 * has all of them, otherwise each row's own seeds (a report written while
 * runs are missing, e.g. with `--report-only`).
 */
export const seedsLine = (summaries: ReadonlyArray<RowSummary>, seeds: ReadonlyArray<number>): string => {
  const complete = summaries.every((s) => s.seeds.length === seeds.length && seeds.every((x) => s.seeds.includes(x)));
  return complete
    ? `Seeds ${seeds.join(', ')} for every row`
    : `Not every run is in: seeds ${summaries.map((s) => `${s.seeds.join(', ')} (${s.name})`).join('; ')}`;
};

/** The markdown report. */
export const reproduceMarkdown = (summaries: ReadonlyArray<RowSummary>, runs: ReadonlyArray<ReproduceRun>, c: ReportContext): string => {
  const label = (name: string) => c.labels[name] ?? name;
  const withMce = summaries.some((s) => s.mce);
  // runs scored without the equivariance suite (e.g. `--suites homography`) have no R² to show or compare
  const withR2 = summaries.some((s) => s.r2.rotation.n > 0);
  const lines = [
    '# equissl reproduce: untrained control, invariant baseline and the method',
    '',
    `${seedsLine(summaries, c.seeds)} (mean ± sample std over seeds, the per-seed values in parentheses); ${c.steps} steps per trained run; data ${c.data}; scored on the ${c.split === 'validation' ? 'validation cut (for choosing settings; not a result)' : 'test split'}; ${c.workers} worker(s). ` +
      `Headline readout \`${headlineReadout}\` (cls token and mean patch token of the backbone's output); the R² regressors ${regressorImages(runs).join('; ') || 'were not run'}. Each requirement is a one-sided test over the seeds, Holm-corrected over its table at α = ${alpha}.`,
    '',
  ];
  const mceCell = (s: RowSummary) => (s.mce ? formatSummary(s.mce, 2) : '–');
  if (withR2) {
    lines.push(
      '## Equivariance (R² of θ from frozen features, SIE protocol)',
      '',
      `| row | rot | colour | blur | trans | mean |${withMce ? ' MCE (px) |' : ''}`,
      `|---|---|---|---|---|---|${withMce ? '---|' : ''}`,
      ...summaries.map((s) => `| ${label(s.name)} | ${[...families, 'mean' as const].map((f) => formatWithValues(s.r2[f])).join(' | ')} |${withMce ? ` ${mceCell(s)} |` : ''}`),
      '',
    );
    const halfCell = (x?: SeedSummary) => (x === undefined ? '–' : formatWithValues(x));
    if (summaries.some((s) => Object.keys(s.halves.mlp).length + Object.keys(s.halves.ridge).length > 0)) {
      lines.push(
        '## R²(rotation) per half of the split, by both readouts',
        '',
        `\`full\` the backbone's output, \`inv\` / \`equi\` the invariant / equivariant channels after the neck (of the headline readout's tokens); – where an encoder has no such part. MLP: SIE's regressor (the headline); ridge: the closed-form linear regressor.`,
        '',
        `| row | ${halves.map((h) => `${h} (MLP)`).join(' | ')} | ${halves.map((h) => `${h} (ridge)`).join(' | ')} |`,
        `|---|${halves.map(() => '---|').join('')}${halves.map(() => '---|').join('')}`,
        ...summaries.map((s) => `| ${label(s.name)} | ${halves.map((h) => halfCell(s.halves.mlp[h])).join(' | ')} | ${halves.map((h) => halfCell(s.halves.ridge[h])).join(' | ')} |`),
        '',
      );
    }
  } else if (withMce) {
    lines.push('## Homography estimation (Mean Corner Error)', '', '| row | MCE (px) |', '|---|---|', ...summaries.map((s) => `| ${label(s.name)} | ${mceCell(s)} |`), '');
  }
  if (withMce) lines.push(...homographyNote(summaries, runs));
  const readouts = [...new Set(summaries.flatMap((s) => Object.keys(s.readouts)))] as Readout[];
  if (readouts.length > 0) {
    lines.push(
      '## Where θ(rotation) is kept: R² per readout',
      '',
      'All with the closed-form ridge (linear) regressor, so the readouts compare with each other (not with the MLP numbers above). Readouts: `cls` cls token, `clsmean` cls + mean patch token, `tokens` every patch token flattened; `full` the backbone output, `inv` / `equi` the parts of the split representation (after the neck). The baseline has no equivariant part.',
      '',
      `| row | ${readouts.join(' | ')} |`,
      `|---|${readouts.map(() => '---|').join('')}`,
      ...summaries.map((s) => `| ${label(s.name)} | ${readouts.map((r) => (s.readouts[r] ? formatSummary(s.readouts[r]!) : '–')).join(' | ')} |`),
      '',
    );
  }
  if (summaries.some((s) => s.linear || s.knn)) {
    lines.push('## Invariant tasks (top-1 accuracy, %)', '', '| row | linear probe | k-NN (k = 20) |', '|---|---|---|');
    for (const s of summaries) lines.push(`| ${label(s.name)} | ${s.linear ? formatWithValues(s.linear, 1, 100) : '–'} | ${s.knn ? formatWithValues(s.knn, 1, 100) : '–'} |`);
    lines.push('');
  }
  const skipped = [...new Set(runs.flatMap((r) => r.results.skipped ?? []))];
  if (skipped.length > 0) lines.push(...skipped.map((w) => `Note: ${w}.`), '');
  const method = summaries.find((s) => s.name === 'method');
  const baseline = summaries.find((s) => s.name === 'baseline');
  if (method && baseline && withR2) {
    lines.push('## The comparison', '', '| requirement | this run | holds? |', '|---|---|---|');
    const untrained = summaries.find((s) => s.name === 'untrained');
    for (const ch of comparisonChecks(method, baseline, { ...(untrained ? { untrained } : {}), accuracyTargets: c.accuracyTargets !== false })) lines.push(`| ${ch.requirement} | ${measuredWithP(ch)} | ${holdsCell(ch)} |`);
    lines.push('');
  }
  lines.push(...systemsMarkdown(summaries, c.teacher ?? [], label));
  lines.push(...paperMarkdown({ r2: withR2, mce: withMce }));
  // the runs table: one column per number some run has
  const withAccuracy = summaries.some((s) => s.linear || s.knn);
  const pct = (x?: number) => (x === undefined ? '–' : (100 * x).toFixed(1));
  type Column = readonly [string, (r: EvaluationResults) => string];
  const r2Columns: Column[] = [
    ['rot', (r) => r.equivariance?.find((f) => f.task === 'rotation')?.r2.toFixed(3) ?? '–'],
    ['mean R²', (r) => r.meanR2?.toFixed(3) ?? '–'],
  ];
  const accuracyColumns: Column[] = [
    ['linear', (r) => pct(r.linearAccuracy)],
    ['k-NN', (r) => pct(r.knnAccuracy)],
  ];
  const mceColumn: Column = ['MCE', (r) => r.homography?.mce.toFixed(2) ?? '–'];
  const columns = [...(withR2 ? r2Columns : []), ...(withAccuracy ? accuracyColumns : []), ...(withMce ? [mceColumn] : [])];
  lines.push('## Runs', '', `| row | seed |${columns.map(([name]) => ` ${name} |`).join('')} checkpoint |`, `|---|---|${columns.map(() => '---|').join('')}---|`);
  for (const r of runs) lines.push(`| ${r.row} | ${r.seed} |${columns.map(([, cell]) => ` ${cell(r.results)} |`).join('')} \`${r.results.checkpoint}\` (step ${r.results.step}) |`);
  return `${lines.join('\n')}\n`;
};

/** R²(rotation) over steps: a line per row (mean over seeds) with a ± std band, and the untrained level as a rule. */
export const curveSpec = (runs: ReadonlyArray<ReproduceRun>): TopLevelSpec => {
  const trained = runs.filter((r) => r.row !== 'untrained');
  const byPoint = new Map<string, { row: string; step: number; values: number[] }>();
  // every trained row starts from the untrained encoder of its seed (the same backbone initialisation)
  const start = (seed: number) => runs.find((u) => u.row === 'untrained' && u.seed === seed)?.curve.filter((p) => p.step === 0) ?? [];
  for (const r of trained) {
    for (const p of [...start(r.seed), ...r.curve]) {
      const key = `${r.row}@${p.step}`;
      const entry = byPoint.get(key) ?? { row: r.row, step: p.step, values: [] };
      entry.values.push(p.rotation);
      byPoint.set(key, entry);
    }
  }
  const points = [...byPoint.values()].map((p) => {
    const s = summarise(p.values);
    return { row: p.row, step: p.step, mean: s.mean, low: s.mean - s.std, high: s.mean + s.std };
  });
  const untrained = summarise(runs.filter((r) => r.row === 'untrained').flatMap((r) => r.curve.map((p) => p.rotation)));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'R²(rotation), clsmean-full, ridge: over training (mean ± std over seeds)',
    width: 520,
    height: 300,
    layer: [
      {
        data: { values: points },
        mark: { type: 'errorband', opacity: 0.25 },
        encoding: { x: { field: 'step', type: 'quantitative', title: 'training step', scale: { domainMin: 0 } }, y: { field: 'low', type: 'quantitative', title: 'R²(rotation)' }, y2: { field: 'high' }, color: { field: 'row', type: 'nominal', title: null, legend: { labelLimit: 400 } } },
      },
      {
        data: { values: points },
        mark: { type: 'line', point: true },
        encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'mean', type: 'quantitative' }, color: { field: 'row', type: 'nominal', title: null } },
      },
      ...(Number.isFinite(untrained.mean)
        ? [
            {
              data: { values: [{ level: untrained.mean, label: `untrained ${untrained.mean.toFixed(3)}` }] },
              mark: { type: 'rule' as const, strokeDash: [6, 4], color: 'gray' },
              encoding: { y: { field: 'level', type: 'quantitative' as const } },
            },
            {
              data: { values: [{ level: untrained.mean, label: `untrained ${untrained.mean.toFixed(3)}` }] },
              mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -6, color: 'gray' },
              encoding: { y: { field: 'level', type: 'quantitative' as const }, x: { value: 0 }, text: { field: 'label', type: 'nominal' as const } },
            },
          ]
        : []),
    ],
  } as TopLevelSpec;
};

const barsWithErrors = (title: string, yTitle: string, values: { group: string; row: string; mean: number; std: number }[], domain?: [number, number]): TopLevelSpec =>
  ({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    data: { values: values.map((v) => ({ ...v, low: v.mean - v.std, high: v.mean + v.std })) },
    facet: { column: { field: 'group', type: 'nominal', title: null, header: { labelOrient: 'bottom' } } },
    spec: {
      width: { step: 28 },
      height: 260,
      layer: [
        { mark: 'bar', encoding: { x: { field: 'row', type: 'nominal', title: null, axis: { labels: false, ticks: false } }, y: { field: 'mean', type: 'quantitative', title: yTitle, ...(domain ? { scale: { domain } } : {}) }, color: { field: 'row', type: 'nominal', title: null } } },
        { mark: { type: 'rule', color: 'black' }, encoding: { x: { field: 'row', type: 'nominal' }, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
      ],
    },
  }) as TopLevelSpec;

/** Writes results.json, report.md, r2-curve.png, and r2.png and accuracy.png when the runs have R² and accuracies, into `out`. */
export const writeReproduceReport = (out: string, runs: ReadonlyArray<ReproduceRun>, c: ReportContext): TE.TaskEither<EquisslError, ReadonlyArray<string>> => {
  const summaries = c.rows.map((row) => summariseRow(row, runs.filter((r) => r.row === row))).filter((s) => s.seeds.length > 0);
  const label = (n: string) => c.labels[n] ?? n;
  const r2Bars = summaries.flatMap((s) => families.map((f) => ({ group: f, row: label(s.name), mean: s.r2[f].mean, std: s.r2[f].std }))).filter((v) => Number.isFinite(v.mean));
  const accBars = summaries.flatMap((s) => [
    ...(s.linear ? [{ group: 'linear probe', row: label(s.name), mean: 100 * s.linear.mean, std: 100 * s.linear.std }] : []),
    ...(s.knn ? [{ group: 'k-NN', row: label(s.name), mean: 100 * s.knn.mean, std: 100 * s.knn.std }] : []),
  ]);
  const [json, md, curve, r2, accuracy] = ['results.json', 'report.md', 'r2-curve.png', 'r2.png', 'accuracy.png'].map((f) => join(out, f)) as [string, string, string, string, string];
  const files = [json, md, curve, ...(r2Bars.length > 0 ? [r2] : []), ...(accBars.length > 0 ? [accuracy] : [])];
  return pipe(
    writeFileAtomic(json, `${JSON.stringify(resultsJson(summaries, runs, c), null, 2)}\n`),
    TE.flatMap(() => writeFileAtomic(md, reproduceMarkdown(summaries, runs, c))),
    TE.flatMap(() => writeChart(curve, curveSpec(runs))),
    TE.flatMap(() => (r2Bars.length > 0 ? writeChart(r2, barsWithErrors('R² of θ per family (mean ± std over seeds)', 'R²', r2Bars)) : TE.right(undefined))),
    TE.flatMap(() => (accBars.length > 0 ? writeChart(accuracy, barsWithErrors('top-1 accuracy (mean ± std over seeds)', 'accuracy (%)', accBars, [0, 100])) : TE.right(undefined))),
    TE.mapLeft((e): EquisslError => e),
    TE.map(() => files),
  );
};
