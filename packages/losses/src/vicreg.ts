/**
 * `vicreg`: Variance-Invariance-Covariance regularisation (Bardes, Ponce,
 * LeCun, ICLR 2022), with the coefficients SIE uses (Garrido et al. 2023):
 *
 *   L = sim·MSE(z1, z2) + std·(mean(relu(1 − σ1))/2 + mean(relu(1 − σ2))/2)
 *       + cov·(off(C1)/d + off(C2)/d)
 *
 * with σ = sqrt(Var(z) + 1e-4) (unbiased variance over the batch), C the
 * covariance of the centred batch divided by (B − 1), off(C) the sum of its
 * squared off-diagonal entries. `variant: sie` gives sim 10, std 10, cov 1;
 * `variant: vicreg` the original 25, 25, 1. Explicit coefficients override.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { projectedLoss, projectorDefaults, projectorProps } from './projector.js';

export const VicregConfig = struct(
  'vicreg',
  {
    variant: t.union([t.literal('sie'), t.literal('vicreg')]),
    simCoeff: t.union([nonNegative, t.undefined]),
    stdCoeff: t.union([nonNegative, t.undefined]),
    covCoeff: t.union([nonNegative, t.undefined]),
    ...projectorProps,
  },
  { variant: 'sie', simCoeff: undefined, stdCoeff: undefined, covCoeff: undefined, ...projectorDefaults },
);
export type VicregConfig = t.TypeOf<typeof VicregConfig>;

const presets = { sie: { sim: 10, std: 10, cov: 1 }, vicreg: { sim: 25, std: 25, cov: 1 } } as const;

/**
 * VICReg's two regularisers of one batch `[B, d]`: the variance hinge
 * mean(relu(1 − σ)) with σ = sqrt(Var(z) + eps), and off(C)/d.
 */
export const vicregRegularisers = (z: tf.Tensor2D, eps = 1e-4): { hinge: tf.Scalar; off: tf.Scalar } => {
  const [n, d] = z.shape;
  const zc = tf.sub(z, tf.mean(z, 0, true)) as tf.Tensor2D;
  const variance = tf.div(tf.sum(tf.square(zc), 0), n - 1);
  const std = tf.sqrt(tf.add(variance, eps));
  const cov = tf.div(tf.matMul(tf.transpose(zc), zc), n - 1);
  // off-diagonal squares = all squares − squared diagonal (the diagonal of C is the variance)
  const off = tf.sub(tf.sum(tf.square(cov)), tf.sum(tf.square(variance)));
  return { hinge: tf.mean(tf.relu(tf.sub(1, std))) as tf.Scalar, off: tf.div(off, d) as tf.Scalar };
};

/** The three unweighted VICReg terms of a pair of embeddings `[B, d]`. */
export const vicregTerms = (z1: tf.Tensor2D, z2: tf.Tensor2D, eps = 1e-4): { invariance: tf.Scalar; variance: tf.Scalar; covariance: tf.Scalar } => {
  const a = vicregRegularisers(z1, eps);
  const b = vicregRegularisers(z2, eps);
  return {
    invariance: tf.mean(tf.squaredDifference(z1, z2)) as tf.Scalar,
    variance: tf.add(tf.div(a.hinge, 2), tf.div(b.hinge, 2)) as tf.Scalar,
    covariance: tf.add(a.off, b.off) as tf.Scalar,
  };
};

/** The `vicreg` loss plugin. */
export const vicreg = definePlugin({
  kind: 'loss',
  name: 'vicreg',
  description: 'VICReg with SIE coefficients (sim 10, std 10, cov 1) or the original (25, 25, 1)',
  config: VicregConfig,
  create: (c) => {
    const k = { sim: c.simCoeff ?? presets[c.variant].sim, std: c.stdCoeff ?? presets[c.variant].std, cov: c.covCoeff ?? presets[c.variant].cov };
    return E.right(
      projectedLoss('vicreg', c, (z1, z2) => {
        const terms = vicregTerms(z1, z2);
        return { loss: tf.addN([tf.mul(k.sim, terms.invariance), tf.mul(k.std, terms.variance), tf.mul(k.cov, terms.covariance)]) as tf.Scalar, terms };
      }),
    );
  },
});
