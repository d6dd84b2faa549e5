/**
 * Evaluation reports: `results.json`, `report.md` and the figures, every
 * file written atomically. The report holds what the suites that ran
 * present (`SuitePresentation` of `@equissl/eval`: a section of markdown
 * and figures each), then what was evaluated: the readout, the data and the
 * checkpoints. Nothing here names a suite's fields.
 *
 * @since 0.1.0
 */
import { type EquisslError, writeFileAtomic } from '@equissl/core';
import { type LabelledResults, type SuitePresentation, readsFeatures, reportFigures, reportSections } from '@equissl/eval';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { join } from 'node:path';
import { writeFigure } from './figures.js';

export type { LabelledResults } from '@equissl/eval';

/** What was evaluated: the readout (when a section reads it) and the data, then each checkpoint at its step. */
const evaluatedMarkdown = (entries: ReadonlyArray<LabelledResults>, presentations: ReadonlyArray<SuitePresentation>): string[] => {
  const first = entries[0]?.results;
  const what = first === undefined ? [] : [readsFeatures(presentations, entries) ? `Features: readout \`${first.features}\`; data: ${first.data}.` : `Data: ${first.data}.`, ''];
  return [...what, ...entries.map((e) => `- ${e.label}: \`${e.results.checkpoint}\` (step ${e.results.step})`)];
};

/** The markdown report: the title, the preamble, each presentation's section, then what was evaluated. */
export const reportMarkdown = (title: string, entries: ReadonlyArray<LabelledResults>, presentations: ReadonlyArray<SuitePresentation>, preamble = ''): string => {
  const lines = [`# ${title}`, '', ...(preamble !== '' ? [preamble, ''] : []), ...reportSections(presentations, entries), ...evaluatedMarkdown(entries, presentations)];
  return `${lines.join('\n')}\n`;
};

/** `results.json`: one object per entry, its label first. */
export const evaluationJson = (entries: ReadonlyArray<LabelledResults>): string => `${JSON.stringify(entries.map((e) => ({ label: e.label, ...e.results })), null, 2)}\n`;

/**
 * Writes results.json, report.md and every figure the presentations draw for
 * `entries` (e.g. r2.png, accuracy.png, homography.png) into `out`; returns
 * the files written.
 */
export const writeReport = (
  out: string,
  title: string,
  entries: ReadonlyArray<LabelledResults>,
  presentations: ReadonlyArray<SuitePresentation>,
  preamble = '',
): TE.TaskEither<EquisslError, ReadonlyArray<string>> => {
  const [json, md] = [join(out, 'results.json'), join(out, 'report.md')];
  return pipe(
    writeFileAtomic(json, evaluationJson(entries)),
    TE.flatMap(() => writeFileAtomic(md, reportMarkdown(title, entries, presentations, preamble))),
    TE.flatMap(() => TE.traverseSeqArray((f: Parameters<typeof writeFigure>[1]) => writeFigure(out, f))(reportFigures(presentations, entries))),
    TE.map((figures): ReadonlyArray<string> => [json, md, ...figures]),
    TE.mapLeft((e): EquisslError => e),
  );
};
