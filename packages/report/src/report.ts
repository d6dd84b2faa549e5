/**
 * Evaluation reports: `results.json`, `report.md` (tables in the shape of the
 * paper's Table 2, with the paper's numbers beside ours for reference; the
 * homography suite's Mean Corner Error beside its references) and PNG charts
 * (R² per family; accuracy; homography pairs with true and predicted
 * corners), every file written atomically.
 *
 * @since 0.1.0
 */
import { type EquisslError, writeFileAtomic } from '@equissl/core';
import { type EvaluationResults, homographyTraining } from '@equissl/eval';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeHomographyFigure } from './homography-figure.js';
import { writeChart } from './plots.js';

/** A result with the name it has in tables and charts. */
export interface LabelledResults {
  readonly label: string;
  readonly results: EvaluationResults;
}

/** The paper's Table 2 (ViT-S/16, ImageNet): R² rot / colour / blur / trans / mean. */
export const paperTable2 = [
  { configuration: 'SIE(all) — paper', rotation: 0.331, colour: 0.899, blur: 0.211, translation: 0.925, mean: 0.592 },
  { configuration: 'cross-attention reconstruction (2024) — paper', rotation: 0.893, colour: 0.921, blur: 0.823, translation: 0.875, mean: 0.878 },
  { configuration: 'ours (SIE, all, rot) — paper', rotation: 0.998, colour: 0.923, blur: 0.969, translation: 0.98, mean: 0.968 },
] as const;

/** The paper's homography estimation on S-COCO (Mean Corner Error, px, 128-px crops, ρ = 32). */
export const paperHomography = [
  { configuration: 'Ours(DINOv2) — paper', mce: 1.42 },
  { configuration: 'DINOv2 — paper', mce: 1.68 },
  { configuration: 'iBOT — paper', mce: 1.76 },
] as const;

/** The homography section of a report: one table, the references first, then each entry, then the paper's numbers. */
export const homographyMarkdown = (entries: ReadonlyArray<LabelledResults>): string[] => {
  const scored = entries.filter((e) => e.results.homography !== undefined);
  const first = scored[0]?.results.homography;
  if (first === undefined) return [];
  const px = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(2));
  const lines = [
    '## Homography estimation (Mean Corner Error, px; lower is better)',
    '',
    `Pairs of ${first.size}×${first.size} grey crops, corners perturbed by up to ρ = ${first.rho} px; a 3-layer convolutional head on the patch tokens of both crops regresses the 8 corner offsets (${homographyTraining(first)}); ${first.trainPairs} training pairs, ${first.testPairs} test pairs.`,
    '',
    '| configuration | MCE (px) |',
    '|---|---|',
    `| zero offsets (trivial predictor) | ${px(first.mceZero)} |`,
  ];
  if (first.mceScratch !== undefined) lines.push(`| CNN trained from scratch on pixels | ${px(first.mceScratch)} |`);
  for (const e of scored) {
    const h = e.results.homography!;
    if (h.mceUntrained !== undefined) lines.push(`| untrained encoder (same config, eval seed) — for ${e.label} | ${px(h.mceUntrained)} |`);
    if (h.mceHeadOnly !== undefined) lines.push(`| ${e.label}, head on the frozen encoder (before fine-tuning) | ${px(h.mceHeadOnly)} |`);
    lines.push(`| ${e.label}${h.mode === 'finetune' ? ', fine-tuned' : ''} | ${px(h.mce)} |`);
  }
  for (const p of paperHomography) lines.push(`| ${p.configuration} (S-COCO, 128 px, ρ = 32) | ${px(p.mce)} |`);
  lines.push('', 'The paper\'s numbers are on 128-px COCO crops with ρ = 32: compare them with the zero predictor\'s MCE here (about 0.77 ρ), not in pixels.', '');
  return lines;
};

const fmt = (x: number | undefined, digits = 3) => (x === undefined ? '–' : x.toFixed(digits));
const r2Of = (r: EvaluationResults, task: string) => r.equivariance?.find((f) => f.task === task)?.r2;
const tasks = ['rotation', 'colour', 'blur', 'translation'] as const;

/** The markdown report. */
export const reportMarkdown = (title: string, entries: ReadonlyArray<LabelledResults>, preamble = ''): string => {
  const lines = [`# ${title}`, ''];
  if (preamble !== '') lines.push(preamble, '');
  if (entries.some((e) => e.results.equivariance)) {
    lines.push('## Equivariance (R² of θ from frozen features, SIE protocol)', '');
    lines.push('| configuration | rot | colour | blur | trans | mean |', '|---|---|---|---|---|---|');
    for (const e of entries) lines.push(`| ${e.label} | ${tasks.map((t) => fmt(r2Of(e.results, t))).join(' | ')} | ${fmt(e.results.meanR2)} |`);
    for (const p of paperTable2) lines.push(`| ${p.configuration} | ${fmt(p.rotation)} | ${fmt(p.colour)} | ${fmt(p.blur)} | ${fmt(p.translation)} | ${fmt(p.mean)} |`);
    lines.push('', 'Per-parameter R²:', '');
    for (const e of entries) {
      for (const f of e.results.equivariance ?? []) lines.push(`- ${e.label}, ${f.task}: ${f.paramNames.map((n, i) => `${n} ${fmt(f.r2PerDimension[i])}`).join(', ')}`);
    }
    lines.push('');
  }
  if (entries.some((e) => e.results.linearAccuracy !== undefined || e.results.knnAccuracy !== undefined)) {
    lines.push('## Invariant tasks (top-1 accuracy, %)', '', '| configuration | linear probe | k-NN (k = 20) |', '|---|---|---|');
    for (const e of entries) lines.push(`| ${e.label} | ${fmt(e.results.linearAccuracy === undefined ? undefined : 100 * e.results.linearAccuracy, 1)} | ${fmt(e.results.knnAccuracy === undefined ? undefined : 100 * e.results.knnAccuracy, 1)} |`);
    lines.push('');
  }
  lines.push(...homographyMarkdown(entries));
  const first = entries[0]?.results;
  // the readout applies to the equivariance suite and the probes, not to the homography head (which reads the patch tokens)
  const readsFeatures = entries.some((e) => e.results.equivariance !== undefined || e.results.linearAccuracy !== undefined || e.results.knnAccuracy !== undefined);
  if (first) lines.push(readsFeatures ? `Features: readout \`${first.features}\`; data: ${first.data}.` : `Data: ${first.data}.`, '');
  for (const e of entries) lines.push(`- ${e.label}: \`${e.results.checkpoint}\` (step ${e.results.step})`);
  return `${lines.join('\n')}\n`;
};

const barSpec = (title: string, yTitle: string, values: { group: string; label: string; value: number }[], domain?: [number, number]): TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title,
  width: { step: 28 },
  height: 260,
  data: { values },
  mark: 'bar',
  encoding: {
    x: { field: 'label', type: 'nominal', title: null, axis: { labels: false, ticks: false } },
    xOffset: { field: 'label' },
    column: { field: 'group', type: 'nominal', title: null, header: { labelOrient: 'bottom' } },
    y: { field: 'value', type: 'quantitative', title: yTitle, ...(domain ? { scale: { domain } } : {}) },
    color: { field: 'label', type: 'nominal', title: null },
  },
});

/** Writes results.json, report.md, r2.png, accuracy.png and homography.png (each chart when there is something to draw) into `out`. */
export const writeReport = (out: string, title: string, entries: ReadonlyArray<LabelledResults>, preamble = ''): TE.TaskEither<EquisslError, ReadonlyArray<string>> => {
  const files: string[] = [join(out, 'results.json'), join(out, 'report.md')];
  const r2Values = entries.flatMap((e) => (e.results.equivariance ?? []).map((f) => ({ group: f.task, label: e.label, value: f.r2 })));
  const accValues = entries.flatMap((e) => [
    ...(e.results.linearAccuracy !== undefined ? [{ group: 'linear probe', label: e.label, value: 100 * e.results.linearAccuracy }] : []),
    ...(e.results.knnAccuracy !== undefined ? [{ group: 'k-NN', label: e.label, value: 100 * e.results.knnAccuracy }] : []),
  ]);
  const charts: TE.TaskEither<EquisslError, void>[] = [];
  if (r2Values.length > 0) {
    files.push(join(out, 'r2.png'));
    charts.push(writeChart(join(out, 'r2.png'), barSpec('R² of θ per transformation family', 'R²', r2Values)));
  }
  if (accValues.length > 0) {
    files.push(join(out, 'accuracy.png'));
    charts.push(writeChart(join(out, 'accuracy.png'), barSpec('top-1 accuracy', 'accuracy (%)', accValues, [0, 100])));
  }
  const withPairs = entries.find((e) => (e.results.homography?.examples.length ?? 0) > 0)?.results.homography;
  if (withPairs !== undefined) {
    files.push(join(out, 'homography.png'));
    charts.push(writeHomographyFigure(join(out, 'homography.png'), withPairs.examples, withPairs.size));
  }
  return pipe(
    writeFileAtomic(files[0]!, `${JSON.stringify(entries.map((e) => ({ label: e.label, ...e.results })), null, 2)}\n`),
    TE.flatMap(() => writeFileAtomic(files[1]!, reportMarkdown(title, entries, preamble))),
    TE.flatMap(() => TE.sequenceSeqArray(charts)),
    TE.map(() => files),
  );
};
