/** The built-in suites' presentations: report sections, figures and printed lines from fixed results, against exact strings. */
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import {
  type EvaluationResults,
  type LabelledResults,
  equivariancePresentation,
  homographyPresentation,
  probesPresentation,
  readsFeatures,
  reportFigures,
  reportSections,
  suitePresentations,
  summaryLines,
} from '../src/index.js';
import { standardRegistry } from './registry.js';

const base: EvaluationResults = { checkpoint: 'c.safetensors', step: 7, features: 'clsmean-full', data: 'd' };

/** A checkpoint scored on two families (36 of 4096 images: 28 fit, 8 held out) and both probes (full counts). */
const method: EvaluationResults = {
  ...base,
  equivariance: [
    { task: 'rotation', paramNames: ['angleDeg'], r2: 0.5, r2PerDimension: [0.5] },
    { task: 'scale', paramNames: ['log2s', 'shear'], r2: 0.25, r2PerDimension: [0.3, 0.2] },
  ],
  meanR2: 0.375,
  equivarianceImages: { asked: 4096, used: 36, train: 28, test: 8 },
  linearAccuracy: 0.8125,
  knnAccuracy: 0.75,
  probeImages: { asked: 300, used: 300, train: 200, test: 100, askedTrain: 200, askedTest: 100 },
};

const entries: LabelledResults[] = [
  { label: 'method', results: method },
  { label: 'baseline', results: { ...base, equivariance: [{ task: 'rotation', paramNames: ['angleDeg'], r2: 0.125, r2PerDimension: [0.125] }], meanR2: 0.125 } },
];

describe('the equivariance presentation', () => {
  const md = equivariancePresentation.markdown(entries);

  it('has a column per family the entries were scored on, and a row per entry', () => {
    expect(md.slice(0, 6)).toEqual([
      '## Equivariance (R² of θ from frozen features, SIE protocol)',
      '',
      '| configuration | rotation | scale | mean |',
      '|---|---|---|---|',
      '| method | 0.500 | 0.250 | 0.375 |',
      '| baseline | 0.125 | – | 0.125 |',
    ]);
  });

  it('lists R² per parameter and the images used, flagged when fewer than asked and too few held out', () => {
    expect(md).toContain('- method, scale: log2s 0.300, shear 0.200');
    expect(md).toContain('- method: 36 of 4096 images asked (28 to fit, 8 held out) — **the data holds fewer images than asked; R² from fewer than 50 held-out images is not reliable**');
    // results without counts (older runs) list none
    expect(md.filter((l) => l.startsWith('- baseline:'))).toEqual([]);
    expect(md).toContain('Images (the first of the test split; 80 % fit the regressor, 20 % are held out and scored):');
  });

  it('says the regressor fitted on the train split when the counts name train images (fitImages)', () => {
    const fitted: EvaluationResults = { ...method, equivarianceImages: { asked: 20480, used: 15496, train: 11400, test: 4096, askedTrain: 16384, askedTest: 4096 } };
    const only = equivariancePresentation.markdown([{ label: 'method', results: fitted }]);
    const at = only.indexOf('Images (the regressor fits on the first of the train split and scores the first of the test split):');
    expect(only.slice(at + 2, at + 3)).toEqual(['- method: 11400 of 16384 train images asked, 4096 of 4096 test images asked — **the data holds fewer images than asked**']);
    const mixed = equivariancePresentation.markdown([{ label: 'method', results: fitted }, { label: 'older', results: method }]);
    expect(mixed.filter((l) => l.startsWith('Images ('))).toEqual([
      'Images (where train images are named, the regressor fits on the train split and scores the test split; else the first of the test split, 80 % fit the regressor and 20 % are held out and scored):',
    ]);
  });

  it('tables where the angle is kept: rotation by full, invariant and equivariant channels, – where an encoder has no split', () => {
    const split = (full: number, inv?: number, equi?: number) => ({ 'clsmean-full': full, ...(inv === undefined ? {} : { 'clsmean-inv': inv }), ...(equi === undefined ? {} : { 'clsmean-equi': equi }) });
    const withParts: LabelledResults[] = [
      { label: 'method', results: { ...base, equivariance: [{ task: 'rotation', paramNames: ['angleDeg'], r2: 0.5, r2PerDimension: [0.5], byReadout: split(0.75, 0.25, 0.875), byReadoutMlp: split(0.5, 0.125, 0.625) }] } },
      { label: 'baseline', results: { ...base, equivariance: [{ task: 'rotation', paramNames: ['angleDeg'], r2: 0.125, r2PerDimension: [0.125], byReadout: split(0.5) }] } },
    ];
    const lines = equivariancePresentation.markdown(withParts);
    const at = lines.indexOf('### Where the angle is kept (R² of rotation by part of the representation, closed-form ridge)');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 2, at + 6)).toEqual([
      '| configuration | clsmean-full | clsmean-inv | clsmean-equi |',
      '|---|---|---|---|',
      '| method | 0.750 | 0.250 | 0.875 |',
      '| baseline | 0.500 | – | – |',
    ]);
    const mlp = lines.indexOf("### Where the angle is kept (R² of rotation by part of the representation, the suite's regressor)");
    expect(mlp).toBeGreaterThan(0);
    expect(mlp).toBeLessThan(at);
    expect(lines.slice(mlp + 4, mlp + 6)).toEqual(['| method | 0.500 | 0.125 | 0.625 |', '| baseline | – | – | – |']);
    // results without readouts (older runs) have no such table
    expect(md.some((l) => l.startsWith('### Where the angle is kept'))).toBe(false);
  });

  it('prints R² per family, the mean, and the flagged counts', () => {
    expect(equivariancePresentation.summary(method)).toEqual([
      'R²(rotation) = 0.500',
      'R²(scale) = 0.250',
      'mean R² = 0.375',
      'equivariance: 36 of 4096 images asked (28 to fit, 8 held out); the data holds fewer images than asked; R² from fewer than 50 held-out images is not reliable',
    ]);
  });

  it('draws r2.png: a bar per entry and family', () => {
    const [figure, ...more] = equivariancePresentation.figures!(entries);
    expect(more).toEqual([]);
    expect(figure?.kind === 'chart' && figure.file).toBe('r2.png');
    const values = figure?.kind === 'chart' ? (figure.spec['data'] as { values: unknown[] }).values : [];
    expect(values).toEqual([
      { group: 'rotation', label: 'method', value: 0.5 },
      { group: 'scale', label: 'method', value: 0.25 },
      { group: 'rotation', label: 'baseline', value: 0.125 },
    ]);
  });

  it('has nothing to show for results without its fields', () => {
    expect(equivariancePresentation.markdown([{ label: 'x', results: base }])).toEqual([]);
    expect(equivariancePresentation.summary(base)).toEqual([]);
    expect(equivariancePresentation.figures!([{ label: 'x', results: base }])).toEqual([]);
  });
});

describe('the probes presentation', () => {
  it('shows both accuracies in one table, with the images used (not flagged: 100 test images, as many as asked)', () => {
    expect(probesPresentation.markdown(entries)).toEqual([
      '## Invariant tasks (top-1 accuracy, %)',
      '',
      '| configuration | linear probe | k-NN (k = 20) |',
      '|---|---|---|',
      '| method | 81.3 | 75.0 |',
      '',
      'Images (the first of the train split fit the heads, the first of the test split score them):',
      '',
      '- method: 200 of 200 train images asked, 100 of 100 test images asked',
      '',
    ]);
    expect(probesPresentation.summary(method)).toEqual(['linear probe top-1 = 81.3 %', 'k-NN top-1 = 75.0 %']);
  });

  it('flags a test split smaller than asked and below the minimum', () => {
    const short: EvaluationResults = { ...base, knnAccuracy: 0.5, probeImages: { asked: 3072, used: 2084, train: 2048, test: 36, askedTrain: 2048, askedTest: 1024 } };
    expect(probesPresentation.summary(short)).toEqual([
      'k-NN top-1 = 50.0 %',
      'probes: 2048 of 2048 train images asked, 36 of 1024 test images asked; the data holds fewer images than asked; accuracy from fewer than 50 held-out images is not reliable',
    ]);
  });
});

describe('a report of several presentations', () => {
  it('renders each section once (linear and knn share one), in order, and reads the headline readout', () => {
    const presentations = [equivariancePresentation, probesPresentation, probesPresentation, homographyPresentation];
    const sections = reportSections(presentations, entries);
    expect(sections.filter((l) => l.startsWith('## '))).toEqual(['## Equivariance (R² of θ from frozen features, SIE protocol)', '## Invariant tasks (top-1 accuracy, %)']);
    expect(reportFigures(presentations, entries).map((f) => f.file)).toEqual(['r2.png', 'accuracy.png']);
    expect(summaryLines(presentations, method).filter((l) => l.includes('top-1'))).toEqual(['linear probe top-1 = 81.3 %', 'k-NN top-1 = 75.0 %']);
    expect(readsFeatures(presentations, entries)).toBe(true);
    expect(readsFeatures([homographyPresentation], entries)).toBe(false);
  });

  it('takes the presentations from the registry: every suite that has one, each id once', () => {
    const registry = standardRegistry();
    if (E.isLeft(registry)) throw new Error(registry.left.message);
    const all = suitePresentations(registry.right);
    expect(E.isRight(all) && all.right.map((p) => p.id)).toEqual(['equivariance', 'probes', 'homography']);
    const some = suitePresentations(registry.right, ['knn', { name: 'equivariance', families: ['rotation'] }]);
    expect(E.isRight(some) && some.right.map((p) => p.id)).toEqual(['probes', 'equivariance']);
    const bad = suitePresentations(registry.right, [{ name: 'equivariance', families: ['rotation', 'shear'] }]);
    expect(E.isLeft(bad) && bad.left.message).toBe('suite plugin "equivariance": families.1.name: unknown transform plugin "shear"; known transform plugins: all, allRot, colorJitter, gaussianBlur, rotation, se2, translation');
  });
});
