/**
 * One row of the reproduce comparison over seeds: a run as `eval.json` holds
 * it, a row's summary (mean ± std and the per-seed values of every number, R²
 * of rotation per half of the split by both readouts: the `results.json`
 * contract) and the method-against-baseline requirements, each decided by
 * the test declared for it (`@equissl/eval`'s `hypothesis.ts`) with Holm's
 * correction over the table's tests.
 *
 * @since 0.1.0
 */
import { type EvaluationResults, type OneSidedTest, type SeedSummary, alpha, formatP, formatSummary, holm, oneSampleGreater, summarise, welchGreater } from '@equissl/eval';
import { type Readout, headlineReadout } from '@equissl/encoder';

/** The points by which a row's accuracies may fall below those it is compared with. */
export const accuracyTolerance = 0.02;


/** One row's run for one seed, as `<row>/seed<k>/eval.json` holds it. */
export interface ReproduceRun {
  readonly row: string;
  readonly seed: number;
  /** Training steps (0 for the untrained control). */
  readonly steps: number;
  /** What the evaluation measured (see `evaluationVersion` in `commands/reproduce.ts`); absent before version 2. */
  readonly evaluationVersion?: number;
  readonly results: EvaluationResults;
  /** How the curve was scored (see `curveVersion` in `reproduce/command.ts`); absent before version 2. */
  readonly curveVersion?: number;
  /** R²(rotation) from the headline readout with the ridge regressor, fitted and scored on the test images' 80/20 split, at each saved checkpoint, the final one last. */
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
  /** R²(rotation) from every readout scored (ridge). */
  readonly readouts: Partial<Record<Readout, SeedSummary>>;
  /** R²(rotation) of the headline readout's full, invariant and equivariant channels, by the suite's MLP and by ridge (the parts an encoder has). */
  readonly halves: { readonly mlp: Partial<Record<Half, SeedSummary>>; readonly ridge: Partial<Record<Half, SeedSummary>> };
}

/** The parts of the split representation. */
export const halves = ['full', 'inv', 'equi'] as const;
export type Half = (typeof halves)[number];

/** The headline readout's tokens with part `h` (`clsmean-inv` …). */
export const halfReadout = (h: Half): Readout => `${headlineReadout.slice(0, headlineReadout.lastIndexOf('-'))}-${h}` as Readout;

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
  const rotation = (r: EvaluationResults) => r.equivariance?.find((f) => f.task === 'rotation');
  const perHalf = (pick: (r: EvaluationResults, h: Half) => number | undefined) =>
    Object.fromEntries(halves.flatMap((h) => {
      const s = optional(valuesOf(runs, (r) => pick(r, h)));
      return s === undefined ? [] : [[h, s]];
    })) as Partial<Record<Half, SeedSummary>>;
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
    readouts: Object.fromEntries(readoutNames.map((n) => [n, summarise(valuesOf(runs, (r) => rotation(r)?.byReadout?.[n]))])),
    halves: {
      // the full channels by the MLP are the headline score itself
      mlp: perHalf((r, h) => rotation(r)?.byReadoutMlp?.[halfReadout(h)] ?? (h === 'full' && r.features === headlineReadout ? rotation(r)?.r2 : undefined)),
      ridge: perHalf((r, h) => rotation(r)?.byReadout?.[halfReadout(h)]),
    },
  };
};

/** One requirement of a comparison table, its declared test (p and Holm-adjusted p over the table), and whether it holds. */
export interface Check {
  readonly requirement: string;
  readonly measured: string;
  readonly holds: boolean;
  /** One-sided p of the requirement's test (absent where a number is missing). */
  readonly p?: number;
  /** p after Holm's correction over the table's tests. */
  readonly pHolm?: number;
}

/** A requirement before the table's correction: its test, and whether it holds given that the (corrected) test rejects H0. */
export interface PendingCheck {
  readonly requirement: string;
  readonly measured: string;
  readonly test?: OneSidedTest;
  readonly holds: (significant: boolean) => boolean;
}

/** Decides a table's requirements: Holm over all its tests at {@link alpha}, then each requirement's rule. */
export const decideChecks = (pending: ReadonlyArray<PendingCheck>): Check[] => {
  const adjusted = holm(pending.map((c) => c.test?.p ?? Number.NaN));
  return pending.map((c, i) => {
    const pHolm = adjusted[i]!;
    const significant = !Number.isNaN(pHolm) && pHolm < alpha;
    return { requirement: c.requirement, measured: c.measured, holds: c.holds(significant), ...(c.test && !Number.isNaN(c.test.p) ? { p: c.test.p, pHolm } : {}) };
  });
};

/** The values of a summary (empty when missing). */
export const valuesIn = (s?: SeedSummary): ReadonlyArray<number> => s?.values ?? [];

const signed = (x: number, digits = 3) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
const pct = (s?: SeedSummary) => (s === undefined ? '–' : `${formatSummary(s, 1, 100)} %`);

/** "a − b > margin" by Welch's one-sided test: holds when the corrected test rejects H0 (a − b ≤ margin). */
export const greaterBy = (requirement: string, a: SeedSummary | undefined, b: SeedSummary | undefined, margin: number, scale = 1): PendingCheck => {
  const test = a && b ? welchGreater(valuesIn(a), valuesIn(b), margin) : undefined;
  const digits = scale === 1 ? 3 : 1;
  return {
    requirement,
    measured: a && b ? `${formatSummary(a, digits, scale)} vs ${formatSummary(b, digits, scale)}: difference ${signed(scale * (a.mean - b.mean), digits)}` : '–',
    ...(test ? { test } : {}),
    holds: (significant) => significant,
  };
};

/** "a is not below b": Welch's one-sided test of b − a > 0; holds unless the corrected test finds a below b. */
export const notBelowTested = (requirement: string, a: SeedSummary | undefined, b: SeedSummary | undefined): PendingCheck => {
  const test = a && b ? welchGreater(valuesIn(b), valuesIn(a), 0) : undefined;
  return { requirement, measured: a && b ? `${formatSummary(a)} vs ${formatSummary(b)}: difference ${signed(a.mean - b.mean)}` : '–', ...(test ? { test } : {}), holds: (significant) => a !== undefined && b !== undefined && !significant };
};

/** "mean > level" by the one-sample one-sided test. */
export const aboveLevel = (requirement: string, a: SeedSummary | undefined, level: number, scale = 1): PendingCheck => {
  const test = a ? oneSampleGreater(valuesIn(a), level) : undefined;
  return { requirement, measured: a ? (scale === 1 ? formatSummary(a) : pct(a)) : '–', ...(test ? { test } : {}), holds: (significant) => significant };
};

/** The `holds?` cell: yes, **no**, "not measured" where the runs lack the numbers (e.g. halves by the MLP in runs scored before the suite kept them), or "untested" where a side has one seed. */
export const holdsCell = (c: Check): string => (c.p === undefined ? (c.measured === '–' ? 'not measured' : 'untested (fewer than 2 seeds a side)') : c.holds ? 'yes' : '**no**');

/** The `measured` cell with the test's p and Holm's p. */
export const measuredWithP = (c: Check): string => (c.p === undefined ? c.measured : `${c.measured}; p ${formatP(c.p)}, Holm ${formatP(c.pHolm!)}`);

/**
 * The comparison's requirements, each with its declared test, decided
 * together (Holm over the table at α = 0.05): the headline, R²(rotation) by
 * SIE's MLP on the headline readout, method − baseline > 0.2 (Welch, one-sided);
 * the same by ridge; the method's R² above 0.5; the method not below the
 * untrained control (by either readout: holds unless the test finds it
 * below); the split (the equivariant half keeps more of the angle than the
 * invariant half, MLP); mean R² above the baseline's; the probes not more
 * than 2 points below the baseline's (non-inferiority: method − baseline >
 * −2 points); and, unless `accuracyTargets` is false, the Fashion-MNIST
 * accuracy targets.
 */
export const comparisonChecks = (method: RowSummary, baseline: RowSummary, o: { readonly untrained?: RowSummary; readonly accuracyTargets?: boolean } = {}): Check[] => {
  const ridge = (s?: RowSummary) => s?.readouts[headlineReadout];
  const untrained = o.untrained;
  return decideChecks([
    greaterBy('R²(rotation), MLP (headline): method − baseline > 0.2', method.r2.rotation, baseline.r2.rotation, 0.2),
    greaterBy('R²(rotation), ridge: method − baseline > 0.2', ridge(method), ridge(baseline), 0.2),
    aboveLevel('R²(rotation), MLP: method > 0.5', method.r2.rotation, 0.5),
    ...(untrained === undefined
      ? []
      : [
          notBelowTested('R²(rotation), MLP: method not below the untrained control', method.r2.rotation, untrained.r2.rotation),
          notBelowTested('R²(rotation), ridge: method not below the untrained control', ridge(method), ridge(untrained)),
        ]),
    greaterBy('the split, MLP: R²(rotation) of the equivariant half − the invariant half > 0', method.halves.mlp.equi, method.halves.mlp.inv, 0),
    greaterBy('mean R² of the four families: method − baseline > 0', method.r2.mean, baseline.r2.mean, 0),
    greaterBy('linear probe: method − baseline > −2 points', method.linear, baseline.linear, -accuracyTolerance, 100),
    greaterBy('k-NN: method − baseline > −2 points', method.knn, baseline.knn, -accuracyTolerance, 100),
    ...(o.accuracyTargets === false
      ? []
      : [aboveLevel('baseline linear > 80 %', baseline.linear, 0.8, 100), aboveLevel('baseline k-NN > 75 %', baseline.knn, 0.75, 100)]),
  ]);
};
