/** Image folders: decoding and resizing, class sub-folders, corrupt images with and without skipCorrupt. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BatchStream, openDataset, splitEntries } from '../src/index.js';
import { leftOf, registry, tempDir, unwrap } from './helpers.js';

const solid = (file: string, rgb: [number, number, number], size = 8) =>
  sharp({ create: { width: size, height: size, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).png().toFile(file);

const makeFolder = async (corrupt: boolean) => {
  const dir = tempDir('folder');
  mkdirSync(join(dir, 'cats'));
  mkdirSync(join(dir, 'dogs'));
  await solid(join(dir, 'cats', 'a.png'), [255, 0, 0], 10);
  await solid(join(dir, 'cats', 'b.png'), [0, 255, 0]);
  await solid(join(dir, 'dogs', 'c.png'), [0, 0, 255]);
  await solid(join(dir, 'dogs', 'd.png'), [255, 255, 255]);
  if (corrupt) writeFileSync(join(dir, 'dogs', 'broken.png'), 'not a png at all');
  return dir;
};

describe('image-folder splits', () => {
  // 3 classes of 10, 5 and 1 files
  const entries = [
    ...Array.from({ length: 10 }, (_, i) => ({ file: `a${i}`, label: 0 })),
    ...Array.from({ length: 5 }, (_, i) => ({ file: `b${i}`, label: 1 })),
    { file: 'c0', label: 2 },
  ];

  it('train and test are disjoint, cover the folder, and hold round(testFraction · n) of every class in test', () => {
    const train = splitEntries(entries, 'train', 0.2, 7);
    const test = splitEntries(entries, 'test', 0.2, 7);
    const names = (xs: { file: string }[]) => xs.map((e) => e.file);
    expect(new Set([...names(train), ...names(test)]).size).toBe(16);
    expect(names(train).filter((f) => names(test).includes(f))).toEqual([]);
    // round(0.2·10) = 2, round(0.2·5) = 1, round(0.2·1) = 0
    expect([0, 1, 2].map((l) => test.filter((e) => e.label === l).length)).toEqual([2, 1, 0]);
    expect([0, 1, 2].map((l) => train.filter((e) => e.label === l).length)).toEqual([8, 4, 1]);
  });

  it('is seeded, and the first files of a split are not one class (shuffled order)', () => {
    expect(splitEntries(entries, 'test', 0.2, 7)).toEqual(splitEntries(entries, 'test', 0.2, 7));
    expect(splitEntries(entries, 'train', 0.2, 7)).not.toEqual(splitEntries(entries, 'train', 0.2, 8));
    const firstLabels = new Set(splitEntries(entries, 'train', 0.2, 7).slice(0, 8).map((e) => e.label));
    expect(firstLabels.size).toBeGreaterThan(1);
    expect(splitEntries(entries, 'all', 0.2, 7)).toEqual(entries);
  });

  it('an unlabelled folder is split as one group; an empty split is an error naming the folder', async () => {
    const unlabelled = entries.map((e) => ({ ...e, label: undefined }));
    expect(splitEntries(unlabelled, 'test', 0.25, 0)).toHaveLength(4);
    const dir = await makeFolder(false);
    const train = unwrap(await openDataset(registry, { name: 'image-folder', dir, size: 4, split: 'train', testFraction: 0.5 })());
    const test = unwrap(await openDataset(registry, { name: 'image-folder', dir, size: 4, split: 'test', testFraction: 0.5 })());
    expect([train.size, test.size]).toEqual([2, 2]);
    expect(test.source).toContain('test split');
    const empty = leftOf(await openDataset(registry, { name: 'image-folder', dir, size: 4, split: 'test', testFraction: 0 })());
    expect(empty.message).toContain(dir);
    expect(empty.message).toContain('empty');
  });
});

describe('image-folder with train/ and test/ sub-folders', () => {
  // train/ holds cats (red) and dogs (blue); test/ holds only dogs (white): its label must still be dogs'
  const makeSplitFolder = async () => {
    const dir = tempDir('presplit');
    for (const d of ['train/cats', 'train/dogs', 'test/dogs']) mkdirSync(join(dir, d), { recursive: true });
    await solid(join(dir, 'train', 'cats', 'a.png'), [255, 0, 0]);
    await solid(join(dir, 'train', 'cats', 'b.png'), [255, 0, 0]);
    await solid(join(dir, 'train', 'dogs', 'c.png'), [0, 0, 255]);
    await solid(join(dir, 'test', 'dogs', 'd.png'), [255, 255, 255]);
    return dir;
  };

  it('split: train and test read the sub-folders, labels by class name; all reads both; testFraction is unused', async () => {
    const dir = await makeSplitFolder();
    const open = async (split: string) => unwrap(await openDataset(registry, { name: 'image-folder', dir, size: 2, split, testFraction: 0.9 })());
    const [train, test, all] = [await open('train'), await open('test'), await open('all')];
    expect([train.size, test.size, all.size]).toEqual([3, 1, 4]);
    expect(train.classNames).toEqual(['cats', 'dogs']);
    expect(test.classNames).toEqual(['cats', 'dogs']);
    expect(test.source).toBe(join(dir, 'test'));
    const b = unwrap(await test.read([0])());
    expect(Array.from(b.labels!)).toEqual([1]);
    expect(Array.from(b.pixels.subarray(0, 3))).toEqual([1, 1, 1]);
    const labels = Array.from(unwrap(await train.read([0, 1, 2])()).labels!).sort();
    expect(labels).toEqual([0, 0, 1]);
  });

  it('a test/ class that train/ lacks is an error naming test/ and the class', async () => {
    const dir = await makeSplitFolder();
    mkdirSync(join(dir, 'test', 'birds'));
    await solid(join(dir, 'test', 'birds', 'e.png'), [0, 255, 0]);
    const err = leftOf(await openDataset(registry, { name: 'image-folder', dir, size: 2, split: 'test' })());
    expect(err.message).toBe(`${join(dir, 'test')}: holds classes train/ does not (birds); give test/ the class sub-folders of train/`);
  });
});

describe('image-folder', () => {
  it('decodes, resizes and labels images by sub-folder', async () => {
    const dir = await makeFolder(false);
    const ds = unwrap(await openDataset(registry, { name: 'image-folder', dir, size: 4 })());
    expect(ds.classNames).toEqual(['cats', 'dogs']);
    expect(ds.size).toBe(4);
    const b = unwrap(await ds.read([0, 2])());
    expect(Array.from(b.labels!)).toEqual([0, 1]);
    expect(Array.from(b.pixels.subarray(0, 3))).toEqual([1, 0, 0]);
    expect(Array.from(b.pixels.subarray(48, 51))).toEqual([0, 0, 1]);
    expect(b.pixels).toHaveLength(2 * 4 * 4 * 3);
  });

  it('an undecodable image is a CorruptImage error naming the file', async () => {
    const dir = await makeFolder(true);
    const ds = unwrap(await openDataset(registry, { name: 'image-folder', dir, size: 4 })());
    const err = leftOf(await ds.read([2])());
    expect(err._tag).toBe('CorruptImage');
    expect(err.message).toMatch(new RegExp(`^${join(dir, 'dogs', 'broken.png')}: cannot decode image .*set skipCorrupt: true`));
  });

  it('with skipCorrupt the image is skipped, counted, and the batch is still full', async () => {
    const dir = await makeFolder(true);
    const ds = unwrap(await openDataset(registry, { name: 'image-folder', dir, size: 4, skipCorrupt: true })());
    const s = new BatchStream(ds, { batchSize: 4, rng: Rng.seeded(0), shuffle: false });
    const b = unwrap(await s.next())!;
    expect(b.images.shape).toEqual([4, 4, 4, 3]);
    expect(b.indices).toEqual([0, 1, 3, 4]);
    expect(s.skipped).toBe(1);
    tf.dispose([b.images, b.labels!]);
  });

  it('an unlabelled folder, a missing folder and an empty folder', async () => {
    const flat = tempDir('flat');
    await solid(join(flat, 'x.png'), [10, 20, 30]);
    const ds = unwrap(await openDataset(registry, { name: 'image-folder', dir: flat, size: 2, channels: 1 })());
    expect(ds.classNames).toBeUndefined();
    expect(ds.imageShape).toEqual([2, 2, 1]);
    expect(leftOf(await openDataset(registry, { name: 'image-folder', dir: '/no/such/dir' })()).message).toBe('/no/such/dir: no such directory');
    const empty = tempDir('empty');
    expect(leftOf(await openDataset(registry, { name: 'image-folder', dir: empty })()).message).toMatch(/: no images found \(extensions \.png/);
  });

  it('a bad config field is reported with its path', async () => {
    const err = leftOf(await openDataset(registry, { name: 'image-folder', dir: '.', size: -3 }, 'pretrain.data')());
    expect(err.message).toBe('pretrain.data.size: expected positive integer, got -3');
  });
});
