/**
 * `stl`: Self-supervised Transformation Learning (Yu, Kim, Yang, Kim,
 * "Self-supervised Transformation Learning for Equivariant Representations",
 * NeurIPS 2024; jaemyung-u/stl, `model.py`, class STL).
 *
 * Batches come in aligned pairs (`alignedPairs`): images 2i and 2i + 1
 * share one draw of the path's transformation and each view's crop, colour
 * jitter and grayscale (STL's `aligned_transform`; the pipeline's views do
 * this). With y1, y2 the representations of the two views:
 *
 * - a transformation encoder T (MLP on the concatenated pair) gives
 *   r(1→2) = T([y1; y2]) and r(2→1) = T([y2; y1]);
 * - the equivariant predictor is a hypernetwork fed the *partner's*
 *   transformation representation: ŷ1 = W(r_partner(2→1))·y2,
 *   ŷ2 = W(r_partner(1→2))·y1;
 * - three InfoNCE terms (τ 0.2): invariance between P_inv(y1) and P_inv(y2);
 *   equivariance between P_equi([y1; y2]) and P_equi([ŷ1; ŷ2]);
 *   transformation between P_trans of the two members of each pair (both
 *   directions), which share the transformation.
 *
 *   L = inv·L_inv + equi·L_equi + trans·L_trans   (weights 1, 1, 0.1)
 *
 * STL reads the representation equissl hands every loss, the invariant part
 * z of the split (the whole representation with `equiFraction: 0`). It
 * learns its transformation representations from the images, so it needs no θ.
 * CPU-sized widths by default (STL: projector 512-128, trans 128-128).
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, positive, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { hypernetworkPredictor } from './hypernetwork.js';
import type { SslLoss } from './objective.js';
import { ProjectorConfig, buildProjector } from './projector.js';
import { selectRows } from './select-rows.js';
import { infoNce } from './simclr.js';

export const StlConfig = struct(
  'stl',
  {
    projector: ProjectorConfig,
    transBackbone: ProjectorConfig,
    transProjector: ProjectorConfig,
    temperature: positive,
    invWeight: nonNegative,
    equiWeight: nonNegative,
    transWeight: nonNegative,
  },
  { projector: [256, 64], transBackbone: [64, 64], transProjector: [64, 64], temperature: 0.2, invWeight: 1, equiWeight: 1, transWeight: 0.1 },
);
export type StlConfig = t.TypeOf<typeof StlConfig>;

/** Row indices `[0, 2, 4, …]`, `[1, 3, 5, …]` and the partner of each row `[1, 0, 3, 2, …]`. */
export const pairIndices = (b: number): { even: number[]; odd: number[]; partner: number[] } => {
  const half = Array.from({ length: b / 2 }, (_, i) => i);
  return { even: half.map((i) => 2 * i), odd: half.map((i) => 2 * i + 1), partner: Array.from({ length: b }, (_, i) => i ^ 1) };
};

/** The STL loss for a decoded config. */
export const stlLoss = (c: StlConfig): SslLoss<null> => ({
  name: 'stl',
  needs: ['alignedPairs'],
  build: ({ dim }, store, rng, prefix) => {
    const mlp = (name: string, fin: number, widths: ReadonlyArray<number>) =>
      buildProjector(fin, { projector: widths, projectorNorm: 'batch' }, store, rng, prefix, { name, lastBias: false });
    const transEncoder = mlp('transBackbone', 2 * dim, c.transBackbone);
    const transDim = c.transBackbone[c.transBackbone.length - 1] ?? 2 * dim;
    const predict = hypernetworkPredictor(transDim, dim, store, rng, `${prefix}equiTransform.`, false);
    const projectInv = mlp('projectorInv', dim, c.projector);
    const projectEqui = mlp('projectorEqui', dim, c.projector);
    const projectTrans = mlp('transProjector', transDim, c.transProjector);
    return {
      initialState: null,
      compute: (state, { z1: y1, z2: y2 }) => {
        const b = y1.shape[0];
        if (b % 2 !== 0) throw new Error(`stl: a batch of ${b} cannot form aligned pairs; use an even batchSize (per worker)`);
        const { even, odd, partner } = pairIndices(b);
        const r12 = transEncoder(tf.concat([y1, y2], 1) as tf.Tensor2D);
        const r21 = transEncoder(tf.concat([y2, y1], 1) as tf.Tensor2D);
        const trans1 = tf.concat([selectRows(r12, even), selectRows(r21, even)], 0) as tf.Tensor2D;
        const trans2 = tf.concat([selectRows(r12, odd), selectRows(r21, odd)], 0) as tf.Tensor2D;
        const pred1 = predict(y2, selectRows(r21, partner));
        const pred2 = predict(y1, selectRows(r12, partner));
        const invariance = infoNce(projectInv(y1), projectInv(y2), c.temperature);
        const equivariance = infoNce(
          tf.concat([projectEqui(y1), projectEqui(y2)], 0) as tf.Tensor2D,
          tf.concat([projectEqui(pred1), projectEqui(pred2)], 0) as tf.Tensor2D,
          c.temperature,
        );
        const transformation = infoNce(projectTrans(trans1), projectTrans(trans2), c.temperature);
        const loss = tf.addN([tf.mul(c.invWeight, invariance), tf.mul(c.equiWeight, equivariance), tf.mul(c.transWeight, transformation)]) as tf.Scalar;
        return { loss, terms: { invariance, equivariance, transformation }, state };
      },
    };
  },
});

/** The `stl` loss plugin. */
export const stl = definePlugin({
  kind: 'loss',
  name: 'stl',
  description: 'STL: InfoNCE invariance + hypernetwork equivariance with learned transformation representations on aligned pairs (weights 1, 1, 0.1)',
  config: StlConfig,
  create: (c) => E.right(stlLoss(c)),
});
