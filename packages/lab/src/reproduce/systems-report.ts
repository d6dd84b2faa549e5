/**
 * The systems part of the `equissl reproduce` report: each system X against
 * Ours(X) (the paper's Tables 2 and 3), the K ablation (Table 7), the health
 * of every teacher-based run (iBOT, DINOv2: a collapsed teacher makes its row
 * measure the collapse, not the system) and the paper's numbers beside ours.
 *
 * @since 0.1.0
 */
import { type SeedSummary, formatP, formatSummary, holm, oneSampleGreater, welchTwoSided } from '@equissl/eval';
import { type TeacherHealth as LossTeacherHealth, dinoHeadDefaults, entropyMargin, teacherHealthOf } from '@equissl/losses';

/** The teacher-health test lives with the losses (`@equissl/losses`); re-exported for the lab's callers. */
export { type FirstLast, entropyMargin, teacherVerdict } from '@equissl/losses';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { paperTable2, table2R2 } from './paper.js';
import { type Check, type PendingCheck, type RowSummary, accuracyTolerance, decideChecks, greaterBy, holdsCell, measuredWithP, valuesIn } from './summary.js';

// ---------------------------------------------------------------------------
// X against Ours(X)
// ---------------------------------------------------------------------------

/** The pairs (X, Ours(X)) a report can hold: VICReg is the default pair `baseline` / `method`. */
export const systemPairs: ReadonlyArray<{ readonly system: string; readonly label: string; readonly ours: string }> = [
  { system: 'baseline', label: 'VICReg', ours: 'method' },
  { system: 'sie', label: 'SIE', ours: 'ours-sie' },
  { system: 'sie-all', label: 'SIE (all)', ours: 'ours-sie-all-rot' },
  { system: 'ibot', label: 'iBOT', ours: 'ours-ibot' },
  { system: 'dinov2', label: 'DINOv2', ours: 'ours-dinov2' },
  { system: 'stl', label: 'STL', ours: 'ours-stl' },
];


/**
 * The share of the headroom above X that Ours(X) closes, per seed: h = (Ours − X) / (1 − X) of R²(rotation) for each
 * seed both rows have (the same seed trains both from the same initialisation).
 */
export const headroomClosed = (ours: RowSummary, system: RowSummary): number[] => {
  const o = valuesIn(ours.r2.rotation);
  const x = valuesIn(system.r2.rotation);
  if (o.length !== ours.seeds.length || x.length !== system.seeds.length) return [];
  return ours.seeds.flatMap((seed, i) => {
    const j = system.seeds.indexOf(seed);
    return j < 0 ? [] : [(o[i]! - x[j]!) / (1 - x[j]!)];
  });
};

/**
 * For one pair, before the table's correction: R²(rotation) of Ours(X) − X > 0.2 (Welch, one-sided), the share of
 * headroom closed h > 0.5 (one-sample, one-sided, over the seeds' h), and the probes not more than 2 points below X's.
 */
export const pairChecks = (ours: RowSummary, system: RowSummary, label: string): PendingCheck[] => {
  const h = headroomClosed(ours, system);
  const hTest = h.length > 0 ? oneSampleGreater(h, 0.5) : undefined;
  return [
    greaterBy(`R²(rotation): Ours(${label}) − ${label} > 0.2`, ours.r2.rotation, system.r2.rotation, 0.2),
    {
      requirement: `headroom closed by Ours(${label}), h = (Ours − X) / (1 − X) > 0.5`,
      measured: h.length > 0 ? `h ${hTest!.estimate.toFixed(2)} (${h.map((v) => v.toFixed(2)).join(', ')})` : '–',
      ...(hTest ? { test: hTest } : {}),
      holds: (significant) => significant,
    },
    greaterBy(`linear: Ours(${label}) − ${label} > −2 points`, ours.linear, system.linear, -accuracyTolerance, 100),
    greaterBy(`k-NN: Ours(${label}) − ${label} > −2 points`, ours.knn, system.knn, -accuracyTolerance, 100),
  ];
};

/** The checks of every pair whose two rows are in `summaries` (the VICReg pair only when another pair is there too), Holm over the table. */
export const systemsChecks = (summaries: ReadonlyArray<RowSummary>): Check[] => {
  const find = (n: string) => summaries.find((s) => s.name === n && s.r2.rotation.n > 0);
  const pairs = systemPairs.filter((p) => find(p.system) && find(p.ours));
  return pairs.length < 2 && pairs[0]?.system === 'baseline' ? [] : decideChecks(pairs.flatMap((p) => pairChecks(find(p.ours)!, find(p.system)!, p.label)));
};

// ---------------------------------------------------------------------------
// the K ablation
// ---------------------------------------------------------------------------

/** The K ablation's rows: the method with K = 1, 2, 3. */
export const kRows: ReadonlyArray<{ readonly k: number; readonly row: string }> = [
  { k: 1, row: 'method-k1' },
  { k: 2, row: 'method' },
  { k: 3, row: 'method-k3' },
];

/** One K's R²(rotation) and mean R², and its difference to K = 2 with Welch's two-sided p and Holm's over the other K. */
export interface KAblationLine {
  readonly k: number;
  readonly rotation: SeedSummary;
  readonly mean: SeedSummary;
  readonly versusK2?: { readonly difference: number; readonly p: number; readonly pHolm: number; readonly called: boolean };
}

/** The K ablation when the method and at least one other K are in `summaries`; a difference is called when Holm's p < 0.05. */
export const kAblation = (summaries: ReadonlyArray<RowSummary>): KAblationLine[] => {
  const k2 = summaries.find((s) => s.name === 'method');
  const found = kRows.flatMap(({ k, row }) => {
    const s = summaries.find((x) => x.name === row && x.r2.rotation.n > 0);
    return s === undefined || k2 === undefined ? [] : [{ k, s, test: k === 2 ? undefined : welchTwoSided(valuesIn(s.r2.rotation), valuesIn(k2.r2.rotation)) }];
  });
  const adjusted = holm(found.map((f) => f.test?.p ?? Number.NaN));
  const lines = found.map(({ k, s, test }, i) => ({
    k,
    rotation: s.r2.rotation,
    mean: s.r2.mean,
    ...(test === undefined ? {} : { versusK2: { difference: test.estimate, p: test.p, pHolm: adjusted[i]!, called: adjusted[i]! < 0.05 } }),
  }));
  return lines.length > 1 ? lines : [];
};

// ---------------------------------------------------------------------------
// teacher health
// ---------------------------------------------------------------------------

/** The teacher of one run of the table (row and seed) and its health. */
export interface TeacherHealth extends LossTeacherHealth {
  readonly row: string;
  readonly seed: number;
}

/** Reads `<out>/<row>/seed<k>/metrics.jsonl` of every run that logged a teacher entropy (iBOT, DINOv2 and their Ours rows). */
export const readTeacherHealth = (out: string, runs: ReadonlyArray<{ readonly row: string; readonly seed: number }>): TeacherHealth[] =>
  runs.flatMap(({ row, seed }) => {
    const dir = join(out, row, `seed${seed}`);
    const metrics = join(dir, 'metrics.jsonl');
    if (!existsSync(metrics)) return [];
    const lines = readFileSync(metrics, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, number>);
    const config = existsSync(join(dir, 'config.json')) ? (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { loss?: { prototypes?: number } }) : {};
    const health = teacherHealthOf(lines, config.loss?.prototypes ?? dinoHeadDefaults.prototypes);
    return health === undefined ? [] : [{ row, seed, ...health }];
  });

// ---------------------------------------------------------------------------
// the paper beside us
// ---------------------------------------------------------------------------

/** The paper's numbers (ViT on ImageNet; R² rot / colour / blur / trans / mean where given), by our row names. */
export const paperNumbers: Readonly<Record<string, { readonly model: string; readonly r2: Partial<Record<'rotation' | 'colour' | 'blur' | 'translation' | 'mean', number>> }>> = {
  'sie-all': { model: 'ViT-S/16', r2: table2R2(paperTable2[0]) },
  'ours-sie-all-rot': { model: 'ViT-S/16', r2: table2R2(paperTable2[2]) },
  ibot: { model: 'ViT-L', r2: { rotation: 0.238 } },
  'ours-ibot': { model: 'ViT-L', r2: { rotation: 0.937 } },
  dinov2: { model: 'ViT-L', r2: { rotation: 0.774 } },
  'ours-dinov2': { model: 'ViT-L', r2: { rotation: 0.84 } },
  'method-k1': { model: 'ViT-S/16', r2: { rotation: 0.29 } },
};

const families = ['rotation', 'colour', 'blur', 'translation', 'mean'] as const;

/** Markdown: the systems checks, the K ablation, the teacher health and the paper beside us (only the parts with rows). */
export const systemsMarkdown = (summaries: ReadonlyArray<RowSummary>, teacher: ReadonlyArray<TeacherHealth>, label: (row: string) => string): string[] => {
  const lines: string[] = [];
  const checks = systemsChecks(summaries);
  if (checks.length > 0) lines.push('## Each system X against Ours(X)', '', 'Each requirement is a one-sided test over the seeds (Welch for differences; one-sample for h, over the seeds\' h), Holm-corrected over this table at α = 0.05.', '', '| requirement | this run | holds? |', '|---|---|---|', ...checks.map((c) => `| ${c.requirement} | ${measuredWithP(c)} | ${holdsCell(c)} |`), '');
  const k = kAblation(summaries);
  if (k.length > 0) {
    lines.push(
      '## The K ablation (R², method with K decoders)',
      '',
      '| K | R² rot | mean R² | rot − K=2 (Welch two-sided p, Holm) | called? |',
      '|---|---|---|---|---|',
      ...k.map((l) => `| ${l.k} | ${formatSummary(l.rotation)} | ${formatSummary(l.mean)} | ${l.versusK2 ? `${l.versusK2.difference >= 0 ? '+' : ''}${l.versusK2.difference.toFixed(3)} (p ${formatP(l.versusK2.p)}, Holm ${formatP(l.versusK2.pHolm)})` : '–'} | ${l.versusK2 ? (l.versusK2.called ? 'yes' : 'no') : '–'} |`),
      '',
    );
  }
  if (teacher.length > 0) {
    lines.push(
      '## Teacher health (iBOT, DINOv2)',
      '',
      `Mean teacher entropy and KL(teacher ‖ student) over the first and last tenth of steps, and the student's cls loss H + KL over the last tenth. The marginal entropy is that of the batch-mean teacher distribution: a sharp teacher (low entropy per image) is healthy while the images spread over the prototypes (high marginal entropy). A run trains when its final entropy is more than ${entropyMargin} nats below log K (uniform), its final marginal entropy above ${entropyMargin} (below it one prototype takes every image; runs that did not log it need the per-image entropy above ${entropyMargin}, “one-hot teacher” otherwise), and its student's loss ends more than ${entropyMargin} nats below log K, the loss of a student that predicts nothing; otherwise its row measures a collapse.`,
      '',
      '| row | seed | log K | entropy first → last | marginal first → last | KL first → last | student loss (last) | verdict |',
      '|---|---|---|---|---|---|---|---|',
      ...teacher.map((t) => `| ${t.row} | ${t.seed} | ${t.logK.toFixed(2)} | ${t.entropy.first.toFixed(2)} → ${t.entropy.last.toFixed(2)} | ${t.marginal === undefined ? '–' : `${t.marginal.first.toFixed(2)} → ${t.marginal.last.toFixed(2)}`} | ${t.kl.first.toFixed(3)} → ${t.kl.last.toFixed(3)} | ${t.studentLoss.toFixed(2)} | ${t.verdict === 'trains' ? 'trains' : `**${t.verdict}**`} |`),
      '',
    );
  }
  const beside = summaries.filter((s) => paperNumbers[s.name] !== undefined);
  if (beside.length > 0) {
    const cell = (v?: number) => (v === undefined ? '–' : v.toFixed(3));
    lines.push(
      '## The paper beside this run',
      '',
      "The paper's R² come from ViT-S/16 or ViT-L pretrained for hundreds of epochs on ImageNet at 224 px; ours from vit-micro after a few hundred steps on 32-px images: compare the direction and size of each gap, not the levels.",
      '',
      '| row | paper (model) rot / colour / blur / trans / mean | this run rot / colour / blur / trans / mean |',
      '|---|---|---|',
      ...beside.map((s) => {
        const p = paperNumbers[s.name]!;
        return `| ${label(s.name)} | ${families.map((f) => cell(p.r2[f])).join(' / ')} (${p.model}) | ${families.map((f) => cell(Number.isNaN(s.r2[f].mean) ? undefined : s.r2[f].mean)).join(' / ')} |`;
      }),
      '',
    );
  }
  return lines;
};
