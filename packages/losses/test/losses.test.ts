/** The loss plugins against PyTorch reference numbers (tools/reference/make_fixtures.py) and hand-checked cases. */
import { Registry, Rng } from '@equissl/core';
import { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fixtures, wave } from '../../../tools/reference/fixtures.js';
import { type SslLoss, batchNorm1d, infoNce, lossPlugins, vicregTerms } from '../src/index.js';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(Registry.empty.registerAll(lossPlugins));

const z1 = () => tf.tensor2d(wave([6, 4], 0.7, 0.1), [6, 4]);
const z2 = () => tf.tensor2d(wave([6, 4], -0.9, 0.3, 1.5), [6, 4]);

const run = (config: object) => {
  const plugin = registry.create('loss', config);
  if (E.isLeft(plugin)) throw new Error(plugin.left.message);
  const loss = plugin.right as SslLoss;
  const bound = loss.build({ dim: 4, equiDim: 0, tokens: 0, transformDim: 0 }, new ParamStore(), Rng.seeded(0), 'loss.');
  const r = bound.compute(bound.initialState, { z1: z1(), z2: z2(), step: 0 });
  return { loss: r.loss.dataSync()[0]!, terms: Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, v.dataSync()[0]!])) };
};

describe('losses against the PyTorch reference', () => {
  it('vicreg (SIE coefficients 10/10/1)', () => {
    const ref = fixtures.losses.vicreg_sie;
    const r = run({ name: 'vicreg' });
    expect(r.terms['invariance']).toBeCloseTo(ref.invariance, 5);
    expect(r.terms['variance']).toBeCloseTo(ref.variance, 5);
    expect(r.terms['covariance']).toBeCloseTo(ref.covariance, 4);
    expect(r.loss).toBeCloseTo(ref.total, 4);
  });

  it('simclr (NT-Xent, τ = 0.2)', () => {
    expect(run({ name: 'simclr', temperature: 0.2 }).loss).toBeCloseTo(fixtures.losses['simclr_tau_0.2'], 4);
  });

  it('barlow-twins (λ = 5e-3)', () => {
    const ref = fixtures.losses['barlow_lambda_5e-3'];
    const r = run({ name: 'barlow-twins' });
    expect(r.terms['onDiagonal']).toBeCloseTo(ref.onDiagonal, 4);
    expect(r.terms['offDiagonal']).toBeCloseTo(ref.offDiagonal, 4);
    expect(r.loss).toBeCloseTo(ref.total, 4);
  });
});

describe('hand-checked cases', () => {
  it('vicreg of identical, decorrelated, unit-variance embeddings is zero', () => {
    // two orthogonal ±1 columns over 4 samples: variance 4/3 ≥ 1, covariance 0, invariance 0
    const z = tf.tensor2d([[1, 1], [1, -1], [-1, 1], [-1, -1]]);
    const t = vicregTerms(z, z);
    expect([t.invariance, t.variance, t.covariance].map((x) => x.dataSync()[0])).toEqual([0, 0, 0]);
  });

  it('vicreg of a collapsed batch pays the full variance hinge', () => {
    const z = tf.zeros([4, 3]) as tf.Tensor2D;
    // σ = sqrt(0 + 1e-4) = 0.01 → hinge 0.99 per view, halved and summed
    expect(vicregTerms(z, z).variance.dataSync()[0]).toBeCloseTo(0.99, 6);
  });

  it('InfoNCE with perfectly separated pairs approaches 0 as τ → 0', () => {
    const a = tf.tensor2d([[1, 0], [0, 1]]);
    expect(infoNce(a, a, 0.01).dataSync()[0]).toBeLessThan(1e-6);
    // τ = 1, row e1 of (e1, e2, e1, e2): self masked, partner 1, two negatives 0 → log(e + 2) − 1 = 0.5514
    expect(infoNce(a, a, 1).dataSync()[0]).toBeCloseTo(Math.log(Math.E + 2) - 1, 5);
  });

  it('a bad coefficient is refused with its path', () => {
    const r = registry.create('loss', { name: 'vicreg', simCoeff: 'ten' });
    expect(E.isLeft(r) && r.left.message).toBe('loss.simCoeff: expected (non-negative number | undefined), got "ten"');
  });

  it('declares exactly what each loss reads', () => {
    const needs = Object.fromEntries(registry.names('loss').map((name) => [name, E.isRight(registry.create('loss', { name })) ? E.getOrElseW(() => undefined)(registry.create('loss', { name }))!.needs : undefined]));
    expect(needs).toEqual({
      'barlow-twins': [],
      dinov2: ['patchTokens', 'teacher', 'tokenMasks'],
      ibot: ['patchTokens', 'teacher', 'tokenMasks'],
      sie: ['equivariantPart', 'transformParams'],
      simclr: [],
      stl: ['alignedPairs'],
      vicreg: [],
    });
  });
});

describe('projector with batch norm', () => {
  it('batchNorm1d normalises each column by the batch mean and biased variance', () => {
    // column 0: [1, 3] → mean 2, var 1 → [−1, 1]/sqrt(1 + 1e-5); column 1: [2, 2] → var 0 → 0, then γ = 2, β = 0.5
    const y = batchNorm1d(tf.tensor2d([[1, 2], [3, 2]]), tf.tensor1d([1, 2]), tf.tensor1d([0, 0.5])).arraySync();
    const s = 1 / Math.sqrt(1 + 1e-5);
    expect(y[0]![0]).toBeCloseTo(-s, 6);
    expect(y[1]![0]).toBeCloseTo(s, 6);
    expect(y[0]![1]).toBeCloseTo(0.5, 6);
  });

  it('a vicreg projector [8, 4] with projectorNorm batch defines the BN parameters of the hidden layer only', () => {
    const registry = Registry.empty.registerAll(lossPlugins);
    if (E.isLeft(registry)) throw new Error(registry.left.message);
    const loss = registry.right.create('loss', { name: 'vicreg', projector: [8, 4], projectorNorm: 'batch' }, 'loss');
    if (E.isLeft(loss)) throw new Error(loss.left.message);
    const store = new ParamStore();
    const bound = (loss.right as SslLoss).build({ dim: 6, equiDim: 0, tokens: 0, transformDim: 0 }, store, Rng.seeded(0), 'loss.');
    expect(store.names().filter((n) => n.includes('.bn.'))).toEqual(['loss.projector.0.bn.weight', 'loss.projector.0.bn.bias']);
    const r = bound.compute(bound.initialState, { z1: tf.randomNormal([5, 6], 0, 1, 'float32', 1) as tf.Tensor2D, z2: tf.randomNormal([5, 6], 0, 1, 'float32', 2) as tf.Tensor2D, step: 0 });
    expect(Number.isFinite(r.loss.dataSync()[0]!)).toBe(true);
    store.dispose();
  });
});
