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

describe('docs/writing-a-suite.md', () => {
  const file = extract('writing-a-suite.md');

  it('type-checks', () => {
    expect(typecheck(file)).toEqual([]);
  });

  it('runs: a new suite plugin, registered, evaluated beside k-NN, its field in the results', async () => {
    const mod = (await import(pathToFileURL(file).href)) as { main: () => Promise<{ brightnessR2?: number; knnAccuracy?: number }> };
    const r = await mod.main();
    expect(Number.isFinite(r.brightnessR2)).toBe(true);
    expect(r.brightnessR2!).toBeLessThanOrEqual(1);
    expect(r.knnAccuracy! >= 0 && r.knnAccuracy! <= 1).toBe(true);
  });
});

describe('docs/examples/*.yaml', () => {
  it.each(['method.yaml', 'baseline.yaml', 'sie.yaml', 'ibot.yaml', 'dinov2.yaml', 'stl.yaml'])('%s decodes and builds its model', async (name) => {
    const { buildModel } = await import('@equissl/pipeline');
    const { decodePretrainConfig } = await import('@equissl/encoder');
    const { standardRegistry } = await import('@equissl/standard');
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
    const { standardRegistry } = await import('@equissl/standard');
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
    const { decodePretrainConfig } = await import('@equissl/encoder');
    const { reproduceConfigs, presetSteps } = await import('@equissl/lab');
    const raw = JSON.parse(readFileSync(join(root, 'docs', 'results', 'reproduce', `preset-${row}.json`), 'utf8'));
    const fromFile = decodePretrainConfig(raw);
    const fromPreset = decodePretrainConfig(reproduceConfigs({ seed: 0, steps: presetSteps, workers: 2 })[row]);
    if (fromFile._tag === 'Left' || fromPreset._tag === 'Left') throw new Error('does not decode');
    expect(fromFile.right).toEqual(fromPreset.right);
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
