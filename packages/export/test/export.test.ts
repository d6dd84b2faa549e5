/**
 * `equissl export`: a two-step pretrained ViT (with a linear neck) exported
 * through the command as safetensors and as TF.js weights; the tensors, their
 * names and the metadata; the TF.js folder loaded the browser's way and run
 * with docs/export.md's forward pass; the safetensors file loaded into the
 * PyTorch reference ViT by tools/reference/export_to_torch.py, whose features
 * must equal equissl's within 1e-4; and the error messages.
 */
import { type NamedArray, decodeSafetensors } from '@equissl/core';
import { loadEncoder } from '@equissl/encoder';
import { pretrain } from '@equissl/pipeline';
import { standardRegistry } from '@equissl/standard';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { named, torchMissing as missingTorch } from '../../../tools/test-data.js';
import { encoderFormat, exportEncoder } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const main = join(root, 'packages', 'cli', 'src', 'main.ts');
const script = join(root, 'tools', 'reference', 'export_to_torch.py');
const reference = join(root, '..', 'shared', 'bench', 'torch_reference.py');
const python = '/usr/bin/python3';

const equissl = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', main, ...args], { encoding: 'utf8', env: { ...process.env, EQUISSL_BACKEND: 'wasm' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(standardRegistry());

/** Why the PyTorch comparison cannot run here, or undefined when it can. */
const torchMissing = missingTorch(reference);

const out = mkdtempSync(join(tmpdir(), 'equissl-export-'));
const checkpoint = join(out, 'checkpoint.safetensors');
const spec = { imageSize: 16, patchSize: 4, dim: 16, depth: 2, heads: 2, mlpRatio: 2 };

beforeAll(async () => {
  const r = await pretrain(
    {
      steps: 2,
      batchSize: 8,
      data: { name: 'procedural', count: 32, size: 16 },
      backbone: { name: 'vit', ...spec },
      neck: 'linear',
      reconstruction: 'off',
    },
    registry,
    { out },
  )();
  if (E.isLeft(r)) throw new Error(r.left.message);
  r.right.model.dispose();
});

const read = (file: string) => {
  const bytes = readFileSync(file);
  const r = decodeSafetensors(file, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

/** The fixed batch of export_to_torch.py: element k of the flattened NHWC batch = 0.5 sin(0.11 k + 0.2) + 0.5. */
const wave = (shape: [number, number, number, number]) => tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => 0.5 * Math.sin(0.11 * k + 0.2) + 0.5), shape);

/** equissl's backbone (and neck) features of the fixed batch, from the checkpoint. */
const equisslFeatures = async (batch: number) => {
  const frozen = await loadEncoder(checkpoint, registry)();
  if (E.isLeft(frozen)) throw new Error(frozen.left.message);
  const model = frozen.right.encoder;
  const images = wave([batch, 16, 16, 3]);
  const enc = model.backbone.forward(images);
  const necked = model.neck(enc);
  const f = { cls: enc.cls.arraySync(), patches: enc.patches.arraySync(), neckCls: necked.cls.arraySync(), neckPatches: necked.patches.arraySync() };
  tf.dispose([images, enc.cls, enc.patches, necked.cls, necked.patches]);
  model.dispose();
  return f;
};

const maxAbsDiff = (a: unknown, b: unknown): number => {
  const fa = [a].flat(3) as number[];
  const fb = [b].flat(3) as number[];
  expect(fa.length).toBe(fb.length);
  return fa.reduce((m, v, i) => Math.max(m, Math.abs(v - fb[i]!)), 0);
};

const expectedNames = [
  'encoder.patchEmbed.weight',
  'encoder.patchEmbed.bias',
  'encoder.clsToken',
  'encoder.posEmbed',
  'encoder.maskToken',
  ...[0, 1].flatMap((i) =>
    ['norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias'].map(
      (n) => `encoder.blocks.${i}.${n}`,
    ),
  ),
  'encoder.norm.weight',
  'encoder.norm.bias',
  'neck.weight',
  'neck.bias',
];

describe('equissl export --format safetensors', () => {
  const file = join(out, 'encoder.safetensors');
  let exported: { tensors: ReadonlyMap<string, NamedArray>; metadata: Readonly<Record<string, string>> };

  beforeAll(() => {
    const r = equissl('export', checkpoint);
    expect(r.stderr).toMatch(/^backend wasm/m);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('exported 33 tensors, ');
    expect(r.stdout).toContain('ViT D=16 depth=2 heads=2 patch=4 image=16, neck linear (step 2)');
    expect(r.stdout).toContain(`wrote ${file}\n`);
    exported = read(file);
  });

  it('holds the backbone and the neck under the documented names and shapes, with the checkpoint\'s values', () => {
    expect([...exported.tensors.keys()]).toEqual(expectedNames);
    const shape = (n: string) => [...exported.tensors.get(n)!.shape];
    expect(shape('encoder.patchEmbed.weight')).toEqual([48, 16]);
    expect(shape('encoder.posEmbed')).toEqual([1, 17, 16]);
    expect(shape('encoder.blocks.1.attn.qkv.weight')).toEqual([16, 48]);
    expect(shape('encoder.blocks.0.mlp.fc1.weight')).toEqual([16, 32]);
    expect(shape('encoder.blocks.0.mlp.fc2.weight')).toEqual([32, 16]);
    expect(shape('neck.weight')).toEqual([16, 16]);
    const ckpt = read(checkpoint).tensors;
    for (const [name, t] of exported.tensors) expect(t.data).toEqual(ckpt.get(`param/${name}`)!.data);
  });

  it('describes the architecture in its metadata', () => {
    const m = exported.metadata;
    expect(m['format']).toBe(encoderFormat);
    expect(JSON.parse(m['architecture']!)).toEqual({ type: 'vit', ...spec, channels: 3, mlpHidden: 32, patches: 16, layerNormEps: 1e-6, activation: 'gelu' });
    expect(JSON.parse(m['input']!)).toEqual({ layout: 'NHWC', range: [0, 1], imageShape: [16, 16, 3] });
    expect(m['neck']).toBe('linear');
    expect(JSON.parse(m['split']!)).toEqual({ dInv: 8, dEqui: 8 });
    expect(JSON.parse(m['backbone']!)).toMatchObject({ name: 'vit', ...spec });
    expect(JSON.parse(m['source']!)).toEqual({ checkpoint, step: 2 });
    expect(JSON.parse(m['config']!)).toMatchObject({ neck: 'linear', steps: 2 });
  });

  it.skipIf(torchMissing !== undefined)(named("loads into the PyTorch reference ViT, whose features equal equissl's within 1e-4", torchMissing), async () => {
    const json = join(out, 'torch-features.json');
    const r = spawnSync(python, [script, file, '--batch', '3', '--out', json, '--threads', '1'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^torch .*: ViT D=16 depth=2 heads=2; cls \[3, 16\], patches \[3, 16, 16\]/);
    const torch = JSON.parse(readFileSync(json, 'utf8')) as { cls: number[][]; patches: number[][][]; neck: { cls: number[][]; patches: number[][][]; split: unknown } };
    const ours = await equisslFeatures(3);
    const diffs = {
      cls: maxAbsDiff(ours.cls, torch.cls),
      patches: maxAbsDiff(ours.patches, torch.patches),
      neckCls: maxAbsDiff(ours.neckCls, torch.neck.cls),
      neckPatches: maxAbsDiff(ours.neckPatches, torch.neck.patches),
    };
    process.stderr.write(`export vs PyTorch, max |Δ|: ${JSON.stringify(diffs)}\n`);
    for (const d of Object.values(diffs)) expect(d).toBeLessThan(1e-4);
    expect(torch.neck.split).toEqual({ dInv: 8, dEqui: 8 });
  });
});

describe('equissl export --format tfjs', () => {
  const dir = join(out, 'web');

  it('writes model.json and a shard that TF.js loads over "HTTP"; docs/export.md\'s forward pass gives equissl\'s features', async () => {
    const r = equissl('export', checkpoint, '--format', 'tfjs', '--out', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${join(dir, 'model.json')}\nwrote ${join(dir, 'group1-shard1of1.bin')}\n`);
    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);

    // the browser's loader, with files for fetch
    const fetchFunc = (async (url: string) => new Response(readFileSync(url))) as unknown as typeof fetch;
    const artifacts = await tf.io.http(join(dir, 'model.json'), { fetchFunc }).load!();
    const weights = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
    expect(Object.keys(weights)).toEqual(expectedNames);
    const safetensors = read(join(out, 'encoder.safetensors'));
    for (const [name, t] of safetensors.tensors) {
      expect(weights[name]!.shape).toEqual([...t.shape]);
      expect(weights[name]!.dataSync()).toEqual(t.data);
    }
    const meta = artifacts.userDefinedMetadata as Record<string, unknown>;
    for (const key of ['format', 'neck', 'layout']) expect(meta[key]).toBe(safetensors.metadata[key]);
    for (const key of ['architecture', 'input', 'split', 'backbone', 'source', 'config']) expect(meta[key]).toEqual(JSON.parse(safetensors.metadata[key]!));
    tf.dispose(Object.values(weights));

    // the docs' browser code, extracted and run
    const code = [...readFileSync(join(root, 'docs', 'export.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(code).toHaveLength(1);
    const generated = join(root, 'test', '.generated');
    mkdirSync(generated, { recursive: true });
    writeFileSync(join(generated, 'export-browser.ts'), code[0]!);
    type Doc = {
      loadExportedEncoder: (url: string, fetchFunc?: typeof fetch) => Promise<{ weights: tf.NamedTensorMap; split: unknown }>;
      encoderFeatures: (e: unknown, images: tf.Tensor4D) => { cls: tf.Tensor2D; patches: tf.Tensor3D };
    };
    const doc = (await import(pathToFileURL(join(generated, 'export-browser.ts')).href)) as Doc;
    const encoder = await doc.loadExportedEncoder(join(dir, 'model.json'), fetchFunc);
    expect(encoder.split).toEqual({ dInv: 8, dEqui: 8 });
    const images = wave([3, 16, 16, 3]);
    const f = doc.encoderFeatures(encoder, images);
    const ours = await equisslFeatures(3);
    expect(maxAbsDiff(f.cls.arraySync(), ours.cls)).toBeLessThan(1e-5);
    expect(maxAbsDiff(f.patches.arraySync(), ours.patches)).toBeLessThan(1e-5);
    tf.dispose([images, f.cls, f.patches, ...Object.values(encoder.weights)]);
  });
});

describe('export errors', () => {
  it('an unknown format exits 2 naming the formats', () => {
    const r = equissl('export', checkpoint, '--format', 'onnx');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('equissl: [ConfigError] format: unknown export format "onnx"; choose safetensors or tfjs (see docs/export.md)');
  });

  it('a file that is not a checkpoint exits 1 naming it and saying what export reads', async () => {
    const bogus = join(out, 'notes.txt');
    writeFileSync(bogus, 'not a checkpoint at all');
    const r = equissl('export', bogus);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`equissl: [DataError] ${bogus}: is not a safetensors file (it looks like something else); pass a checkpoint.safetensors written by equissl pretrain\n`);
    // a truncated one gets export's hint
    const cut = join(out, 'cut.safetensors');
    writeFileSync(cut, readFileSync(checkpoint).subarray(0, 200));
    const c = await exportEncoder(registry, cut, { format: 'safetensors' })();
    if (E.isRight(c)) throw new Error('exported a truncated file');
    expect(c.left._tag).toBe('DataError');
    expect(c.left.message).toMatch(/: truncated: .*; export reads the checkpoint\.safetensors that `equissl pretrain` wrote \(e\.g\. out\/pretrain\/checkpoint\.safetensors\)$/);
    expect(c.left.message.startsWith(`${cut}: `)).toBe(true);
  });

  it('an exported encoder, a missing file and the checkpoint as --out are refused as values', async () => {
    const encoder = join(out, 'encoder.safetensors');
    const again = await exportEncoder(registry, encoder, { format: 'safetensors', out: join(out, 'x.safetensors') })();
    expect(again).toEqual(E.left(expect.objectContaining({ _tag: 'DataError', file: encoder })));
    if (E.isLeft(again)) {
      expect(again.left.message).toBe(
        `${encoder}: is not an equissl checkpoint (format ${encoderFormat}); it is already an exported encoder; export reads the checkpoint.safetensors that \`equissl pretrain\` wrote`,
      );
    }
    const missing = join(out, 'nope.safetensors');
    const none = await exportEncoder(registry, missing, { format: 'tfjs' })();
    if (E.isRight(none)) throw new Error('exported a missing file');
    expect(none.left.message).toMatch(new RegExp(`^${missing.replace(/[.]/g, '\\.')}: no such checkpoint file; export reads`));
    const self = await exportEncoder(registry, checkpoint, { format: 'safetensors', out: checkpoint })();
    if (E.isRight(self)) throw new Error('overwrote the checkpoint');
    expect(self.left).toMatchObject({ _tag: 'ConfigError', path: 'out' });
    expect(self.left.message).toContain('is the checkpoint itself; choose another --out');
    const onFile = await exportEncoder(registry, checkpoint, { format: 'tfjs', out: encoder })();
    if (E.isRight(onFile)) throw new Error('wrote a folder over a file');
    expect(onFile.left.message).toBe(`${encoder}: is a file; --format tfjs writes a folder (model.json and .bin shards): pass a folder path with --out`);
  });
});
