/** Batch streams: epochs visit each image once, order by seed, exact resume from state. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { BatchStream, openProcedural } from '../src/index.js';
import { leftOf, unwrap } from './helpers.js';

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
  it('stops with a named error when one epoch cannot fill a batch, instead of looping forever', async () => {
    const s = new BatchStream(ds, { batchSize: 16, rng: Rng.seeded(1) });
    const e = leftOf(await s.next());
    expect(e._tag).toBe('DataError');
    expect(e.message).toContain('one epoch yields 10 usable image(s), fewer than one batch of 16; lower batchSize or add images');
    // the position did not move: a smaller batch from the same state still works
    expect(s.state().epoch).toBe(0);
  });

  it('counts corrupt images skipped in that epoch in the error', async () => {
    const corrupt = { ...ds, read: (idx: ReadonlyArray<number>) => async () => {
      const r = await ds.read(idx.filter((i) => i % 2 === 0))();
      return E.map((b: Awaited<ReturnType<ReturnType<typeof ds.read>>> extends E.Either<unknown, infer B> ? B : never) => ({ ...b, skipped: idx.filter((i) => i % 2 === 1) }))(r);
    } };
    const s = new BatchStream(corrupt, { batchSize: 8, rng: Rng.seeded(1) });
    expect(leftOf(await s.next()).message).toContain('one epoch yields 5 usable image(s) (5 skipped as corrupt), fewer than one batch of 8');
  });

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
