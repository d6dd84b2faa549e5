/**
 * The paper's reference numbers live in the lab: reproduce's report prints
 * Table 2 beside runs with R², and the homography numbers beside runs scored
 * on homography estimation; a user's `equissl eval` report prints neither.
 */
import { equivariancePresentation, homographyPresentation, probesPresentation } from '@equissl/eval';
import { type ReproduceRun, paperHomography, paperTable2, reproduceMarkdown, summariseRow } from '@equissl/lab';
import { reportMarkdown } from '@equissl/report';
import { describe, expect, it } from 'vitest';
import { homography } from '../tools/homography-fixtures.js';

const results = {
  checkpoint: 'c',
  step: 10,
  features: 'clsmean-full' as const,
  data: 'd',
  equivariance: ['rotation', 'colour', 'blur', 'translation'].map((task) => ({ task, paramNames: ['p'], r2: 0.5, r2PerDimension: [0.5] })),
  meanR2: 0.5,
};
const run = (seed: number, extra: object = {}): ReproduceRun => ({ row: 'method', seed, steps: 10, curve: [], results: { ...results, ...extra } });
const context = { rows: ['method'], seeds: [0, 1], steps: 10, data: 'd', labels: {}, workers: 1 };

describe("the paper's numbers", () => {
  it("close reproduce's report: Table 2 with R², the homography numbers with MCE", () => {
    const runs = [run(0, { homography: homography(4) }), run(1, { homography: homography(5) })];
    const md = reproduceMarkdown([summariseRow('method', runs)], runs, context);
    expect(paperTable2).toHaveLength(3);
    expect(md).toContain("## The paper's reference numbers");
    expect(md).toContain('| ours (SIE, all, rot) — paper | 0.998 | 0.923 | 0.969 | 0.980 | 0.968 |');
    expect(md).toContain('| cross-attention reconstruction (2024) — paper | 0.893 | 0.921 | 0.823 | 0.875 | 0.878 |');
    expect(md).toContain(`| ${paperHomography[0].configuration} | 1.42 |`);
    const plain = [run(0), run(1)];
    const r2Only = reproduceMarkdown([summariseRow('method', plain)], plain, context);
    expect(r2Only).toContain('| SIE(all) — paper | 0.331 | 0.899 | 0.211 | 0.925 | 0.592 |');
    expect(r2Only).not.toContain('Ours(DINOv2) — paper');
  });

  it("are not in a user's evaluation report", () => {
    const md = reportMarkdown('t', [{ label: 'x', results: { ...results, homography: homography(4), knnAccuracy: 0.5 } }], [equivariancePresentation, probesPresentation, homographyPresentation]);
    expect(md).toContain('## Equivariance');
    expect(md).toContain('## Homography estimation');
    expect(md).not.toContain('paper');
  });
});
