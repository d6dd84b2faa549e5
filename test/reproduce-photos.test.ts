/**
 * `equissl reproduce --preset photos` as a user runs it: from a folder that
 * holds `data/scenes32` (cut by tools/make-crops.ts from Debian's Lomiri
 * wallpapers, a few crops per photo), a tiny run of every row; and from a
 * folder without it, an error that says how to make the data.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lomiriPhotos, named, photosMissing } from '../tools/test-data.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'packages', 'cli', 'src', 'main.ts');
const tsx = import.meta.resolve('tsx');

/** The command run from `cwd` (where the preset's relative data folder is looked for). */
const equissl = (cwd: string, ...args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', tsx, main, ...args], { cwd, encoding: 'utf8', env: { ...process.env, EQUISSL_BACKEND: 'wasm' } });

describe('reproduce --preset photos', () => {
  it('without data/scenes32 says how to cut it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'equissl-nophotos-'));
    const r = equissl(empty, 'reproduce', '--preset', 'photos', '--steps', '2', '--seeds', '1', '--out', join(empty, 'out'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('photos reads data/scenes32, which does not exist here');
    expect(r.stderr).toContain('tools/make-crops.ts --out data/scenes32');
  });

  it.skipIf(photosMissing !== undefined)(named('trains and scores every row on scene crops whose train and test come from disjoint regions', photosMissing), () => {
    const work = mkdtempSync(join(tmpdir(), 'equissl-photos-'));
    const crops = spawnSync(
      process.execPath,
      ['--import', tsx, join(root, 'tools', 'make-crops.ts'), '--out', join(work, 'data', 'scenes32'), '--size', '32', '--per-image', '4', '--test-per-image', '2', '--min-side', '0.4', '--max-side', '0.7', '--regions', '0.6', '--src', ...lomiriPhotos()],
      { encoding: 'utf8' },
    );
    expect(crops.status, crops.stderr).toBe(0);
    const out = join(work, 'out');
    const r = equissl(work, 'reproduce', '--preset', 'photos', '--steps', '2', '--seeds', '1', '--workers', '1', '--eval-scale', '0.02', '--out', out);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).toContain('reproduce: run 3 of 3: method, seed 0, 2 steps');
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as { data: string; rows: { name: string }[] };
    // trained on train/, scored on test/
    expect(json.data).toContain(join('data', 'scenes32'));
    expect(json.rows.map((row) => row.name)).toEqual(['untrained', 'baseline', 'method']);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toContain('| R²(rotation), MLP: method not below the untrained control |');
    // the Fashion-MNIST accuracy targets are not rows of a photo comparison
    expect(report).not.toContain('baseline linear ≥ 80 %');
  });
});
