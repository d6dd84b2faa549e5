/** Batch streams: epochs visit each image once, order by seed, exact resume from state. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { BatchStream, openProcedural } from '../src/index.js';
import { unwrap } from './helpers.js';

const ds = openProcedural({ count: 10, size: 4, seed: 0, split: 'train' });

const take = async (s: BatchStream, n: number) => {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const b = unwrap(await s.next())!;
    out.push([...b.indices]);
    tf.dispose([b.images, b.labels!]);
  }
  return out;
};

describe('BatchStream', () => {
  it('visits every image once per epoch in a seeded order, dropping the incomplete batch', async () => {
    const s = new BatchStream(ds, { batchSize: 3, rng: Rng.seeded(1) });
    const epoch0 = (await take(s, 3)).flat();
    expect(new Set(epoch0).size).toBe(9);
    const next = unwrap(await s.next())!;
    expect(s.currentEpoch).toBe(1);
    expect(next.images.shape).toEqual([3, 4, 4, 3]);
    expect(next.labels!.dtype).toBe('int32');
    tf.dispose([next.images, next.labels!]);
    const again = new BatchStream(ds, { batchSize: 3, rng: Rng.seeded(1) });
    expect((await take(again, 3)).flat()).toEqual(epoch0);
    const other = new BatchStream(ds, { batchSize: 3, rng: Rng.seeded(2) });
    expect((await take(other, 3)).flat()).not.toEqual(epoch0);
  });

  it('resumes exactly from its state', async () => {
    const a = new BatchStream(ds, { batchSize: 4, rng: Rng.seeded(5) });
    await take(a, 3);
    const b = new BatchStream(ds, { batchSize: 4, rng: Rng.seeded(99) }, a.state());
    expect(await take(b, 4)).toEqual(await take(a, 4));
  });

  it('in order without shuffling, keeping the last partial batch, and stops after the epochs', async () => {
    const s = new BatchStream(ds, { batchSize: 4, rng: Rng.seeded(0), shuffle: false, epochs: 1 });
    const seen: number[][] = [];
    for await (const b of s) {
      const batch = unwrap(b);
      seen.push([...batch.indices]);
      tf.dispose([batch.images, batch.labels!]);
    }
    expect(seen).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(E.isRight(await s.next())).toBe(true);
  });
});
