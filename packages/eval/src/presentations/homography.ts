/**
 * The homography suite's presentation: one table of Mean Corner Error (the
 * references first, then each entry), the figure `homography.png` of the
 * first entry that kept example pairs, and the printed
 * `homography MCE (…) = …` line.
 *
 * @since 0.2.0
 */
import type { EvaluationResults } from '../evaluate.js';
import { homographyTraining } from '../homography.js';
import type { Figure, LabelledResults, SuitePresentation } from '../presentation.js';
import { tableCell } from './bars.js';
import { homographyFigure } from './homography-figure.js';

const px = (x: number | undefined): string => tableCell(x, 2);

/** The rows of one entry: its untrained reference, its head-only phase, itself. */
const entryRows = (e: LabelledResults): string[] => {
  const h = e.results.homography!;
  return [
    ...(h.mceUntrained !== undefined ? [`| untrained encoder (same config, eval seed) — for ${e.label} | ${px(h.mceUntrained)} |`] : []),
    ...(h.mceHeadOnly !== undefined ? [`| ${e.label}, head on the frozen encoder (before fine-tuning) | ${px(h.mceHeadOnly)} |`] : []),
    `| ${e.label}${h.mode === 'finetune' ? ', fine-tuned' : ''} | ${px(h.mce)} |`,
  ];
};

/** The section of `report.md`: one table, the references first, then each entry. */
export const homographyMarkdown = (entries: ReadonlyArray<LabelledResults>): string[] => {
  const scored = entries.filter((e) => e.results.homography !== undefined);
  const first = scored[0]?.results.homography;
  if (first === undefined) return [];
  return [
    '## Homography estimation (Mean Corner Error, px; lower is better)',
    '',
    `Pairs of ${first.size}×${first.size} grey crops, corners perturbed by up to ρ = ${first.rho} px; a 3-layer convolutional head on the patch tokens of both crops regresses the 8 corner offsets (${homographyTraining(first)}); ${first.trainPairs} training pairs, ${first.testPairs} test pairs.`,
    '',
    '| configuration | MCE (px) |',
    '|---|---|',
    `| zero offsets (trivial predictor) | ${px(first.mceZero)} |`,
    ...(first.mceScratch !== undefined ? [`| CNN trained from scratch on pixels | ${px(first.mceScratch)} |`] : []),
    ...scored.flatMap(entryRows),
    '',
  ];
};

/** `homography.png`: the pairs of the first entry that kept some. */
export const homographyFigures = (entries: ReadonlyArray<LabelledResults>): Figure[] => {
  const h = entries.find((e) => (e.results.homography?.examples.length ?? 0) > 0)?.results.homography;
  return h === undefined ? [] : [homographyFigure('homography.png', h.examples, h.size)];
};

/** The printed line: the MCE beside its references. */
export const homographySummary = (r: EvaluationResults): string[] => {
  const h = r.homography;
  if (h === undefined) return [];
  const refs = [`zero offsets ${h.mceZero.toFixed(2)}`, ...(h.mceScratch !== undefined ? [`from scratch ${h.mceScratch.toFixed(2)}`] : []), ...(h.mceUntrained !== undefined ? [`untrained ${h.mceUntrained.toFixed(2)}`] : [])];
  return [`homography MCE (${h.mode}) = ${h.mce.toFixed(2)} px (${refs.join(', ')})`];
};

/** The homography suite's presentation; its head reads the patch tokens, not the headline readout. */
export const homographyPresentation: SuitePresentation = {
  id: 'homography',
  markdown: homographyMarkdown,
  figures: homographyFigures,
  summary: homographySummary,
  readsFeatures: false,
};
