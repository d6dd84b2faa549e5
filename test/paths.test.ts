/** The main job of this stage (`equissl paths`): one PNG strip per family, of the promised size, starting at the identity. */
import { Registry } from '@equissl/core';
import { dataPlugins } from '@equissl/data';
import { familyNames, transformPlugins } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { drawPaths } from '@equissl/cli';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(Registry.empty.registerAll([...dataPlugins, ...transformPlugins]));

describe('equissl paths', () => {
  it('writes a strip per family: rows = images, columns = path points', async () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-paths-'));
    const r = await drawPaths(registry, { out, images: 2, steps: 3, data: { name: 'procedural', size: 16, count: 2 } })();
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.map((s) => s.family)).toEqual([...familyNames]);
    for (const strip of r.right) {
      const meta = await sharp(strip.file).metadata();
      // 16 px tiles ×4, gap 2: 3 columns, 2 rows
      expect([meta.width, meta.height]).toEqual([3 * 64 + 4 * 2, 2 * 64 + 3 * 2]);
      expect(strip.thetas).toHaveLength(2);
    }
    // column 0 of every strip is the untouched image: identical pixels across families (allRot's path starts at its "all" view)
    const firstTile = (file: string) => sharp(file).extract({ left: 2, top: 2, width: 64, height: 64 }).raw().toBuffer();
    const tiles = await Promise.all(r.right.filter((s) => s.family !== 'allRot').map((s) => firstTile(s.file)));
    expect(tiles).toHaveLength(familyNames.length - 1);
    for (const tile of tiles.slice(1)) expect(tile.equals(tiles[0]!)).toBe(true);
  });

  it('an unknown family is refused with the known names', async () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-paths-'));
    const r = await drawPaths(registry, { out, families: ['shear'], data: { name: 'procedural', size: 8, count: 1 } })();
    expect(E.isLeft(r) && r.left.message).toBe('paths.shear.name: unknown transform plugin "shear"; known transform plugins: all, allRot, colorJitter, gaussianBlur, rotation, se2, translation');
  });
});
