/** The homography suite in reports: report.md's table and the figure's corner drawing, against hand-computed values. */
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { homography, results } from '../../../tools/homography-fixtures.js';
import { homographyOverlay, homographyPresentation } from '@equissl/eval';
import { writeHomographyFigure } from '../src/homography-figure.js';
import { reportMarkdown } from '../src/report.js';

const presentations = [homographyPresentation];


describe('report.md', () => {
  it('names both phases of a fine-tuned run, its learning-rate ratio and the head-only MCE', () => {
    const h = homography(4.1, { mode: 'finetune', finetuneLrScale: 0.01, finetuneSteps: 7, mceHeadOnly: 4.3 });
    const md = reportMarkdown('t', [{ label: 'method', results: results(h) }], presentations);
    expect(md).toContain('3 steps of the head on the frozen encoder, then 7 steps of head and encoder together, the encoder at 0.01× the head\'s learning rate');
    expect(md).toContain('| method, head on the frozen encoder (before fine-tuning) | 4.30 |');
    expect(md).toContain('| method, fine-tuned | 4.10 |');
    expect(reportMarkdown('t', [{ label: 'method', results: results(homography(4.1)) }], presentations)).toContain('encoder frozen, 3 steps');
  });

  it('lists the references, the untrained encoder and the checkpoint with their MCE', () => {
    const md = reportMarkdown('t', [{ label: 'method', results: results(homography(4.256, { mceUntrained: 4.5 })) }], presentations);
    expect(md).toContain('| zero offsets (trivial predictor) | 6.00 |');
    expect(md).toContain('| CNN trained from scratch on pixels | 5.00 |');
    expect(md).toContain('| untrained encoder (same config, eval seed) — for method | 4.50 |');
    expect(md).toContain('| method | 4.26 |');
    // the paper's numbers belong to the lab's reports, not to a user's evaluation
    expect(md).not.toContain('paper');
    expect(md).toContain('corners perturbed by up to ρ = 1 px');
    // a homography-only report names no readout: the head reads the patch tokens
    expect(md).toContain('Data: d.');
    expect(md).not.toContain('Features: readout');
  });
});

describe('homography.png', () => {
  it('draws A, the true and the predicted corners at the pixel centres (scale 6, margin 1)', async () => {
    const h = homography(1);
    const { width, height, svg } = homographyOverlay(h.examples, 4);
    // 8 + 6·6 + 8 + 4·6 + 8 wide; header 20 + 8 + one row of 6·6 + 8
    expect([width, height]).toEqual([84, 72]);
    // A's corners (0,0) … (3,3) one pixel in: x = 8 + (0 + 1 + 0.5)·6 = 17 … 8 + (3 + 1 + 0.5)·6 = 35; y = 28 + 9 = 37 … 55
    expect(svg).toContain('points="17,37 35,37 35,55 17,55" fill="none" stroke="white"');
    // true offsets are zero: the green quadrilateral is A's square; the predicted TL corner is 1 px to the right
    expect(svg).toContain('points="17,37 35,37 35,55 17,55" fill="none" stroke="#00c000"');
    expect(svg).toContain('points="23,37 35,37 35,55 17,55" fill="none" stroke="#ff2020"');
    const file = join(mkdtempSync(join(tmpdir(), 'equissl-homography-')), 'homography.png');
    const written = await writeHomographyFigure(file, h.examples, 4)();
    expect(E.isRight(written)).toBe(true);
    const meta = await sharp(file).metadata();
    expect([meta.width, meta.height]).toEqual([84, 72]);
  });
});
