/** Image folders: decoding and resizing, class sub-folders, corrupt images with and without skipCorrupt. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BatchStream, openDataset } from '../src/index.js';
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
