/**
 * One row of the reproduce comparison over seeds: a run as `eval.json` holds
 * it, a row's summary (mean ± std per number, the `results.json` contract)
 * and the method-against-baseline requirements.
 *
 * @since 0.1.0
 */
import { type EvaluationResults, type SeedSummary, compareSeeds, formatSummary, summarise } from '@equissl/eval';
import { type Readout } from '@equissl/encoder';

/** The points by which a row's accuracies may fall below those it is compared with. */
export const accuracyTolerance = 0.02;

/** Whether accuracy `a` is not more than {@link accuracyTolerance} below `b` (false when either is missing). */
export const notBelow = (a?: SeedSummary, b?: SeedSummary): boolean => a !== undefined && b !== undefined && a.mean >= b.mean - accuracyTolerance;

/** One row's run for one seed, as `<row>/seed<k>/eval.json` holds it. */
export interface ReproduceRun {
  readonly row: string;
  readonly seed: number;
  /** Training steps (0 for the untrained control). */
  readonly steps: number;
  /** What the evaluation measured (see `evaluationVersion` in `commands/reproduce.ts`); absent before version 2. */
  readonly evaluationVersion?: number;
  readonly results: EvaluationResults;
  /** R²(rotation) from the headline readout with the ridge regressor at each saved checkpoint, the final one last. */
  readonly curve: ReadonlyArray<{ readonly step: number; readonly rotation: number }>;
}

/** The families of the suite, in table order. */
export const families = ['rotation', 'colour', 'blur', 'translation'] as const;

/** One row of `results.json`. */
export interface RowSummary {
  readonly name: string;
  readonly seeds: ReadonlyArray<number>;
  readonly r2: Record<(typeof families)[number] | 'mean', SeedSummary>;
  readonly linear?: SeedSummary;
  readonly knn?: SeedSummary;
  /** Mean Corner Error of the homography suite (px), when it was run. */
  readonly mce?: SeedSummary;
  /** R²(rotation) from every readout scored. */
  readonly readouts: Partial<Record<Readout, SeedSummary>>;
}

export const valuesOf = (runs: ReadonlyArray<ReproduceRun>, pick: (r: EvaluationResults) => number | undefined): number[] =>
  runs.map((r) => pick(r.results)).filter((v): v is number => v !== undefined && Number.isFinite(v));

export const optional = (values: number[]): SeedSummary | undefined => (values.length === 0 ? undefined : summarise(values));

/** Summarises one row's runs. */
export const summariseRow = (name: string, runs: ReadonlyArray<ReproduceRun>): RowSummary => {
  const r2Of = (task: string) => (r: EvaluationResults) => r.equivariance?.find((f) => f.task === task)?.r2;
  const readoutNames = [...new Set(runs.flatMap((r) => Object.keys(r.results.equivariance?.find((f) => f.task === 'rotation')?.byReadout ?? {})))] as Readout[];
  const linear = optional(valuesOf(runs, (r) => r.linearAccuracy));
  const knn = optional(valuesOf(runs, (r) => r.knnAccuracy));
  const mce = optional(valuesOf(runs, (r) => r.homography?.mce));
  return {
    name,
    seeds: runs.map((r) => r.seed),
    r2: {
      rotation: summarise(valuesOf(runs, r2Of('rotation'))),
      colour: summarise(valuesOf(runs, r2Of('colour'))),
      blur: summarise(valuesOf(runs, r2Of('blur'))),
      translation: summarise(valuesOf(runs, r2Of('translation'))),
      mean: summarise(valuesOf(runs, (r) => r.meanR2)),
    },
    ...(linear ? { linear } : {}),
    ...(knn ? { knn } : {}),
    ...(mce ? { mce } : {}),
    readouts: Object.fromEntries(readoutNames.map((n) => [n, summarise(valuesOf(runs, (r) => r.equivariance?.find((f) => f.task === 'rotation')?.byReadout?.[n]))])),
  };
};

/** One requirement of the comparison and whether this run meets it. */
export interface Check {
  readonly requirement: string;
  readonly measured: string;
  readonly holds: boolean;
}

/**
 * The comparison's requirements, checked on the method and baseline rows (and,
 * given the untrained row, that the method keeps what the untrained encoder
 * has); the Fashion-MNIST accuracy targets unless `accuracyTargets` is false.
 */
export const comparisonChecks = (method: RowSummary, baseline: RowSummary, o: { readonly untrained?: RowSummary; readonly accuracyTargets?: boolean } = {}): Check[] => {
  const rot = compareSeeds(method.r2.rotation, baseline.r2.rotation);
  const kept = o.untrained === undefined ? undefined : compareSeeds(method.r2.rotation, o.untrained.r2.rotation);
  const mean = compareSeeds(method.r2.mean, baseline.r2.mean);
  const pct = (s?: SeedSummary) => (s === undefined ? '–' : `${formatSummary(s, 1, 100)} %`);
  return [
    {
      requirement: 'R²(rotation): method ≥ baseline + 0.2, gap > 2 × pooled std',
      measured: `${formatSummary(method.r2.rotation)} vs ${formatSummary(baseline.r2.rotation)}: gap ${rot.difference.toFixed(3)}, 2 × pooled std ${(2 * rot.pooledStd).toFixed(3)}`,
      holds: rot.difference >= 0.2 && rot.called,
    },
    { requirement: 'R²(rotation) of the method > 0.5', measured: formatSummary(method.r2.rotation), holds: method.r2.rotation.mean > 0.5 },
    ...(kept === undefined
      ? []
      : [
          {
            requirement: 'R²(rotation): method not below the untrained control beyond 2 × pooled std',
            measured: `${formatSummary(method.r2.rotation)} vs ${formatSummary(o.untrained!.r2.rotation)}: difference ${kept.difference.toFixed(3)}, 2 × pooled std ${(2 * kept.pooledStd).toFixed(3)}`,
            holds: !(kept.difference < 0 && kept.called),
          },
        ]),
    {
      requirement: 'mean R² of the four families: method > baseline',
      measured: `${formatSummary(method.r2.mean)} vs ${formatSummary(baseline.r2.mean)}${mean.called ? '' : ' (difference within 2 × pooled std)'}`,
      holds: mean.difference > 0,
    },
    { requirement: 'linear probe not more than 2 points below the baseline', measured: `${pct(method.linear)} vs ${pct(baseline.linear)}`, holds: notBelow(method.linear, baseline.linear) },
    { requirement: 'k-NN not more than 2 points below the baseline', measured: `${pct(method.knn)} vs ${pct(baseline.knn)}`, holds: notBelow(method.knn, baseline.knn) },
    ...(o.accuracyTargets === false
      ? []
      : [
          { requirement: 'baseline linear ≥ 80 %', measured: pct(baseline.linear), holds: (baseline.linear?.mean ?? 0) >= 0.8 },
          { requirement: 'baseline k-NN ≥ 75 %', measured: pct(baseline.knn), holds: (baseline.knn?.mean ?? 0) >= 0.75 },
        ]),
  ];
};

