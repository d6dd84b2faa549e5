/** reproduce's preset (rows differ only where the comparison says), its summaries and the requirement checks, against hand-computed values. */
import { buildModel } from '@equissl/pipeline';
import { decodePretrainConfig } from '@equissl/encoder';
import { standardRegistry } from '@equissl/standard';
import { Registry } from '@equissl/core';
import { withSplit } from '@equissl/eval';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { run } from './runs.js';
import { comparisonChecks, cpuTeacherTemp, holdsCell, presetSteps, reproduceConfigs, reproduceRows, summariseRow } from '../src/index.js';

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
    // the same loss in both rows; the teachers at Fashion-MNIST's temperature (τ_t = 0.01 from the first step), DINOv2 with the paper's 3 Sinkhorn iterations
    const teacher = { teacherTemp: 0.01, warmupTeacherTemp: 0.01 };
    const loss = system === 'ibot' ? { name: system, ...teacher } : system === 'dinov2' ? { name: system, sinkhornIterations: 3, ...teacher } : { name: system };
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
      expect(photos[row]['loss']).toEqual({ name: row.replace('ours-', ''), ...(row.endsWith('dinov2') ? { sinkhornIterations: 3 } : {}), teacherTemp: 0.02, warmupTeacherTemp: 0.02 });
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

  // p-values: SciPy's ttest_ind(a, b + δ, equal_var=False, alternative='greater') and ttest_1samp(…, alternative='greater')
  /** A row whose ridge R² (headline readout) is the MLP's − 0.1 and whose halves by the MLP are `inv` and `equi`. */
  const tested = (name: string, rots: number[], linears: number[], inv = [0.3, 0.31, 0.32], equi = [0.85, 0.86, 0.87]) =>
    summariseRow(
      name,
      rots.map((r, i) => run(name, i, r, linears[i]!, 0.5, { byReadout: { 'clsmean-full': r - 0.1 }, byReadoutMlp: { 'clsmean-full': r, 'clsmean-inv': inv[i]!, 'clsmean-equi': equi[i]! } })),
    );
  const method = tested('method', [0.9, 0.91, 0.92], [0.84, 0.85, 0.86]);
  const baseline = tested('baseline', [0.4, 0.42, 0.44], [0.83, 0.84, 0.85]);

  it('the requirement table: each requirement its one-sided test, Holm over the table', () => {
    const checks = comparisonChecks(method, baseline);
    expect(checks.map((c) => c.requirement)).toEqual([
      'R²(rotation), MLP (headline): method − baseline > 0.2',
      'R²(rotation), ridge: method − baseline > 0.2',
      'R²(rotation), MLP: method > 0.5',
      'the split, MLP: R²(rotation) of the equivariant half − the invariant half > 0',
      'mean R² of the four families: method − baseline > 0',
      'linear probe: method − baseline > −2 points',
      'k-NN: method − baseline > −2 points',
      'baseline linear > 80 %',
      'baseline k-NN > 75 %',
    ]);
    // gap 0.49 (p 0.00011), linear +1 point against the −2 margin (p 0.0107), baseline 84 % > 80 (t 6.93, 2 dof: p 0.0101);
    // Holm: the two 0.0101 are the 6th and 7th smallest of 9 → × 4 and × 3, the running maximum 0.0404 < 0.05
    expect(checks[0]!.p).toBeCloseTo(0.00011002403533155274, 8);
    expect(checks[1]!.p).toBeCloseTo(0.00011002403533155274, 8);
    expect(checks[5]!.p).toBeCloseTo(0.010655820564378356, 8);
    expect(checks[7]!.p).toBeCloseTo(0.010102051443364402, 8);
    expect(checks[7]!.pHolm).toBeCloseTo(4 * 0.010102051443364402, 8);
    expect(checks[8]!.pHolm).toBeCloseTo(4 * 0.010102051443364402, 8);
    expect(checks.map((c) => c.holds)).toEqual(Array.from({ length: 9 }, () => true));
    // a gap of 0.15 is not > 0.2
    expect(comparisonChecks(method, tested('baseline', [0.75, 0.76, 0.77], [0.83, 0.84, 0.85]))[0]!.holds).toBe(false);
    // a baseline 3 points above the method's probes: not > −2 points
    expect(comparisonChecks(method, tested('baseline', [0.4, 0.42, 0.44], [0.87, 0.88, 0.89])).slice(5, 7).map((c) => c.holds)).toEqual([false, false]);
    // halves that do not differ: the split does not hold
    expect(comparisonChecks(tested('method', [0.9, 0.91, 0.92], [0.84, 0.85, 0.86], [0.6, 0.62, 0.64], [0.6, 0.61, 0.65]), baseline)[3]!.holds).toBe(false);
  });

  it('with the untrained row: the method holds unless a test finds it below the control, by either readout; photo comparisons drop the accuracy targets', () => {
    const close = tested('untrained', [0.89, 0.91, 0.93], [0.5, 0.5, 0.5]);
    const checks = comparisonChecks(method, baseline, { untrained: close, accuracyTargets: false });
    expect(checks.map((c) => c.requirement).slice(3, 5)).toEqual(['R²(rotation), MLP: method not below the untrained control', 'R²(rotation), ridge: method not below the untrained control']);
    expect(checks).toHaveLength(9);
    expect(checks.slice(3, 5).map((c) => c.holds)).toEqual([true, true]);
    const far = tested('untrained', [1.2, 1.21, 1.22], [0.5, 0.5, 0.5]);
    expect(comparisonChecks(method, baseline, { untrained: far }).slice(3, 5).map((c) => c.holds)).toEqual([false, false]);
  });

  it('says "not measured" where runs lack a number and "untested" where a side has one seed', () => {
    const one = tested('method', [0.9], [0.84]);
    const checks = comparisonChecks(one, tested('baseline', [0.4], [0.83]));
    expect(holdsCell(checks[0]!)).toBe('untested (fewer than 2 seeds a side)');
    const old = summariseRow('method', [run('method', 0, 0.9, 0.8), run('method', 1, 0.91, 0.8)]);
    // runs scored without the halves by the MLP: the split cannot be tested
    expect(holdsCell(comparisonChecks(old, baseline)[3]!)).toBe('not measured');
    expect(holdsCell(comparisonChecks(method, baseline)[0]!)).toBe('yes');
  });

  it('summarises R²(rotation) per half by both readouts, with the per-seed values', () => {
    expect(method.halves.mlp.inv!.values).toEqual([0.3, 0.31, 0.32]);
    expect(method.halves.mlp.full!.mean).toBeCloseTo(0.91, 12);
    expect(method.halves.ridge.full!.values!.map((v) => Number(v.toFixed(12)))).toEqual([0.8, 0.81, 0.82]);
    expect(method.halves.ridge.inv).toBeUndefined();
  });
});
