/**
 * How a suite presents its results: its section of `report.md` (markdown
 * lines from the labelled results of one or more evaluated checkpoints), its
 * figures (Vega-Lite charts, or an image with an SVG overlay, written by
 * `@equissl/report`), and the lines `equissl eval` prints. A suite carries
 * its presentation (`EvalSuite.presentation`), so a new suite's numbers
 * reach the report and the printout with the suite itself: nothing else
 * names its fields.
 *
 * This package only describes figures; `@equissl/report` renders them
 * (`writeFigure`), so evaluation does not depend on the renderer.
 *
 * @since 0.2.0
 */
import type { EquisslError, Registry } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { type EvaluationResults, registeredSuites } from './evaluate.js';

/** One evaluated checkpoint's results with the name it has in tables and charts. */
export interface LabelledResults {
  readonly label: string;
  readonly results: EvaluationResults;
}

/** A Vega-Lite spec as plain JSON (`$schema`, `data`, `mark`, `encoding` …); Vega-Lite's compiler checks it when it is rendered. */
export type VegaLiteSpec = { readonly [key: string]: unknown };

/** A chart of the report: a Vega-Lite spec, rendered to PNG. */
export interface ChartFigure {
  readonly kind: 'chart';
  /** The file name in the report folder (`r2.png`). */
  readonly file: string;
  readonly spec: VegaLiteSpec;
}

/** An image of the report: RGB pixels with an SVG drawing of the same size on top, written as PNG. */
export interface RasterFigure {
  readonly kind: 'raster';
  /** The file name in the report folder (`homography.png`). */
  readonly file: string;
  readonly width: number;
  readonly height: number;
  /** `width × height × 3` bytes, row-major. */
  readonly rgb: Uint8Array;
  /** An SVG document of `width × height` drawn over the pixels. */
  readonly overlay: string;
}

/** A figure a suite contributes to the report folder. */
export type Figure = ChartFigure | RasterFigure;

/** A suite's presentation of its results. */
export interface SuitePresentation {
  /**
   * Names the section: suites that share a presentation (the `linear` and
   * `knn` probes share one table) share its id, and a report holds each id
   * once.
   */
  readonly id: string;
  /** Its section of `report.md` for `entries`: none (`[]`) when no entry holds the suite's fields. */
  readonly markdown: (entries: ReadonlyArray<LabelledResults>) => ReadonlyArray<string>;
  /** Its figures for `entries` (none when there is nothing to draw). */
  readonly figures?: (entries: ReadonlyArray<LabelledResults>) => ReadonlyArray<Figure>;
  /** The lines `equissl eval` prints for one checkpoint's results: none when they do not hold the suite's fields. */
  readonly summary: (results: EvaluationResults) => ReadonlyArray<string>;
  /** Whether its numbers come from the evaluation's headline readout (default true; the homography head reads the patch tokens). */
  readonly readsFeatures?: boolean;
}

/** `presentations` with each id once, the first of each kept, in order. */
export const distinctPresentations = (presentations: ReadonlyArray<SuitePresentation>): SuitePresentation[] =>
  presentations.filter((p, i) => presentations.findIndex((q) => q.id === p.id) === i);

/** The printed summary of `results`: every presentation's lines, in order. */
export const summaryLines = (presentations: ReadonlyArray<SuitePresentation>, results: EvaluationResults): string[] =>
  distinctPresentations(presentations).flatMap((p) => [...p.summary(results)]);

/** The report sections of `entries`: every presentation's lines that has some, in order. */
export const reportSections = (presentations: ReadonlyArray<SuitePresentation>, entries: ReadonlyArray<LabelledResults>): string[] =>
  distinctPresentations(presentations).flatMap((p) => [...p.markdown(entries)]);

/** The figures of `entries`, in order. */
export const reportFigures = (presentations: ReadonlyArray<SuitePresentation>, entries: ReadonlyArray<LabelledResults>): Figure[] =>
  distinctPresentations(presentations).flatMap((p) => [...(p.figures?.(entries) ?? [])]);

/** Whether some section with content reads the headline readout (the report then names it). */
export const readsFeatures = (presentations: ReadonlyArray<SuitePresentation>, entries: ReadonlyArray<LabelledResults>): boolean =>
  distinctPresentations(presentations).some((p) => p.readsFeatures !== false && p.markdown(entries).length > 0);

/**
 * The presentations of the suites of `slots` (as given to
 * `evaluateCheckpoint`; default: every registered suite with its default
 * settings), each id once, in order. A suite without a presentation adds
 * none: its fields are in `results.json` only.
 */
export const suitePresentations = (registry: Registry, slots: ReadonlyArray<unknown> = registeredSuites(registry)): E.Either<EquisslError, SuitePresentation[]> => {
  const found: SuitePresentation[] = [];
  for (const [i, slot] of slots.entries()) {
    const suite = registry.create('suite', slot, `suites.${i}`);
    if (E.isLeft(suite)) return suite;
    if (suite.right.presentation !== undefined) found.push(suite.right.presentation);
  }
  return E.right(distinctPresentations(found));
};
