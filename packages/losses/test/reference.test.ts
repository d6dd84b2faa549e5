/**
 * sie, ibot, dinov2 and stl against independent PyTorch re-implementations
 * (tools/reference/ssl_losses.py; numbers from make_loss_fixtures.py, float64):
 * the loss, every named term, iBOT's next state and the gradients with
 * respect to the inputs. Then one test per known failure mode.
 */
import { Registry, Rng } from '@equissl/core';
import { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { paramWave } from '../../../tools/reference/fixtures.js';
import { type LossCase, type WaveSpec, lossFixtures, waveValues } from '../../../tools/reference/loss-fixtures.js';
import { type BoundLoss, type IbotState, type LossInputs, type SslLoss, lossPlugins, sinkhornKnopp, teacherTemperature } from '../src/index.js';

const registry = E.getOrElseW((e: Error) => {
  throw e;
})(Registry.empty.registerAll(lossPlugins));

/** The loss of `config` built under `loss.`, every parameter overwritten with `paramWave(name, shape)`. */
const buildWithWaves = (config: object, shape: LossCase['shape']): { bound: BoundLoss; store: ParamStore } => {
  const plugin = registry.create('loss', config);
  if (E.isLeft(plugin)) throw new Error(plugin.left.message);
  const store = new ParamStore();
  const bound = (plugin.right as SslLoss).build(shape, store, Rng.seeded(0), 'loss.');
  for (const [name, variable] of store.entries()) variable.assign(tf.tensor(paramWave(name, variable.shape), variable.shape));
  return { bound, store };
};

const isWave = (x: WaveSpec | ReadonlyArray<number>): x is WaveSpec => !Array.isArray(x);
const fromWave = (spec: WaveSpec): tf.Tensor => tf.tensor(waveValues(spec), [...spec.shape]);

/**
 * max over elements of |a − b| / max(floor, |b|): with floor 1 the
 * bound |a − b| ≤ tol·max(1, |b|) holds when the result is ≤ tol.
 */
const relError = (a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number => {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(floor, Math.abs(b[i]!));
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
};
const maxAbs = (b: ArrayLike<number>): number => Array.from(b).reduce((m, x) => Math.max(m, Math.abs(x)), 0);

/**
 * Two bounds, both checked: |a − b| ≤ 1e-4·max(1, |b|) per element, and a scale-aware one that small values cannot
 * pass trivially: relative to each value (loss, terms, centres) or to the largest entry of each gradient tensor.
 */
const TOL = 1e-4;
const TERM_TOL = 2e-5;
const GRAD_TOL = 2e-5;
const summary: string[] = [];

interface Outcome {
  readonly loss: number;
  readonly terms: Record<string, number>;
  readonly state: unknown;
  readonly grads: Record<string, Float32Array>;
}

/** Runs one fixture case: compute under tf.valueAndGrads with respect to the inputs the reference differentiated. */
const runCase = (c: LossCase): { outcome: Outcome; store: ParamStore } => {
  const { bound, store } = buildWithWaves(c.config, c.shape);
  const specs = c.inputs;
  const b = (specs['z1'] as WaveSpec).shape[0]!;
  const fixed: Record<string, unknown> = { step: c.step };
  for (const [name, spec] of Object.entries(specs)) {
    fixed[name] = isWave(spec) ? fromWave(spec) : tf.tensor2d(Float32Array.from(spec), [b, spec.length / b]);
  }
  if (c.teacher !== undefined) fixed['teacher'] = Object.fromEntries(Object.entries(c.teacher).map(([k, s]) => [k, fromWave(s)]));
  // an input the loss does not read has no gradient in tfjs (it throws): the reference's is 0 there
  const differentiated = Object.keys(c.grads).filter((k) => c.grads[k]!.some((g) => g !== 0));
  const state = c.state ?? bound.initialState;
  let terms: Record<string, number> = {};
  let next: unknown;
  const f = (...xs: tf.Tensor[]): tf.Scalar => {
    const inputs = { ...fixed, ...Object.fromEntries(differentiated.map((k, i) => [k, xs[i]])) } as unknown as LossInputs;
    const r = bound.compute(state, inputs);
    // the terms are read here: valueAndGrads disposes what f does not return
    terms = Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, v.dataSync()[0]!]));
    next = r.state;
    return r.loss;
  };
  const { value, grads } = tf.valueAndGrads(f)(differentiated.map((k) => fixed[k] as tf.Tensor));
  const outcome: Outcome = {
    loss: value.dataSync()[0]!,
    terms,
    state: next,
    grads: Object.fromEntries(differentiated.map((k, i) => [k, grads[i]!.dataSync() as Float32Array])),
  };
  return { outcome, store };
};

describe('sie, ibot, dinov2, stl against the PyTorch re-implementations', () => {
  afterAll(() => console.log(['max error: values |a−b|/|b|, gradients |a−b|/max|b| over the tensor (in brackets: |a−b|/max(1, |b|))', ...summary].join('\n')));

  for (const [name, c] of Object.entries(lossFixtures.cases)) {
    it(name, () => {
      const { outcome, store } = runCase(c);
      // the same architecture: every parameter of the reference, and no other
      const sort = (xs: ReadonlyArray<readonly [string, ReadonlyArray<number>]>) => [...xs].map(([n, s]) => [n, [...s]]).sort(([x], [y]) => String(x).localeCompare(String(y)));
      expect(sort(store.entries().map(([n, v]) => [n, v.shape] as const))).toEqual(sort(c.params));
      if (c.teacherTemp !== undefined) {
        const cf = c.config as unknown as { warmupTeacherTemp: number; teacherTemp: number; teacherTempWarmupSteps: number };
        expect(teacherTemperature(c.step, cf.warmupTeacherTemp, cf.teacherTemp, cf.teacherTempWarmupSteps)).toBeCloseTo(c.teacherTemp, 12);
      }

      // values: the loss and every term the plugin returns (and no term the reference lacks)
      expect(Object.keys(outcome.terms).sort()).toEqual(Object.keys(c.terms).sort());
      const values = { loss: [outcome.loss, c.loss], ...Object.fromEntries(Object.keys(c.terms).map((k) => [k, [outcome.terms[k]!, c.terms[k]!]])) };
      let worstValue = 0;
      let unitFloorValue = 0;
      for (const [k, [a, b]] of Object.entries(values) as [string, [number, number]][]) {
        unitFloorValue = Math.max(unitFloorValue, relError([a], [b], 1));
        expect(relError([a], [b], 1), `${name} ${k}: ${a} vs ${b}`).toBeLessThanOrEqual(TOL);
        // tighter: relative to the value itself (down to 1e-6 in magnitude)
        const e = relError([a], [b], 1e-6);
        expect(e, `${name} ${k}: ${a} vs ${b}`).toBeLessThanOrEqual(TERM_TOL);
        worstValue = Math.max(worstValue, e);
      }

      // iBOT's next state: the centres moved towards this batch's teacher logits
      if (c.nextState !== undefined) {
        const s = outcome.state as IbotState;
        for (const k of ['center', 'center2'] as const) {
          const e = relError(s[k], c.nextState[k], 1e-6);
          expect(e, `${name} ${k}`).toBeLessThanOrEqual(TERM_TOL);
          worstValue = Math.max(worstValue, e);
        }
      }

      // gradients with respect to the inputs
      let worstGrad = 0;
      let unitFloorGrad = 0;
      for (const [k, ref] of Object.entries(c.grads)) {
        const got = outcome.grads[k];
        if (got === undefined) {
          expect(maxAbs(ref), `${name} d/d${k} is 0 in the reference`).toBe(0);
          continue;
        }
        unitFloorGrad = Math.max(unitFloorGrad, relError(got, ref, 1));
        expect(relError(got, ref, 1), `${name} d/d${k}`).toBeLessThanOrEqual(TOL);
        const e = relError(got, ref, maxAbs(ref));
        expect(e, `${name} d/d${k} (relative to its largest entry ${maxAbs(ref)})`).toBeLessThanOrEqual(GRAD_TOL);
        worstGrad = Math.max(worstGrad, e);
      }
      const fmt = (x: number) => x.toExponential(2);
      summary.push(`${name}: values ${fmt(worstValue)} (${fmt(unitFloorValue)}), gradients ${fmt(worstGrad)} (${fmt(unitFloorGrad)})`);
      store.dispose();
    });
  }
});

describe('known failure modes', () => {
  it('dinov2 Sinkhorn-Knopp with logits of ±1e4 stays finite and each row sums to 1', () => {
    // one prototype per sample, far apart: the balanced assignment is the one-hot of each sample's largest logit
    const diagonal = sinkhornKnopp(tf.tensor2d([[1e4, -1e4], [-1e4, 1e4]]), 0.04).arraySync();
    diagonal.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(i === j ? 1 : 0, 6)));
    // prototype 2 is far below every sample's largest logit: exp(t/τ) underflows to 0 for all of them (and DINOv2's
    // exp(1e4/τ) overflows), but in exact arithmetic the three samples give it the same weight, so the first row
    // normalisation gives each of them 1/3 of it. Sample 3 ties prototypes 1 and 3, and only sample 3 reaches prototype 3.
    // By hand (terms of order e^(-2.5e5) dropped): samples 1 and 2 stay split 1 : 1 between prototypes 1 and 2; sample 3
    // splits prototypes 1 : 2 : 3 as 1 : 1 : 3, then 1 : 1 : 6, then 1 : 1 : 9
    const q = sinkhornKnopp(tf.tensor2d([[1e4, -1e4, 0], [1e4, -1e4, -1e4], [1e4, -1e4, 1e4]]), 0.04).arraySync();
    for (const row of q) {
      for (const x of row) expect(Number.isFinite(x)).toBe(true);
      expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 6);
    }
    const expected = [[1 / 2, 1 / 2, 0], [1 / 2, 1 / 2, 0], [1 / 11, 1 / 11, 9 / 11]];
    q.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(expected[i]![j]!, 6)));

    // the whole dinov2 loss on such a teacher (cls and masked patches) is finite
    const c = lossFixtures.cases['dinov2']!;
    const { bound, store } = buildWithWaves(c.config, c.shape);
    const huge = (spec: WaveSpec) => tf.tensor(waveValues(spec).map((x) => (x > 0.3 ? 1e4 : x < -0.3 ? -1e4 : 0)), [...spec.shape]);
    const fixed = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, isWave(v) ? fromWave(v) : tf.tensor2d(Float32Array.from(v), [8, 4])]));
    const teacher = Object.fromEntries(Object.entries(c.teacher!).map(([k, v]) => [k, huge(v)]));
    const r = bound.compute(bound.initialState, { ...fixed, teacher, step: c.step } as unknown as LossInputs);
    for (const [k, v] of Object.entries({ loss: r.loss, ...r.terms })) expect(Number.isFinite(v.dataSync()[0]), k).toBe(true);
    store.dispose();
  });

  it('ibot teacherEntropy is log K for a uniform teacher and ~0 for a one-hot-sharp one; teacherMarginalEntropy tells sharp from one prototype', () => {
    const shape = { dim: 6, equiDim: 0, tokens: 4, transformDim: 0 };
    const k = 7;
    const { bound, store } = buildWithWaves({ name: 'ibot', headHidden: 8, bottleneck: 5, prototypes: k }, shape);
    const b = 4;
    const inputs = (cls: tf.Tensor2D): LossInputs => ({
      z1: tf.tensor2d(waveValues({ shape: [b, 6], wave: [0.77, 0.1, 1] }), [b, 6]),
      z2: tf.tensor2d(waveValues({ shape: [b, 6], wave: [-0.83, 0.3, 1.5] }), [b, 6]),
      tokens1: tf.tensor3d(waveValues({ shape: [b, 4, 6], wave: [0.61, -0.3, 1] }), [b, 4, 6]),
      tokens2: tf.tensor3d(waveValues({ shape: [b, 4, 6], wave: [-0.47, 0.2, 1.3] }), [b, 4, 6]),
      masks1: tf.ones([b, 4]) as tf.Tensor2D,
      masks2: tf.zeros([b, 4]) as tf.Tensor2D,
      step: 0,
      teacher: { cls1: cls, cls2: cls, patches1: tf.zeros([b, 4, k]), patches2: tf.zeros([b, 4, k]) },
    });
    const uniform = bound.compute(bound.initialState, inputs(tf.fill([b, k], 0.3) as tf.Tensor2D));
    expect(uniform.terms['teacherEntropy']!.dataSync()[0]).toBeCloseTo(Math.log(k), 5);
    // kl = cls − entropy ≥ 0 (Gibbs)
    expect(uniform.terms['kl']!.dataSync()[0]).toBeGreaterThanOrEqual(0);
    // one logit 1, the others −1, at τ_t 0.04: every other probability is e^−50 ≈ 2e-22
    const sharp = tf.tensor2d(Array.from({ length: b * k }, (_, i) => (i % k === Math.floor(i / k) ? 1 : -1)), [b, k]);
    const peaked = bound.compute(bound.initialState, inputs(sharp));
    expect(peaked.terms['teacherEntropy']!.dataSync()[0]).toBeLessThan(1e-6);
    expect(peaked.terms['teacherEntropy']!.dataSync()[0]).toBeGreaterThanOrEqual(0);
    // marginal entropy: a uniform teacher's batch mean is uniform (log K); the sharp rows sit on 4 different prototypes (log 4)
    expect(uniform.terms['teacherMarginalEntropy']!.dataSync()[0]).toBeCloseTo(Math.log(k), 5);
    expect(peaked.terms['teacherMarginalEntropy']!.dataSync()[0]).toBeCloseTo(Math.log(4), 5);
    // every row sharp on prototype 0: one prototype wins, both entropies ~0
    const oneColumn = tf.tensor2d(Array.from({ length: b * k }, (_, i) => (i % k === 0 ? 1 : -1)), [b, k]);
    const collapsed = bound.compute(bound.initialState, inputs(oneColumn));
    expect(collapsed.terms['teacherMarginalEntropy']!.dataSync()[0]).toBeLessThan(1e-6);
    expect(collapsed.terms['teacherEntropy']!.dataSync()[0]).toBeLessThan(1e-6);
    store.dispose();
  });

  it('sie with θ = 0 predicts view 1 unchanged: equivariance = MSE(projectorEqui(e1), projectorEqui(e2))', () => {
    const shape = { dim: 6, equiDim: 4, tokens: 0, transformDim: 3 };
    const { bound, store } = buildWithWaves({ name: 'sie', projector: [12, 8], projectorNorm: 'batch' }, shape);
    const b = 8;
    const e1 = tf.tensor2d(waveValues({ shape: [b, 4], wave: [0.53, -0.2, 0.8] }), [b, 4]);
    const e2 = tf.tensor2d(waveValues({ shape: [b, 4], wave: [-0.41, 0.6, 1.2] }), [b, 4]);
    const r = bound.compute(bound.initialState, {
      z1: tf.tensor2d(waveValues({ shape: [b, 6], wave: [0.77, 0.1, 1] }), [b, 6]),
      z2: tf.tensor2d(waveValues({ shape: [b, 6], wave: [-0.83, 0.3, 1.5] }), [b, 6]),
      e1,
      e2,
      transformParams: tf.zeros([b, 3]) as tf.Tensor2D,
      step: 0,
    });
    // projectorEqui by hand from the stored weights (widths round(12·4/10) = 5, round(8·4/10) = 3):
    // Linear → batch norm (batch mean, biased variance, ε 1e-5) → ReLU → Linear without bias, in float64
    const p = Object.fromEntries(store.entries().map(([n, v]) => [n, v.arraySync() as number[][] & number[]]));
    const matmul = (x: number[][], w: number[][]) => x.map((row) => w[0]!.map((_, j) => row.reduce((s, xi, i) => s + xi * w[i]![j]!, 0)));
    const project = (e: number[][]) => {
      const h = matmul(e, p['loss.projectorEqui.0.weight']!).map((row) => row.map((x, j) => x + (p['loss.projectorEqui.0.bias'] as number[])[j]!));
      const n = h.length;
      const mean = h[0]!.map((_, j) => h.reduce((s, row) => s + row[j]!, 0) / n);
      const variance = h[0]!.map((_, j) => h.reduce((s, row) => s + (row[j]! - mean[j]!) ** 2, 0) / n);
      const gamma = p['loss.projectorEqui.0.bn.weight'] as number[];
      const beta = p['loss.projectorEqui.0.bn.bias'] as number[];
      const a = h.map((row) => row.map((x, j) => Math.max(0, ((x - mean[j]!) / Math.sqrt(variance[j]! + 1e-5)) * gamma[j]! + beta[j]!)));
      return matmul(a, p['loss.projectorEqui.1.weight']!);
    };
    const x1 = project(e1.arraySync());
    const x2 = project(e2.arraySync());
    const mse = x1.flatMap((row, i) => row.map((x, j) => (x - x2[i]![j]!) ** 2)).reduce((s, x) => s + x, 0) / (x1.length * x1[0]!.length);
    expect(x1[0]!.length).toBe(3);
    expect(mse).toBeGreaterThan(1e-5);
    expect(relError(r.terms['equivariance']!.dataSync(), [mse], 1e-8)).toBeLessThan(1e-4);
    store.dispose();
  });
});
