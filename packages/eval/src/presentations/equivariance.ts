/**
 * The equivariance suite's presentation: the R² table (one column per
 * family the entries were scored on, then the mean), R² per parameter, the
 * images each entry used (flagged when fewer than asked or too few held
 * out), the chart `r2.png`, and the printed `R²(family) = …` lines.
 *
 * @since 0.2.0
 */
import type { FamilyResult } from '../equivariance.js';
import type { EvaluationResults } from '../evaluate.js';
import { countsMarkdown, countsSummary } from '../image-counts.js';
import type { Figure, LabelledResults, SuitePresentation } from '../presentation.js';
import { barChart, tableCell } from './bars.js';

/** The families of `entries`, in the order they first appear. */
const tasksOf = (entries: ReadonlyArray<LabelledResults>): string[] => [...new Set(entries.flatMap((e) => (e.results.equivariance ?? []).map((f) => f.task)))];

const r2Of = (r: EvaluationResults, task: string): number | undefined => r.equivariance?.find((f) => f.task === task)?.r2;

/** The table: a row per entry, a column per family and the mean. */
const table = (entries: ReadonlyArray<LabelledResults>): string[] => {
  const tasks = tasksOf(entries);
  return [
    `| configuration | ${[...tasks, 'mean'].join(' | ')} |`,
    `|---|${[...tasks, 'mean'].map(() => '---|').join('')}`,
    ...entries.map((e) => `| ${e.label} | ${tasks.map((t) => tableCell(r2Of(e.results, t))).join(' | ')} | ${tableCell(e.results.meanR2)} |`),
  ];
};

/** `- label, family: param R², …` for every family of every entry. */
const perParameter = (entries: ReadonlyArray<LabelledResults>): string[] =>
  entries.flatMap((e) => (e.results.equivariance ?? []).map((f) => `- ${e.label}, ${f.task}: ${f.paramNames.map((n, i) => `${n} ${tableCell(f.r2PerDimension[i])}`).join(', ')}`));

/** The images each entry used, where its results keep them. */
const images = (entries: ReadonlyArray<LabelledResults>): string[] => {
  const counts = entries.flatMap((e) => (e.results.equivarianceImages === undefined ? [] : [{ label: e.label, counts: e.results.equivarianceImages }]));
  if (counts.length === 0) return [];
  // fitted on the training split (`fitImages`: the counts name train and test images apart) or on 80 % of the test images
  const fitted = counts.map((c) => c.counts.askedTrain !== undefined);
  const heading = fitted.every(Boolean)
    ? 'Images (the regressor fits on the first of the train split and scores the first of the test split):'
    : fitted.some(Boolean)
      ? 'Images (where train images are named, the regressor fits on the train split and scores the test split; else the first of the test split, 80 % fit the regressor and 20 % are held out and scored):'
      : 'Images (the first of the test split; 80 % fit the regressor, 20 % are held out and scored):';
  return [heading, '', ...counts.map((c) => countsMarkdown(c.label, c.counts, 'R²')), ''];
};

type Scores = 'byReadout' | 'byReadoutMlp';

/** The readouts of `entries`' rotation scores by part (`which` regressor), in the order full, inv, equi of each token readout. */
const readoutsOf = (entries: ReadonlyArray<LabelledResults>, which: Scores): string[] => {
  const seen = new Set(entries.flatMap((e) => Object.keys(e.results.equivariance?.find((f) => f.task === 'rotation')?.[which] ?? {})));
  const order = (r: string) => ['full', 'inv', 'equi'].indexOf(r.slice(r.lastIndexOf('-') + 1));
  return [...seen].sort((a, b) => a.slice(0, a.lastIndexOf('-')).localeCompare(b.slice(0, b.lastIndexOf('-'))) || order(a) - order(b));
};

/** Where the angle is kept: R² of rotation by readout (the full, invariant and equivariant channels), by the suite's regressor and by ridge. */
const byPart = (entries: ReadonlyArray<LabelledResults>): string[] => {
  const tableOf = (which: Scores, title: string): string[] => {
    const readouts = readoutsOf(entries, which);
    if (readouts.length === 0) return [];
    const r2 = (e: LabelledResults, r: string) => e.results.equivariance?.find((f) => f.task === 'rotation')?.[which]?.[r as keyof NonNullable<FamilyResult['byReadout']>];
    return [
      `### ${title}`,
      '',
      `| configuration | ${readouts.join(' | ')} |`,
      `|---|${readouts.map(() => '---|').join('')}`,
      ...entries.map((e) => `| ${e.label} | ${readouts.map((r) => tableCell(r2(e, r))).join(' | ')} |`),
      '',
    ];
  };
  const tables = [
    ...tableOf('byReadoutMlp', "Where the angle is kept (R² of rotation by part of the representation, the suite's regressor)"),
    ...tableOf('byReadout', 'Where the angle is kept (R² of rotation by part of the representation, closed-form ridge)'),
  ];
  return tables.length === 0 ? [] : [...tables, '`inv` / `equi`: the invariant / equivariant channels after the neck; – where an encoder has no such part (a baseline without a split).', ''];
};

/** The section of `report.md`. */
export const equivarianceMarkdown = (entries: ReadonlyArray<LabelledResults>): string[] => {
  const scored = entries.filter((e) => e.results.equivariance !== undefined);
  if (scored.length === 0) return [];
  return ['## Equivariance (R² of θ from frozen features, SIE protocol)', '', ...table(scored), '', 'Per-parameter R²:', '', ...perParameter(scored), '', ...images(scored), ...byPart(scored)];
};

/** `r2.png`: R² per family, a bar per entry. */
export const equivarianceFigures = (entries: ReadonlyArray<LabelledResults>): Figure[] => {
  const values = entries.flatMap((e) => (e.results.equivariance ?? []).map((f) => ({ group: f.task, label: e.label, value: f.r2 })));
  return values.length === 0 ? [] : [{ kind: 'chart', file: 'r2.png', spec: barChart('R² of θ per transformation family', 'R²', values) }];
};

/** The printed lines: R² per family, the mean, and the images when flagged. */
export const equivarianceSummary = (r: EvaluationResults): string[] => [
  ...(r.equivariance ?? []).map((f) => `R²(${f.task}) = ${f.r2.toFixed(3)}`),
  ...(r.meanR2 !== undefined ? [`mean R² = ${r.meanR2.toFixed(3)}`] : []),
  ...countsSummary('equivariance', r.equivarianceImages, 'R²'),
];

/** The equivariance suite's presentation. */
export const equivariancePresentation: SuitePresentation = {
  id: 'equivariance',
  markdown: equivarianceMarkdown,
  figures: equivarianceFigures,
  summary: equivarianceSummary,
};
