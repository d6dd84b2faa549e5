/** report.md and the figures hold what the presentations given present: the built-in sections, a suite's own, and no paper numbers. */
import type { EvaluationResults, LabelledResults, SuitePresentation } from '@equissl/eval';
import { equivariancePresentation, homographyPresentation, probesPresentation } from '@equissl/eval';
import * as E from 'fp-ts/lib/Either.js';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFigure } from '../src/figures.js';
import { reportMarkdown, writeReport } from '../src/report.js';

const results: EvaluationResults = {
  checkpoint: 'c.safetensors',
  step: 3,
  features: 'clsmean-full',
  data: 'd',
  equivariance: [{ task: 'rotation', paramNames: ['angleDeg'], r2: 0.5, r2PerDimension: [0.5] }],
  meanR2: 0.5,
  knnAccuracy: 0.25,
};

/** A suite's own presentation: a section with one line per entry, and a chart. */
const own: SuitePresentation = {
  id: 'steps',
  markdown: (entries) => ['## Steps', '', ...entries.map((e) => `- ${e.label}: step ${e.results.step}`), ''],
  figures: (entries) => [{ kind: 'chart', file: 'steps.png', spec: { data: { values: entries.map((e) => ({ label: e.label, step: e.results.step })) }, mark: 'bar', encoding: { x: { field: 'label', type: 'nominal' }, y: { field: 'step', type: 'quantitative' } } } }],
  summary: (r) => [`step = ${r.step}`],
};

const entries: LabelledResults[] = [{ label: 'method', results }];

describe('reportMarkdown', () => {
  it('renders the sections in the order of the presentations, then what was evaluated', () => {
    const md = reportMarkdown('t', entries, [own, equivariancePresentation, probesPresentation, homographyPresentation], 'a preamble');
    const headings = md.split('\n').filter((l) => l.startsWith('#'));
    expect(headings).toEqual(['# t', '## Steps', '## Equivariance (R² of θ from frozen features, SIE protocol)', '## Invariant tasks (top-1 accuracy, %)']);
    expect(md).toContain('| method | 0.500 | 0.500 |');
    expect(md).toContain('| method | – | 25.0 |');
    expect(md).toContain('- method: step 3');
    expect(md.endsWith('Features: readout `clsmean-full`; data: d.\n\n- method: `c.safetensors` (step 3)\n')).toBe(true);
    expect(md).not.toContain('paper');
  });

  it('holds no section of a suite it was not given', () => {
    expect(reportMarkdown('t', entries, [probesPresentation])).not.toContain('Equivariance');
  });
});

describe('writeReport', () => {
  it('writes results.json, report.md and every figure the presentations draw', async () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-report-'));
    const files = await writeReport(out, 't', entries, [equivariancePresentation, probesPresentation, own])();
    if (E.isLeft(files)) throw new Error(files.left.message);
    expect(files.right.map((f) => f.slice(out.length + 1))).toEqual(['results.json', 'report.md', 'r2.png', 'accuracy.png', 'steps.png']);
    for (const f of files.right) expect(existsSync(f)).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, unknown>[];
    expect(json[0]).toMatchObject({ label: 'method', meanR2: 0.5, equivariance: [{ task: 'rotation', r2: 0.5 }] });
  });

  it('refuses a chart whose spec is no Vega-Lite spec, naming its file', async () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-report-'));
    const r = await writeFigure(out, { kind: 'chart', file: 'x.png', spec: { title: 'no view' } })();
    expect(E.isLeft(r) && r.left.message).toBe(`${join(out, 'x.png')}: not a Vega-Lite spec: it has none of mark, layer, facet, repeat, concat, hconcat, vconcat`);
  });
});
