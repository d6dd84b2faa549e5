/** reproduce's preset (rows differ only where the comparison says), its summaries and the requirement checks, against hand-computed values. */
import { buildModel } from '@equissl/pipeline';
import { decodePretrainConfig } from '@equissl/encoder';
import { standardRegistry } from '@equissl/standard';
import { Registry } from '@equissl/core';
import { withSplit } from '@equissl/eval';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { run } from './runs.js';
import { comparisonChecks, cpuTeacherTemp, presetSteps, reproduceConfigs, reproduceRows, summariseRow } from '../src/index.js';

const decoded = (c: unknown) => {
  const r = decodePretrainConfig(c);
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

describe('the reproduce preset', () => {
  const configs = reproduceConfigs({ seed: 3, steps: presetSteps, workers: 2 });

  it('baseline and method differ only in neck, split and reconstruction', () => {
    const b = decoded(configs.baseline);
    const m = decoded(configs.method);
    expect([b.neck, b.equiFraction, b.reconstruction]).toEqual(['none', 0, 'off']);
    expect([m.neck, m.equiFraction]).toEqual(['linear', 0.5]);
    expect(m.reconstruction).toMatchObject({ k: 2, weight: 5, target: 'normalised', decoder: { name: 'conv4', input: 'pooled' } });
    const rest = (c: Record<string, unknown>) => ({ ...c, neck: 0, equiFraction: 0, reconstruction: 0 });
    expect(rest(b)).toEqual(rest(m));
    expect(b.seed).toBe(3);
    // both rows see rotations of up to ±90° between the views (the suite scores ±45°)
    expect([configs.baseline.path, configs.method.path]).toEqual([{ name: 'rotation', maxDegrees: 90 }, { name: 'rotation', maxDegrees: 90 }]);
    expect(decoded(configs['method-k1']).reconstruction).toMatchObject({ k: 1 });
  });

  it('the baseline trains its loss on every channel it is evaluated on; the method splits the neck output', () => {
    const registry = standardRegistry();
    if (E.isLeft(registry)) throw new Error(registry.left.message);
    const b = buildModel(decoded(configs.baseline), registry.right, [32, 32, 1]);
    const m = buildModel(decoded(configs.method), registry.right, [32, 32, 1]);
    if (E.isLeft(b) || E.isLeft(m)) throw new Error('does not build');
    expect([b.right.dInv, b.right.dEqui, b.right.reconstruction]).toEqual([96, 0, undefined]);
    expect(b.right.store.get('neck.weight')).toBeUndefined();
    expect([m.right.dInv, m.right.dEqui, m.right.reconstruction?.k]).toEqual([48, 48, 2]);
    expect(m.right.store.get('neck.weight')?.shape).toEqual([96, 96]);
    // the projector: 96 → 512 (BN) → 512 for the baseline, 48 → 512 → 512 for the method
    expect(b.right.store.get('loss.projector.0.weight')?.shape).toEqual([96, 512]);
    expect(m.right.store.get('loss.projector.0.weight')?.shape).toEqual([48, 512]);
    expect(m.right.store.get('loss.projector.0.bn.weight')?.shape).toEqual([512]);
    b.right.dispose();
    m.right.dispose();
  });

  it('--systems adds each system as a baseline row and, with --with-method, its ours-X row; vicreg is the default pair', () => {
    expect(reproduceRows({})).toEqual(['untrained', 'baseline', 'method']);
    expect(reproduceRows({ systems: ['vicreg', 'sie', 'stl'] })).toEqual(['untrained', 'baseline', 'method', 'sie', 'stl']);
    expect(reproduceRows({ systems: ['ibot'], withMethod: true, ablations: ['k1'] })).toEqual(['untrained', 'baseline', 'method', 'method-k1', 'ibot', 'ours-ibot']);
  });

  it.each(['sie', 'ibot', 'dinov2', 'stl'] as const)('$0 and its ours-X row differ from baseline and method only in the loss (and its split)', (system) => {
    const registry = standardRegistry();
    if (E.isLeft(registry)) throw new Error(registry.left.message);
    const alone = decoded(configs[system]);
    const ours = decoded(configs[`ours-${system}`]);
    const rest = (c: Record<string, unknown>) => ({ ...c, loss: 0, equiFraction: 0 });
    expect(rest(alone)).toEqual(rest(decoded(configs.baseline)));
    expect(rest(ours)).toEqual(rest(decoded(configs.method)));
    // the same loss in both rows; the teachers at Fashion-MNIST's temperature (τ_t = 0.01 from the first step)
    const loss = system === 'ibot' || system === 'dinov2' ? { name: system, teacherTemp: 0.01, warmupTeacherTemp: 0.01 } : { name: system };
    expect([alone.loss, ours.loss]).toEqual([loss, loss]);
    // the paper's split with the method: a quarter for the iBOT / DINOv2 heads, half otherwise; SIE keeps its own split alone
    expect(ours.equiFraction).toBe(system === 'ibot' || system === 'dinov2' ? 0.25 : 0.5);
    expect(alone.equiFraction).toBe(system === 'sie' ? 0.5 : 0);
    for (const c of [alone, ours]) {
      const model = buildModel(c, registry.right, [32, 32, 1]);
      if (E.isLeft(model)) throw new Error(`${system}: ${model.left.message}`);
      expect(model.right.teacher !== undefined).toBe(system === 'ibot' || system === 'dinov2');
      model.right.dispose();
    }
  });

  it("the teachers take the preset's τ_t (photos 0.02, Fashion-MNIST 0.01); nothing else changes", () => {
    const photos = reproduceConfigs({ seed: 3, steps: presetSteps, workers: 2, teacherTemp: cpuTeacherTemp.photos });
    expect(cpuTeacherTemp).toEqual({ 'fashion-mnist': 0.01, photos: 0.02 });
    for (const row of ['ibot', 'ours-ibot', 'dinov2', 'ours-dinov2'] as const) {
      expect(photos[row]['loss']).toEqual({ name: row.replace('ours-', ''), teacherTemp: 0.02, warmupTeacherTemp: 0.02 });
      expect({ ...photos[row], loss: 0 }).toEqual({ ...configs[row], loss: 0 });
    }
    for (const row of ['baseline', 'method', 'sie', 'ours-stl'] as const) expect(photos[row]).toEqual(configs[row]);
  });

  it('evaluation reads disjoint splits of an image folder (heads train on train, score on test)', () => {
    const registry = standardRegistry();
    if (E.isLeft(registry)) throw new Error(registry.left.message);
    const slot = { name: 'image-folder', dir: 'crops', size: 32 };
    expect(withSplit(registry.right, slot, 'train')).toEqual({ ...slot, split: 'train' });
    expect(withSplit(registry.right, slot, 'test')).toEqual({ ...slot, split: 'test' });
    // a dataset plugin without a split field is left as it is (the registry decides, not a list of names)
    expect(withSplit(Registry.empty, slot, 'test')).toEqual(slot);
  });
});


describe('reproduce summaries and checks', () => {
  it('summarise a row over seeds', () => {
    const s = summariseRow('method', [run('method', 0, 0.7, 0.8), run('method', 1, 0.8, 0.82), run('method', 2, 0.9, 0.84)]);
    expect(s.seeds).toEqual([0, 1, 2]);
    expect(s.r2.rotation.mean).toBeCloseTo(0.8, 12);
    expect(s.r2.rotation.std).toBeCloseTo(0.1, 12);
    expect(s.r2.mean.mean).toBeCloseTo((0.8 + 1.5) / 4, 12);
    expect(s.linear!.mean).toBeCloseTo(0.82, 12);
    expect(s.knn!.std).toBeCloseTo(0.02, 12);
  });

  it('the requirement table: a gap of 0.3 beyond 2 × pooled std holds; accuracies not more than 2 points below', () => {
    const method = summariseRow('method', [run('method', 0, 0.7, 0.8), run('method', 1, 0.8, 0.81), run('method', 2, 0.9, 0.82)]);
    const baseline = summariseRow('baseline', [run('baseline', 0, 0.45, 0.81), run('baseline', 1, 0.5, 0.82), run('baseline', 2, 0.55, 0.83)]);
    const checks = comparisonChecks(method, baseline);
    // method linear 81 % vs baseline 82 %, k-NN 76 % vs 77 %; baseline linear 82 % ≥ 80, k-NN 77 % ≥ 75
    expect(checks.map((c) => c.holds)).toEqual([true, true, true, true, true, true, true]);
    // gap 0.3, pooled std sqrt((2·0.01 + 2·0.0025)/4) = 0.0791 → 2× = 0.158
    expect(checks[0]!.measured).toContain('gap 0.300, 2 × pooled std 0.158');
    // a gap of 0.15 fails
    const close = summariseRow('baseline', [run('baseline', 0, 0.6, 0.81), run('baseline', 1, 0.65, 0.82), run('baseline', 2, 0.7, 0.83)]);
    expect(comparisonChecks(method, close)[0]!.holds).toBe(false);
    // a baseline at 78 % linear / 73 % k-NN misses both accuracy targets; the method 3 points above it is fine
    const weak = summariseRow('baseline', [run('baseline', 0, 0.45, 0.78), run('baseline', 1, 0.5, 0.78), run('baseline', 2, 0.55, 0.78)]);
    expect(comparisonChecks(method, weak).map((c) => c.holds).slice(3)).toEqual([true, true, false, false]);
    // a baseline at 84 % / 79 %: the method's 81 % / 76 % is 3 points below → both accuracy rows fail
    const strong = summariseRow('baseline', [run('baseline', 0, 0.45, 0.84), run('baseline', 1, 0.5, 0.84), run('baseline', 2, 0.55, 0.84)]);
    expect(comparisonChecks(method, strong).map((c) => c.holds).slice(3)).toEqual([false, false, true, true]);
  });

  it('with the untrained row: the method must not fall below it beyond 2 × pooled std; photo comparisons drop the accuracy targets', () => {
    const method = summariseRow('method', [run('method', 0, 0.7, 0.8), run('method', 1, 0.8, 0.81), run('method', 2, 0.9, 0.82)]);
    const baseline = summariseRow('baseline', [run('baseline', 0, 0.45, 0.81), run('baseline', 1, 0.5, 0.82), run('baseline', 2, 0.55, 0.83)]);
    // untrained 0.85 ± 0.05 vs method 0.8 ± 0.1: −0.05 within 2 × pooled std 0.158 → holds
    const close = summariseRow('untrained', [run('untrained', 0, 0.8, 0.5), run('untrained', 1, 0.85, 0.5), run('untrained', 2, 0.9, 0.5)]);
    const checks = comparisonChecks(method, baseline, { untrained: close, accuracyTargets: false });
    expect(checks.map((c) => c.requirement)).toEqual([
      'R²(rotation): method ≥ baseline + 0.2, gap > 2 × pooled std',
      'R²(rotation) of the method > 0.5',
      'R²(rotation): method not below the untrained control beyond 2 × pooled std',
      'mean R² of the four families: method > baseline',
      'linear probe not more than 2 points below the baseline',
      'k-NN not more than 2 points below the baseline',
    ]);
    expect(checks[2]!.holds).toBe(true);
    expect(checks[2]!.measured).toContain('difference -0.050, 2 × pooled std 0.158');
    // untrained 1.1 ± 0.05: −0.3 beyond 0.158 → fails
    const far = summariseRow('untrained', [run('untrained', 0, 1.05, 0.5), run('untrained', 1, 1.1, 0.5), run('untrained', 2, 1.15, 0.5)]);
    expect(comparisonChecks(method, baseline, { untrained: far })[2]!.holds).toBe(false);
  });
});
