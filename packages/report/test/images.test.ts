/** Image grids: tiles where expected, and column labels drawn in a band above them. */
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { writeImageGrid } from '../src/index.js';

const pixels = async (file: string) => {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
};

describe('writeImageGrid', () => {
  it('places a black tile at its cell and labels the columns above the first row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'equissl-grid-'));
    const black = tf.zeros([4, 4, 3]) as tf.Tensor3D;
    const white = tf.ones([4, 4, 3]) as tf.Tensor3D;
    const plain = join(dir, 'plain.png');
    const labelled = join(dir, 'labelled.png');
    expect(E.isRight(await writeImageGrid(plain, [[white, black]], { scale: 4, gap: 2 })())).toBe(true);
    expect(E.isRight(await writeImageGrid(labelled, [[white, black]], { scale: 4, gap: 2, columns: ['v1', 'rec1'] })())).toBe(true);
    const a = await pixels(plain);
    const b = await pixels(labelled);
    // 2 tiles of 16 px and 3 gaps; the labels add an 18 px band
    expect([a.width, a.height]).toEqual([38, 20]);
    expect([b.width, b.height]).toEqual([38, 38]);
    const at = (p: typeof a, x: number, y: number) => p.data[(y * p.width + x) * p.channels]!;
    // the black tile: column 1 starts at x = 2 + 16 + 2
    expect(at(a, 25, 10)).toBe(0);
    expect(at(b, 25, 18 + 10)).toBe(0);
    // text drawn in the band: some pixel of it is dark, none in the unlabelled grid's first rows
    let dark = 0;
    for (let y = 0; y < 18; y++) for (let x = 0; x < b.width; x++) if (at(b, x, y) < 128) dark++;
    expect(dark).toBeGreaterThan(5);
    tf.dispose([black, white]);
  });
});
