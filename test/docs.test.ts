/**
 * The docs' examples compile and run: every ```ts block of docs/*.md that
 * exports `main` is extracted, type-checked with the workspace's compiler
 * settings and executed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const generated = join(root, 'test', '.generated');

/** Extracts the ```ts blocks of a markdown file that export `main`. */
export const examples = (markdown: string): string[] =>
  [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((code) => /export const main\b/.test(code));

/** Type-checks one file with the workspace settings; returns the diagnostics as text. */
const typecheck = (file: string): string[] => {
  const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram([file], { ...parsed.options, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
};

const extract = (doc: string): string => {
  const blocks = examples(readFileSync(join(root, 'docs', doc), 'utf8'));
  expect(blocks).toHaveLength(1);
  mkdirSync(generated, { recursive: true });
  const file = join(generated, doc.replace(/\.md$/, '.ts'));
  writeFileSync(file, blocks[0]!);
  return file;
};

describe('docs/writing-a-loss.md', () => {
  const file = extract('writing-a-loss.md');

  it('type-checks', () => {
    expect(typecheck(file)).toEqual([]);
  });

  it('runs: registers the cosine and bootstrap losses and pretrains two steps with each', async () => {
    type Run = { values: number[]; stepsDone: number; hasTeacher: boolean };
    const mod = (await import(pathToFileURL(file).href)) as { main: () => Promise<{ built: boolean; losses: number[]; stepsDone: number; teacher: Run }> };
    const r = await mod.main();
    expect(r.built).toBe(true);
    expect(r.stepsDone).toBe(2);
    expect(r.losses).toHaveLength(2);
    for (const cos of r.losses) expect(Math.abs(cos)).toBeLessThanOrEqual(1);
    // the loss with a teacher got one, and its agreement is a cosine
    expect(r.teacher.hasTeacher).toBe(true);
    expect(r.teacher.stepsDone).toBe(2);
    for (const cos of r.teacher.values) expect(Math.abs(cos)).toBeLessThanOrEqual(1 + 1e-6);
  });
});

describe('docs/composing-a-pipeline.md', () => {
  const file = extract('composing-a-pipeline.md');

  it('type-checks', () => {
    expect(typecheck(file)).toEqual([]);
  });

  it('runs: its own data, path, loss and evaluation in one program', async () => {
    const mod = (await import(pathToFileURL(file).href)) as { main: () => Promise<{ stepsDone: number; r2: number; classes: string[] }> };
    const r = await mod.main();
    expect(r.stepsDone).toBe(4);
    expect(Number.isFinite(r.r2)).toBe(true);
    expect(r.r2).toBeLessThanOrEqual(1);
  });
});

describe('docs/examples/*.yaml', () => {
  it.each(['method.yaml', 'baseline.yaml', 'sie.yaml', 'ibot.yaml', 'dinov2.yaml', 'stl.yaml'])('%s decodes and builds its model', async (name) => {
    const { decodePretrainConfig, buildModel, standardRegistry } = await import('@equissl/pipeline');
    const YAML = (await import('yaml')).default;
    const config = decodePretrainConfig(YAML.parse(readFileSync(join(root, 'docs', 'examples', name), 'utf8')));
    if (config._tag === 'Left') throw new Error(config.left.message);
    const registry = standardRegistry();
    if (registry._tag === 'Left') throw new Error(registry.left.message);
    const model = buildModel(config.right, registry.right, [32, 32, 3]);
    if (model._tag === 'Left') throw new Error(model.left.message);
    expect(model.right.reconstruction === undefined).toBe(name === 'baseline.yaml' || name === 'stl.yaml');
    expect(model.right.teacher !== undefined).toBe(name === 'ibot.yaml' || name === 'dinov2.yaml');
    model.right.dispose();
  });
});

describe('docs/losses/*.md', () => {
  it.each(['sie', 'ibot', 'dinov2', 'stl'])('%s.md: the defaults table is the plugin\'s defaults, every field listed', async (name) => {
    const { standardRegistry } = await import('@equissl/pipeline');
    const registry = standardRegistry();
    if (registry._tag === 'Left') throw new Error(registry.left.message);
    const decoded = registry.right.decode('loss', { name });
    if (decoded._tag === 'Left') throw new Error(decoded.left.message);
    const page = readFileSync(join(root, 'docs', 'losses', `${name}.md`), 'utf8');
    const table = Object.fromEntries([...page.matchAll(/^\| `(\w+)` \| `([^`]*)` \|/gm)].map((m) => [m[1]!, JSON.parse(m[2]!)]));
    expect(table).toEqual(decoded.right.config);
  });
});

describe('docs/results/reproduce/preset-*.json (the preset, for the PyTorch mirror)', () => {
  it.each(['baseline', 'method'] as const)('preset-%s.json is reproduce’s config at seed 0', async (row) => {
    const { decodePretrainConfig } = await import('@equissl/pipeline');
    const { reproduceConfigs, presetSteps } = await import('@equissl/lab');
    const raw = JSON.parse(readFileSync(join(root, 'docs', 'results', 'reproduce', `preset-${row}.json`), 'utf8'));
    const fromFile = decodePretrainConfig(raw);
    const fromPreset = decodePretrainConfig(reproduceConfigs({ seed: 0, steps: presetSteps, workers: 2 })[row]);
    if (fromFile._tag === 'Left' || fromPreset._tag === 'Left') throw new Error('does not decode');
    expect(fromFile.right).toEqual(fromPreset.right);
  });
});

describe('docs/results/*.json (sessions 1–3)', () => {
  // the reproduce config of sessions 1–3 (procedural data, VICReg without projector on half of the cls token)
  const sessions13 = (c: { steps: number; seed: number; workers: number }) => {
    const shared = {
      seed: c.seed,
      steps: c.steps,
      batchSize: 32,
      workers: c.workers,
      data: { name: 'procedural', count: 8192, size: 32 },
      backbone: { name: 'vit-micro' },
      equiFraction: 0.5,
      loss: { name: 'vicreg', variant: 'sie' },
      augment: { name: 'all' },
      path: { name: 'rotation' },
      views: { flip: 0 },
      optimizer: { lr: 5e-4, minLr: 1e-5, weightDecay: 0.05, warmupSteps: Math.max(1, Math.round(c.steps / 20)) },
      checkpointEvery: 100,
    };
    return { baseline: { ...shared, reconstruction: 'off' }, method: { ...shared, reconstruction: { weight: 1, k: 2, decoder: { name: 'conv4', channels: 32 } } } };
  };
  // each experiment of lab/notebook.md: the reproduce config it started from, and what it changed
  const changes: Record<string, (c: Record<string, any>) => unknown> = {
    'baseline-full-vicreg.json': (c) => ({ reconstruction: c.reconstruction, equiFraction: c.equiFraction }),
    'baseline-no-crop.json': (c) => ({ reconstruction: c.reconstruction, cropScale: c.views.cropScale, workers: c.workers }),
    'method-lambda20.json': (c) => ({ weight: c.reconstruction.weight }),
    'method-lambda20-lr2e-3.json': (c) => ({ weight: c.reconstruction.weight, lr: c.optimizer.lr }),
    'method-no-crop.json': (c) => ({ weight: c.reconstruction.weight, cropScale: c.views.cropScale, workers: c.workers }),
    'method-pooled-decoder.json': (c) => ({ decoder: c.reconstruction.decoder }),
    'method-decoder-lr10.json': (c) => ({ weight: c.reconstruction.weight, decoderLrScale: c.optimizer.decoderLrScale }),
    'method-decoder-lr10-lambda10.json': (c) => ({ weight: c.reconstruction.weight, decoderLrScale: c.optimizer.decoderLrScale }),
    'method-1500-steps.json': (c) => ({ steps: c.steps, warmupSteps: c.optimizer.warmupSteps }),
    'baseline-1500-steps.json': (c) => ({ reconstruction: c.reconstruction, steps: c.steps, warmupSteps: c.optimizer.warmupSteps }),
    'method-at-init.json': (c) => ({ steps: c.steps, warmupSteps: c.optimizer.warmupSteps, lr: c.optimizer.lr, workers: c.workers }),
  };
  const expected: Record<string, unknown> = {
    'baseline-full-vicreg.json': { reconstruction: 'off', equiFraction: 0 },
    'baseline-no-crop.json': { reconstruction: 'off', cropScale: [1, 1], workers: 1 },
    'method-lambda20.json': { weight: 20 },
    'method-lambda20-lr2e-3.json': { weight: 20, lr: 2e-3 },
    'method-no-crop.json': { weight: 1, cropScale: [1, 1], workers: 1 },
    'method-pooled-decoder.json': { decoder: { name: 'conv4', channels: 32, input: 'pooled' } },
    'method-decoder-lr10.json': { weight: 1, decoderLrScale: 10 },
    'method-decoder-lr10-lambda10.json': { weight: 10, decoderLrScale: 10 },
    'method-1500-steps.json': { steps: 1500, warmupSteps: 75 },
    'baseline-1500-steps.json': { reconstruction: 'off', steps: 1500, warmupSteps: 75 },
    'method-at-init.json': { steps: 1, warmupSteps: 1, lr: 1e-12, workers: 1 },
  };

  it.each(Object.keys(changes))('%s decodes, and differs from reproduce’s config only where the notebook says', async (name) => {
    const { decodePretrainConfig } = await import('@equissl/pipeline');
    const raw = JSON.parse(readFileSync(join(root, 'docs', 'results', name), 'utf8'));
    const config = decodePretrainConfig(raw);
    if (config._tag === 'Left') throw new Error(config.left.message);
    expect(changes[name]!(raw)).toEqual(expected[name]);
    const base = sessions13({ steps: 600, seed: 0, workers: 2 })[name.startsWith('method') ? 'method' : 'baseline'];
    const decodedBase = decodePretrainConfig(base);
    if (decodedBase._tag === 'Left') throw new Error(decodedBase.left.message);
    const strip = (c: Record<string, any>) => ({
      ...c,
      steps: 0,
      equiFraction: 0,
      reconstruction: 'off',
      workers: 0,
      views: { ...c.views, cropScale: 0, cropRatio: 0 },
      optimizer: { ...c.optimizer, lr: 0, warmupSteps: 0, decoderLrScale: 0 },
    });
    expect(strip(config.right)).toEqual(strip(decodedBase.right));
  });
});

describe('docs/writing-a-plugin.md', () => {
  const file = extract('writing-a-plugin.md');

  it('type-checks', () => {
    expect(typecheck(file)).toEqual([]);
  });

  it('runs: registers the scale family, builds it, rejects a bad field, and draws a path', async () => {
    const mod = (await import(pathToFileURL(file).href)) as { main: () => Record<string, unknown> };
    const r = mod.main();
    expect(r['names']).toContain('scale');
    expect(r['targetShapes']).toEqual([[2, 16, 16, 3], [2, 16, 16, 3]]);
    expect(r['identityError']).toBeLessThan(1e-6);
    expect(r['badMessage']).toBe('pretrain.path.maxLog2: expected non-negative number, got "big"');
    expect(r['defaults']).toEqual({ maxLog2: 0.5 });
    const thetas = r['thetas'] as number[][];
    expect(thetas.every(([s]) => Math.abs(s!) <= 0.3)).toBe(true);
  });
});
