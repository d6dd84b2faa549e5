/** IDX and CIFAR binary readers: exact values, truncated files, missing paths, skipCorrupt. */
import { Rng } from '@equissl/core';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { fashionMnistMissing, named } from '../../../tools/test-data.js';
import { BatchStream, fashionMnistClasses, openDataset } from '../src/index.js';
import { leftOf, registry, tempDir, unwrap } from './helpers.js';

const idxFile = (dims: number[], data: number[]): Uint8Array => {
  const header = new Uint8Array(4 + 4 * dims.length);
  header.set([0, 0, 8, dims.length]);
  const view = new DataView(header.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return new Uint8Array([...header, ...data]);
};

/** Three 2×2 images with pixels 0..11 (×10) and labels 2, 0, 1. */
const writeIdx = (dir: string, gz: boolean, truncate = 0) => {
  const images = idxFile([3, 2, 2], Array.from({ length: 12 }, (_, i) => i * 10));
  const labels = idxFile([3], [2, 0, 1]);
  const ext = gz ? '.gz' : '';
  const img = images.subarray(0, images.length - truncate);
  writeFileSync(join(dir, `train-images-idx3-ubyte${ext}`), gz ? gzipSync(img) : img);
  writeFileSync(join(dir, `train-labels-idx1-ubyte${ext}`), gz ? gzipSync(labels) : labels);
};

describe('idx', () => {
  for (const gz of [false, true]) {
    it(`reads ${gz ? 'gzipped' : 'plain'} IDX files exactly, gray replicated to RGB`, async () => {
      const dir = tempDir('idx');
      writeIdx(dir, gz);
      const ds = unwrap(await openDataset(registry, { name: 'idx', dir })());
      expect(ds.size).toBe(3);
      expect(ds.imageShape).toEqual([2, 2, 3]);
      const b = unwrap(await ds.read([1])());
      expect(Array.from(b.pixels).map((v) => Math.round(v * 255))).toEqual([40, 40, 40, 50, 50, 50, 60, 60, 60, 70, 70, 70]);
      expect(Array.from(b.labels!)).toEqual([0]);
    });
  }

  it('keeps one channel when asked', async () => {
    const dir = tempDir('idx1');
    writeIdx(dir, false);
    const ds = unwrap(await openDataset(registry, { name: 'idx', dir, channels: 1 })());
    const b = unwrap(await ds.read([2])());
    expect(Array.from(b.pixels).map((v) => Math.round(v * 255))).toEqual([80, 90, 100, 110]);
  });

  it('holds out the last images of the training file as a validation cut: train is the rest, test the cut, the test file unread', async () => {
    const dir = tempDir('idxval');
    writeIdx(dir, false);
    const train = unwrap(await openDataset(registry, { name: 'idx', dir, channels: 1, validation: 1 })());
    const val = unwrap(await openDataset(registry, { name: 'idx', dir, channels: 1, validation: 1, split: 'test' })());
    expect([train.size, val.size]).toEqual([2, 1]);
    expect(val.source).toContain('validation cut: its last 1 images');
    // the cut's image 0 is the file's image 2 ([80, 90, 100, 110], label 1); train's are images 0 and 1 (labels 2, 0)
    const v = unwrap(await val.read([0])());
    expect(Array.from(v.pixels).map((x) => Math.round(x * 255))).toEqual([80, 90, 100, 110]);
    expect(Array.from(v.labels!)).toEqual([1]);
    expect(Array.from(unwrap(await train.read([0, 1])()).labels!)).toEqual([2, 0]);
    const tooBig = leftOf(await openDataset(registry, { name: 'idx', dir, validation: 3 })());
    expect(tooBig.message).toContain('too few for a validation cut of 3');
  });

  it('pads with zero pixels on every side', async () => {
    const dir = tempDir('idxpad');
    writeIdx(dir, false);
    const ds = unwrap(await openDataset(registry, { name: 'idx', dir, channels: 1, pad: 1 })());
    expect(ds.imageShape).toEqual([4, 4, 1]);
    const b = unwrap(await ds.read([2])());
    // image 2 is [[80, 90], [100, 110]] inside a one-pixel border of zeros
    expect(Array.from(b.pixels).map((v) => Math.round(v * 255))).toEqual([0, 0, 0, 0, 0, 80, 90, 0, 0, 100, 110, 0, 0, 0, 0, 0]);
  });

  it('a truncated file is a DataError naming it; skipCorrupt uses the complete records', async () => {
    const dir = tempDir('idxt');
    writeIdx(dir, false, 3);
    const err = leftOf(await openDataset(registry, { name: 'idx', dir })());
    expect(err._tag).toBe('DataError');
    expect(err.message).toContain(join(dir, 'train-images-idx3-ubyte'));
    expect(err.message).toContain('truncated: the header declares 3 records of 4 bytes');
    const ds = unwrap(await openDataset(registry, { name: 'idx', dir, skipCorrupt: true })());
    expect(ds.size).toBe(2);
    expect(ds.dropped).toBe(1);
  });

  it('a truncated gzip file is a DataError naming it', async () => {
    const dir = tempDir('idxgz');
    writeIdx(dir, true);
    const file = join(dir, 'train-images-idx3-ubyte.gz');
    const whole = gzipSync(idxFile([3, 2, 2], Array.from({ length: 12 }, (_, i) => i)));
    writeFileSync(file, whole.subarray(0, whole.length - 6));
    const err = leftOf(await openDataset(registry, { name: 'idx', dir })());
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}: corrupt or truncated gzip data`));
  });

  it('a missing folder says where it looked and how to get the data', async () => {
    const err = leftOf(await openDataset(registry, { name: 'idx', dir: '/nonexistent/fmnist', split: 'test' })());
    expect(err.message).toBe(
      "/nonexistent/fmnist/t10k-images-idx3-ubyte.gz: no such file (also tried: /nonexistent/fmnist/t10k-images-idx3-ubyte); install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or set \"dir\" / \"images\" / \"labels\"",
    );
  });

  it('a truncated images file the user names is the error, whatever the default folder holds', async () => {
    const dir = tempDir('idxuser');
    writeIdx(dir, false, 3);
    const images = join(dir, 'train-images-idx3-ubyte');
    const err = leftOf(await openDataset(registry, { name: 'idx', images, dir: '/nonexistent/fmnist' })());
    expect(err.message).toBe(
      `${images}: truncated: the header declares 3 records of 4 bytes (28 bytes) but the file has 25 bytes (2 complete records); restore the file or set skipCorrupt: true to use the complete records`,
    );
  });

  it('a whole images file without its labels names both files and the "labels" option', async () => {
    const dir = tempDir('idxnolabels');
    writeIdx(dir, false);
    const images = join(dir, 'train-images-idx3-ubyte');
    const err = leftOf(await openDataset(registry, { name: 'idx', images, dir: '/nonexistent/fmnist' })());
    expect(err.message).toBe(
      `/nonexistent/fmnist/train-labels-idx1-ubyte.gz: no such file (also tried: /nonexistent/fmnist/train-labels-idx1-ubyte); the labels for the images ${images} are looked for in "dir" (/nonexistent/fmnist) unless "labels" names them; set "labels" to the labels file of those images`,
    );
  });

  it('a file that is not IDX is named with its magic bytes', async () => {
    const dir = tempDir('idxbad');
    writeFileSync(join(dir, 'x.bin'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]));
    writeIdx(dir, false);
    const err = leftOf(await openDataset(registry, { name: 'idx', images: join(dir, 'x.bin'), labels: join(dir, 'train-labels-idx1-ubyte') })());
    expect(err.message).toBe(`${join(dir, 'x.bin')}: not an unsigned-byte IDX file (magic 89 50 4e 47, expected 00 00 08 0N)`);
  });

  describe.skipIf(fashionMnistMissing !== undefined)(named('Fashion-MNIST from Debian', fashionMnistMissing), () => {
    it('streams the test split with its class names', async () => {
      const ds = unwrap(await openDataset(registry, { name: 'idx', split: 'test' })());
      expect(ds.size).toBe(10000);
      expect(ds.imageShape).toEqual([28, 28, 3]);
      expect(ds.classNames).toEqual(fashionMnistClasses);
      const s = new BatchStream(ds, { batchSize: 8, rng: Rng.seeded(0) });
      const b = unwrap(await s.next())!;
      expect(b.images.shape).toEqual([8, 28, 28, 3]);
      const labels = Array.from(b.labels!.dataSync());
      expect(labels.every((l) => l >= 0 && l < 10)).toBe(true);
      const max = b.images.max().dataSync()[0]!;
      expect(max).toBeGreaterThan(0.5);
      expect(max).toBeLessThanOrEqual(1);
      b.images.dispose();
      b.labels!.dispose();
    });
  });
});

/** A CIFAR-10 record whose pixel (p, channel c) is (p + 50·c) mod 256. */
const cifarRecord = (label: number, extra?: number): number[] => {
  const pix = Array.from({ length: 3072 }, (_, i) => ((i % 1024) + 50 * Math.floor(i / 1024)) % 256);
  return extra === undefined ? [label, ...pix] : [extra, label, ...pix];
};

describe('cifar-binary', () => {
  it('converts channel-planar records to HWC and reads labels across files', async () => {
    const dir = tempDir('cifar');
    writeFileSync(join(dir, 'a.bin'), new Uint8Array([...cifarRecord(3), ...cifarRecord(7)]));
    writeFileSync(join(dir, 'b.bin'), new Uint8Array(cifarRecord(9)));
    const ds = unwrap(await openDataset(registry, { name: 'cifar-binary', files: [join(dir, 'a.bin'), join(dir, 'b.bin')] })());
    expect(ds.size).toBe(3);
    expect(ds.classNames?.[9]).toBe('truck');
    const b = unwrap(await ds.read([2, 0])());
    expect(Array.from(b.labels!)).toEqual([9, 3]);
    // pixel 5 of image 0 (index 2): R = 5, G = 55, B = 105
    expect(Array.from(b.pixels.subarray(15, 18)).map((v) => Math.round(v * 255))).toEqual([5, 55, 105]);
  });

  it('reads CIFAR-100 fine or coarse labels', async () => {
    const dir = tempDir('cifar100');
    writeFileSync(join(dir, 'train.bin'), new Uint8Array(cifarRecord(42, 7)));
    const fine = unwrap(await openDataset(registry, { name: 'cifar-binary', dir, variant: 'cifar100' })());
    expect(Array.from(unwrap(await fine.read([0])()).labels!)).toEqual([42]);
    const coarse = unwrap(await openDataset(registry, { name: 'cifar-binary', dir, variant: 'cifar100', label: 'coarse' })());
    expect(Array.from(unwrap(await coarse.read([0])()).labels!)).toEqual([7]);
  });

  it('a truncated file is a DataError naming it; skipCorrupt keeps the complete records', async () => {
    const dir = tempDir('cifart');
    const file = join(dir, 'test_batch.bin');
    writeFileSync(file, new Uint8Array([...cifarRecord(1), ...cifarRecord(2).slice(0, 100)]));
    const err = leftOf(await openDataset(registry, { name: 'cifar-binary', dir, split: 'test' })());
    expect(err.message).toBe(
      `${file}: truncated or not a CIFAR binary file: 3173 bytes is not a multiple of the 3073-byte record (1 complete records, 100 bytes left over); restore the file or set skipCorrupt: true to use the complete records`,
    );
    const ds = unwrap(await openDataset(registry, { name: 'cifar-binary', dir, split: 'test', skipCorrupt: true })());
    expect([ds.size, ds.dropped]).toEqual([1, 1]);
  });

  it('a missing file is named', async () => {
    const err = leftOf(await openDataset(registry, { name: 'cifar-binary', dir: '/nope', split: 'test' })());
    expect(err.message).toBe('/nope/test_batch.bin: no such file or directory');
  });
});
