/**
 * tools/make-crops.ts: crop boxes inside their region, train and test strips
 * that share no pixel, exact box copies, and a `--regions` run whose folder the
 * `image-folder` dataset reads as its train and test splits.
 */
import { openDataset } from '@equissl/data';
import { standardRegistry } from '@equissl/standard';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cropBoxes, cutBox, mulberry32, regionSplit, regionWithin } from '../tools/make-crops.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('make-crops', () => {
  it('splits a photo into a left train strip and a right test strip without overlap', () => {
    expect(regionSplit(1000, 0.6)).toEqual({ train: { left: 0, width: 600 }, test: { left: 600, width: 400 } });
  });

  it('--within cuts a validation split from the train strip alone: no pixel of the test strip', () => {
    const cut = regionSplit(1000, 0.6);
    const within = regionWithin(1000, 0.6);
    expect(within).toEqual(cut.train);
    const validation = regionSplit(within.width, 0.6);
    expect(validation).toEqual({ train: { left: 0, width: 360 }, test: { left: 360, width: 240 } });
    expect(validation.test.left + validation.test.width).toBeLessThanOrEqual(cut.test.left);
  });
  it('keeps every box inside its region, its side capped by the region', () => {
    const { train, test } = regionSplit(160, 0.6);
    for (const region of [train, test]) {
      const boxes = cropBoxes(160, 90, 300, 0.4, 0.9, mulberry32(3), region);
      for (const b of boxes) {
        expect(b.left).toBeGreaterThanOrEqual(region.left);
        expect(b.left + b.side).toBeLessThanOrEqual(region.left + region.width);
        expect(b.top + b.side).toBeLessThanOrEqual(90);
        expect(b.side).toBeGreaterThanOrEqual(Math.min(region.width, Math.round(0.4 * 90)));
      }
    }
    // the 64-px test strip caps sides drawn up to 81 px
    expect(Math.max(...cropBoxes(160, 90, 300, 0.4, 0.9, mulberry32(3), test).map((b) => b.side))).toBe(64);
  });

  it('copies a box out of interleaved pixels exactly', () => {
    // a 4×3 image, 2 channels, value = 10·(y·4 + x) + channel
    const data = Uint8Array.from({ length: 24 }, (_, i) => 10 * Math.floor(i / 2) + (i % 2));
    expect(Array.from(cutBox(data, 4, 2, { left: 1, top: 1, side: 2 }))).toEqual([50, 51, 60, 61, 90, 91, 100, 101]);
  });

  it('--regions writes train/ and test/ per photo, which image-folder reads as its splits', async () => {
    const work = mkdtempSync(join(tmpdir(), 'equissl-crops-'));
    for (const [name, hue] of [['sky', 200], ['field', 40]] as const) {
      await sharp({ create: { width: 120, height: 60, channels: 3, background: { r: hue, g: 255 - hue, b: 90 } } }).jpeg().toFile(join(work, `${name}.jpg`));
    }
    const out = join(work, 'crops');
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'tools', 'make-crops.ts'), '--src', work, '--out', out, '--size', '8', '--per-image', '6', '--test-per-image', '2', '--min-side', '0.5', '--max-side', '0.8', '--regions', '0.6'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['test', 'train']);
    expect(readdirSync(join(out, 'train', 'sky'))).toHaveLength(6);
    expect(readdirSync(join(out, 'test', 'field'))).toHaveLength(2);
    expect(existsSync(`${out}.partial`)).toBe(false);
    const registry = standardRegistry();
    if (registry._tag === 'Left') throw new Error(registry.left.message);
    const open = async (split: string) => {
      const d = await openDataset(registry.right, { name: 'image-folder', dir: out, size: 8, split }, 'data')();
      if (d._tag === 'Left') throw new Error(d.left.message);
      return d.right;
    };
    expect([(await open('train')).size, (await open('test')).size]).toEqual([12, 4]);
    expect((await open('test')).classNames).toEqual(['field', 'sky']);
  });
});
