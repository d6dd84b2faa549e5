/**
 * `sie`: Split Invariant-Equivariant representations (Garrido, Najman,
 * LeCun, "Self-supervised learning of Split Invariant-Equivariant
 * representations", ICML 2023; facebookresearch/SIE, `src/models.py`, class SIE).
 *
 * The representation's invariant part z_inv and equivariant part z_equi get
 * their own projectors (SIE scales one width list by each part's share of the
 * channels; the last layer has no bias). A hypernetwork predictor maps view
 * 1's projected equivariant part to view 2's, conditioned on θ:
 * p = W(θ)·x1_equi. With x = [x_inv | x_equi] per view:
 *
 *   L = sim·MSE(x1_inv, x2_inv) + equiFactor·sim·MSE(p, x2_equi)
 *       + std·(h(x1)/2 + h(x2)/2) + std·h(p)/2 + cov·(off(C(x1))/D + off(C(x2))/D)
 *
 * with h the VICReg variance hinge. Coefficients: sim 10, std 10, cov 1,
 * equiFactor 0.45 (SIE's 3DIEBench run). One deliberate difference: the
 * predictor is x + W(θ)·x (`residualPredictor`, default on), so θ = 0 (no
 * transformation; equissl's θ are offsets from the identity) predicts view 1
 * unchanged; SIE's θ are absolute (quaternions), where a plain W(θ) is fine.
 *
 * Needs `equivariantPart` and `transformParams`.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { hypernetworkPredictor } from './hypernetwork.js';
import { type SslLoss, required } from './objective.js';
import { ProjectorConfig, ProjectorNorm, buildProjector } from './projector.js';
import { vicregRegularisers } from './vicreg.js';

export const SieConfig = struct(
  'sie',
  {
    simCoeff: nonNegative,
    stdCoeff: nonNegative,
    covCoeff: nonNegative,
    equiFactor: nonNegative,
    projector: ProjectorConfig,
    projectorNorm: ProjectorNorm,
    residualPredictor: t.boolean,
  },
  { simCoeff: 10, stdCoeff: 10, covCoeff: 1, equiFactor: 0.45, projector: [512, 512], projectorNorm: 'batch', residualPredictor: true },
);
export type SieConfig = t.TypeOf<typeof SieConfig>;

/** SIE's per-part widths: each width times the part's share of the channels, rounded (at least 1). */
export const partWidths = (widths: ReadonlyArray<number>, part: number, whole: number): number[] => widths.map((w) => Math.max(1, Math.round((w * part) / whole)));

/** The SIE loss for a decoded config. */
export const sieLoss = (c: SieConfig): SslLoss<null> => ({
  name: 'sie',
  needs: ['equivariantPart', 'transformParams'],
  build: ({ dim, equiDim, transformDim }, store, rng, prefix) => {
    const whole = dim + equiDim;
    const spec = (part: number) => ({ projector: partWidths(c.projector, part, whole), projectorNorm: c.projectorNorm });
    const invSpec = spec(dim);
    const equiSpec = spec(equiDim);
    const projectInv = buildProjector(dim, invSpec, store, rng, prefix, { name: 'projectorInv', lastBias: false });
    const projectEqui = buildProjector(equiDim, equiSpec, store, rng, prefix, { name: 'projectorEqui', lastBias: false });
    const equiWidth = equiSpec.projector[equiSpec.projector.length - 1] ?? equiDim;
    const predict = hypernetworkPredictor(transformDim, equiWidth, store, rng, `${prefix}predictor.`, c.residualPredictor);
    return {
      initialState: null,
      compute: (state, inputs) => {
        const theta = required('sie', 'transformParams', inputs.transformParams);
        const x1i = projectInv(inputs.z1);
        const x2i = projectInv(inputs.z2);
        const x1e = projectEqui(required('sie', 'e1', inputs.e1));
        const x2e = projectEqui(required('sie', 'e2', inputs.e2));
        const pred = predict(x1e, theta);
        const invariance = tf.mean(tf.squaredDifference(x1i, x2i)) as tf.Scalar;
        const equivariance = tf.mean(tf.squaredDifference(pred, x2e)) as tf.Scalar;
        const r1 = vicregRegularisers(tf.concat([x1i, x1e], 1) as tf.Tensor2D);
        const r2 = vicregRegularisers(tf.concat([x2i, x2e], 1) as tf.Tensor2D);
        const variance = tf.add(tf.div(r1.hinge, 2), tf.div(r2.hinge, 2)) as tf.Scalar;
        const predVariance = tf.div(vicregRegularisers(pred).hinge, 2) as tf.Scalar;
        const covariance = tf.add(r1.off, r2.off) as tf.Scalar;
        const loss = tf.addN([
          tf.mul(c.simCoeff, invariance),
          tf.mul(c.equiFactor * c.simCoeff, equivariance),
          tf.mul(c.stdCoeff, variance),
          tf.mul(c.stdCoeff, predVariance),
          tf.mul(c.covCoeff, covariance),
        ]) as tf.Scalar;
        return { loss, terms: { invariance, equivariance, variance, predVariance, covariance }, state };
      },
    };
  },
});

/** The `sie` loss plugin. */
export const sie = definePlugin({
  kind: 'loss',
  name: 'sie',
  description: 'SIE: VICReg on split invariant/equivariant projections with a θ-conditioned hypernetwork predictor (equiFactor 0.45)',
  config: SieConfig,
  create: (c) => E.right(sieLoss(c)),
});
