/**
 * `equissl explore` without a browser: the site it writes (the page, each
 * model's export with decoders, regressors and curves, the samples, the
 * precomputed paths of every registered family the page does not warp
 * itself, explore.json) and serves on 127.0.0.1, and its errors as one line with
 * eval's words and exit codes — a missing, truncated or non-checkpoint file,
 * checkpoints of two image sizes, data of another size — before
 * anything is written.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurvesFile, RegressorFile, SiteManifest } from '../src/manifest.js';
import { type Explore, equissl, startExplore, tinyCheckpoint } from './run-explore.js';

const work = mkdtempSync(join(tmpdir(), 'equissl-explore-command-'));
let method = '';
let small = '';
const running: Explore[] = [];

beforeAll(async () => {
  method = await tinyCheckpoint(join(work, 'method'), 'method', 2);
  small = await tinyCheckpoint(join(work, 'small'), 'baseline', 1, 8);
});

afterAll(async () => {
  for (const e of running) await e.stop();
});

describe('equissl explore', () => {
  it('writes a static site beside the checkpoint and serves it on 127.0.0.1', async () => {
    const explore = await startExplore(method, '--pairs', '40');
    running.push(explore);
    const site = join(work, 'method', 'explore');
    expect(explore.stderr()).toMatch(/^backend wasm/m);
    expect(explore.stdout()).toContain(`wrote ${site}\nserving ${explore.url} (Ctrl-C to stop)\n`);
    for (const f of ['index.html', 'explore.js', 'explore.css', 'samples.bin', 'models/0/model.json', 'models/0/group1-shard1of1.bin']) expect(existsSync(join(site, f)), f).toBe(true);
    const manifest = JSON.parse(readFileSync(join(site, 'explore.json'), 'utf8')) as SiteManifest;
    expect(manifest).toMatchObject({ format: 'equissl-explore/2', imageShape: [16, 16, 3], samples: { file: 'samples.bin', count: 8 }, upload: { fit: 'cover' }, skipped: [] });
    expect(manifest.samples.source).toContain('procedural');
    // every transform family of the command's registry: its own path first, the ones the page warps, then those computed here
    expect(manifest.families.map((f) => [f.name, f.kind === 'live' ? [f.param, f.max] : f.file])).toEqual([
      ['rotation', ['angleDeg', 45]],
      ['se2', ['angleDeg', 45]],
      ['translation', ['txPx', (10 * 16) / 224]],
      ['all', 'paths/3.bin'],
      ['allRot', 'paths/4.bin'],
      ['colorJitter', 'paths/5.bin'],
      ['gaussianBlur', 'paths/6.bin'],
    ]);
    for (const i of [3, 4, 5, 6]) expect(readFileSync(join(site, 'paths', `${i}.bin`)).length, `paths/${i}.bin`).toBe(8 * 9 * 3 * 16 * 16 * 3 * 4);
    expect(manifest.models).toEqual([{ label: 'method', checkpoint: method, step: 2, targets: 2, model: 'models/0/model.json', regressor: 'models/0/regressor.json', curves: 'models/0/curves.json' }]);
    expect(readFileSync(join(site, 'samples.bin')).length).toBe(8 * 16 * 16 * 3 * 4);
    const reg = JSON.parse(readFileSync(join(site, 'models/0/regressor.json'), 'utf8')) as RegressorFile;
    expect(reg).toMatchObject({ readout: 'clsmean-full', head: 'ridge', trainPairs: 32, testPairs: 8 });
    expect(Object.keys(reg.families)).toEqual(manifest.families.map((f) => f.name));
    expect(explore.stdout()).toMatch(/^method \(step 2\): R²\(rotation\) = -?\d\.\d{3}, R²\(se2\) = .*, R²\(gaussianBlur\) = -?\d\.\d{3}$/m);
    expect(reg.families['translation']!.weights[0]).toHaveLength(2);
    const curves = JSON.parse(readFileSync(join(site, 'models/0/curves.json'), 'utf8')) as CurvesFile;
    expect(curves.points.map((p) => p.step)).toEqual([0, 1]);
    expect(curves.points[0]!.rec).toBeGreaterThan(0);

    // served as files
    const page = await fetch(explore.url);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<script src="explore.js"></script>');
    expect((await fetch(`${explore.url}explore.json`)).ok).toBe(true);
    expect((await fetch(`${explore.url}../method/checkpoint.safetensors`)).status).toBe(404);
  });

  it.each([
    ['a missing checkpoint', () => ['/nowhere/checkpoint.safetensors'], 1, ['equissl: [DataError] /nowhere/checkpoint.safetensors: no such checkpoint file; explore reads the checkpoint.safetensors that `equissl pretrain` wrote']],
    ['a truncated checkpoint', () => [join(work, 'cut.safetensors')], 1, ['cut.safetensors', 'truncated']],
    ['a PNG passed as a checkpoint', () => [join(work, 'picture.png')], 1, ['picture.png', 'is not a safetensors file (it looks like a PNG image)']],
    ['a second checkpoint that is missing', () => [method, join(work, 'none.safetensors')], 1, ['none.safetensors: no such checkpoint file']],
    ['checkpoints of two image sizes', () => [method, small], 2, ['[ConfigError] checkpoints:', 'small/checkpoint.safetensors takes 8×8×3 images', 'explore compares checkpoints trained on the same image size']],
    ['data of another size', () => [method, '--data', '{name: procedural, count: 16, size: 8}'], 1, ['[ShapeMismatch] explore images: the encoder takes 16×16×3 images, the data gives 8×8×3']],
  ] as const)('%s is one line naming it, and nothing is written', (_, args, code, words) => {
    writeFileSync(join(work, 'cut.safetensors'), readFileSync(method).subarray(0, 200));
    writeFileSync(join(work, 'picture.png'), Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
    const out = join(work, `site-${words[0]!.length}`);
    const r = equissl('explore', ...args(), '--out', out, '--port', '0');
    expect(r.code).toBe(code);
    for (const w of words) expect(r.stderr).toContain(w);
    expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('equissl:'))).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });
});
