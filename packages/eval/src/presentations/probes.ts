/**
 * The probes' presentation, shared by the `linear` and `knn` suites: the
 * accuracy table (top-1, %), the images each entry used (flagged when fewer
 * than asked or too few test images), the chart `accuracy.png`, and the
 * printed `… top-1 = …` lines.
 *
 * @since 0.2.0
 */
import type { EvaluationResults } from '../evaluate.js';
import { countsMarkdown, countsSummary } from '../image-counts.js';
import type { Figure, LabelledResults, SuitePresentation } from '../presentation.js';
import { barChart, tableCell } from './bars.js';

const percent = (x: number | undefined): number | undefined => (x === undefined ? undefined : 100 * x);

const probed = (r: EvaluationResults): boolean => r.linearAccuracy !== undefined || r.knnAccuracy !== undefined;

/** The images each entry's probes used, where its results keep them. */
const images = (entries: ReadonlyArray<LabelledResults>): string[] => {
  const lines = entries.flatMap((e) => (e.results.probeImages === undefined ? [] : [countsMarkdown(e.label, e.results.probeImages, 'accuracy')]));
  return lines.length === 0 ? [] : ['Images (the first of the train split fit the heads, the first of the test split score them):', '', ...lines, ''];
};

/** The section of `report.md`. */
export const probesMarkdown = (entries: ReadonlyArray<LabelledResults>): string[] => {
  const scored = entries.filter((e) => probed(e.results));
  if (scored.length === 0) return [];
  return [
    '## Invariant tasks (top-1 accuracy, %)',
    '',
    '| configuration | linear probe | k-NN (k = 20) |',
    '|---|---|---|',
    ...scored.map((e) => `| ${e.label} | ${tableCell(percent(e.results.linearAccuracy), 1)} | ${tableCell(percent(e.results.knnAccuracy), 1)} |`),
    '',
    ...images(scored),
  ];
};

/** `accuracy.png`: the accuracy of each probe, a bar per entry. */
export const probesFigures = (entries: ReadonlyArray<LabelledResults>): Figure[] => {
  const values = entries.flatMap((e) => [
    ...(e.results.linearAccuracy !== undefined ? [{ group: 'linear probe', label: e.label, value: 100 * e.results.linearAccuracy }] : []),
    ...(e.results.knnAccuracy !== undefined ? [{ group: 'k-NN', label: e.label, value: 100 * e.results.knnAccuracy }] : []),
  ]);
  return values.length === 0 ? [] : [{ kind: 'chart', file: 'accuracy.png', spec: barChart('top-1 accuracy', 'accuracy (%)', values, [0, 100]) }];
};

/** The printed lines: each probe's accuracy, and the images when flagged. */
export const probesSummary = (r: EvaluationResults): string[] => [
  ...(r.linearAccuracy !== undefined ? [`linear probe top-1 = ${(100 * r.linearAccuracy).toFixed(1)} %`] : []),
  ...(r.knnAccuracy !== undefined ? [`k-NN top-1 = ${(100 * r.knnAccuracy).toFixed(1)} %`] : []),
  ...(probed(r) ? countsSummary('probes', r.probeImages, 'accuracy') : []),
];

/** The probes' presentation (one for both suites). */
export const probesPresentation: SuitePresentation = {
  id: 'probes',
  markdown: probesMarkdown,
  figures: probesFigures,
  summary: probesSummary,
};
