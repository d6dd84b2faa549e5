/**
 * Every bad input we know of, through the `equissl` command as a user runs
 * it: the exit code (2 for a config a user must change, 1 for data, files and
 * runs, 70 for a crash) and the words the one-line message must contain —
 * the file, field or tensor, and what to do. No case may print a stack.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'packages', 'cli', 'src', 'main.ts');
const work = mkdtempSync(join(tmpdir(), 'equissl-bad-'));
const at = (...p: string[]) => join(work, ...p);

const equissl = (...args: string[]) =>
  spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, EQUISSL_BACKEND: 'wasm' } });

const tiny = ['--set', 'data={name: procedural, count: 32, size: 16}', '--set', 'batchSize=8', '--set', 'backbone={name: vit, dim: 16, depth: 1, heads: 2}', '--set', 'reconstruction.decoder.channels=8'];

/** A PNG of 8×8 grey pixels (written by hand: signature, IHDR, IDAT, IEND). */
const png = (): Buffer => Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000008000000080800000000e164e1570000000e4944415478da636018059400003c0001f4e8e3bd3a0000000049454e44ae426082',
  'hex',
);

beforeAll(() => {
  writeFileSync(at('bad.yaml'), 'steps: [1, 2\n');
  mkdirSync(at('empty'));
  mkdirSync(at('truncated-png', 'a'), { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(at('truncated-png', 'a', `${i}.png`), png());
  writeFileSync(at('truncated-png', 'a', 'broken.png'), png().subarray(0, 30));
  mkdirSync(at('text-jpg', 'a'), { recursive: true });
  for (let i = 0; i < 4; i++) writeFileSync(at('text-jpg', 'a', `${i}.png`), png());
  writeFileSync(at('text-jpg', 'a', 'notes.jpg'), 'these are notes, not a JPEG\n');
  // IDX: 2 images of 4×4 declared; the header cut short, and the body cut short
  const header = Buffer.from([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 4]);
  writeFileSync(at('idx-header.idx'), header.subarray(0, 10));
  writeFileSync(at('idx-body.idx'), Buffer.concat([header, Buffer.alloc(20)]));
  writeFileSync(at('picture.png'), png());
  writeFileSync(at('a-file'), 'x');
});

/** [name, arguments (after setup), exit code, words the message must contain]. */
const cases: ReadonlyArray<readonly [string, () => string[], number, ReadonlyArray<string>]> = [
  ['bad YAML', () => ['pretrain', '--config', at('bad.yaml'), '--out', at('o1')], 2, ['bad.yaml']],
  ['unknown field', () => ['pretrain', '--set', 'loss.simCoef=5', '--out', at('o2')], 2, ['loss.simCoef: unknown field; known fields']],
  ['wrong type', () => ['pretrain', '--set', 'optimizer.lr=fast', '--out', at('o3')], 2, ['optimizer.lr', '"fast"']],
  ['unknown plugin', () => ['pretrain', '--set', 'loss.name=byol', '--out', at('o4')], 2, ['loss.name: unknown loss plugin "byol"', 'known loss plugins']],
  ['empty folder', () => ['pretrain', '--set', `data={name: image-folder, dir: ${at('empty')}, size: 16}`, '--out', at('o5')], 1, [at('empty'), 'no images found']],
  ['truncated PNG', () => ['pretrain', ...tiny, '--set', `data={name: image-folder, dir: ${at('truncated-png')}, size: 8, testFraction: 0}`, '--set', 'batchSize=5', '--out', at('o6')], 1, ['broken.png', 'skipCorrupt']],
  ['text file named .jpg', () => ['pretrain', ...tiny, '--set', `data={name: image-folder, dir: ${at('text-jpg')}, size: 8, testFraction: 0}`, '--set', 'batchSize=5', '--out', at('o7')], 1, ['notes.jpg']],
  ['truncated IDX header', () => ['pretrain', '--set', `data={name: idx, images: ${at('idx-header.idx')}}`, '--out', at('o8')], 1, ['idx-header.idx', 'truncated IDX header']],
  ['truncated IDX body', () => ['pretrain', '--set', `data={name: idx, images: ${at('idx-body.idx')}}`, '--out', at('o9')], 1, ['idx-body.idx', 'truncated', 'skipCorrupt: true']],
  ['truncated checkpoint', () => ['eval', at('truncated.safetensors'), '--out', at('o10')], 1, ['truncated.safetensors', 'truncated']],
  ['a PNG passed as a checkpoint', () => ['eval', at('picture.png'), '--out', at('o11')], 1, ['picture.png', 'is not a safetensors file (it looks like a PNG image)']],
  ['unwritable output folder', () => ['eval', at('run', 'checkpoint.safetensors'), '--out', '/proc/equissl-out'], 1, ['/proc/equissl-out', 'cannot write results here']],
  ['output path that is a file', () => ['eval', at('run', 'checkpoint.safetensors'), '--out', at('a-file')], 1, ['a-file', 'it is a file, not a folder']],
  ['batch larger than the data', () => ['pretrain', '--set', 'data.count=10', '--set', 'batchSize=16', '--out', at('o12')], 2, ['batchSize: 16 is more than the 10 images', 'lower batchSize']],
  ['batch of one with a variance-based loss', () => ['pretrain', '--set', 'batchSize=1', '--out', at('o13')], 2, ['batchSize: 1 is too small for loss "vicreg"']],
  ['a fresh run into a folder holding a run', () => ['pretrain', ...tiny, '--steps', '1', '--out', at('run')], 1, ['holds a run', '--resume', '--overwrite']],
  ['resume changing the model', () => ['pretrain', '--resume', '--set', 'backbone.dim=32', '--out', at('run')], 2, ['backbone.dim: cannot change on --resume']],
  ['resume without a checkpoint', () => ['pretrain', '--resume', '--out', at('nothing')], 1, ['no such checkpoint file', 'run without --resume']],
  ['a learning rate that blows up', () => ['pretrain', ...tiny, '--set', 'optimizer={lr: 100, warmupSteps: 0}', '--steps', '40', '--out', at('o14')], 1, ['NonFiniteLoss']],
  ['unknown reproduce system', () => ['reproduce', '--systems', 'sie,byol', '--out', at('o15')], 2, ['--systems: unknown system "byol"']],
  ['reproduce data that cannot fill a batch', () => ['reproduce', '--data', `{name: image-folder, dir: ${at('truncated-png')}, size: 8}`, '--out', at('o16')], 2, ['fewer than one batch of 64']],
];

describe('bad inputs through the CLI', () => {
  beforeAll(() => {
    // a finished tiny run: a checkpoint to evaluate, truncate and resume
    const r = equissl('pretrain', ...tiny, '--steps', '1', '--out', at('run'));
    expect(r.status, r.stderr).toBe(0);
    const bytes = readFileSync(at('run', 'checkpoint.safetensors'));
    writeFileSync(at('truncated.safetensors'), bytes.subarray(0, Math.floor(bytes.length / 2)));
  }, 120_000);

  it.each(cases)('%s', (_name, args, code, words) => {
    const r = equissl(...args());
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('equissl:'));
    expect(lines, r.stderr).toHaveLength(1);
    for (const w of words) expect(lines[0]).toContain(w);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.status).toBe(code);
  }, 120_000);
});
