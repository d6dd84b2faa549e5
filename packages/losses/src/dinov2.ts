/**
 * `dinov2`: DINOv2 (Oquab et al., "DINOv2: Learning Robust Visual Features
 * without Supervision", TMLR 2024; facebookresearch/dinov2
 * `train/ssl_meta_arch.py` and `loss/`).
 *
 * iBOT's two terms (see `ibot.ts`: EMA teacher — momentum 0.992 → 1 here —
 * DINO head, masked student views, cls cross pairs and masked-patch term)
 * with two changes:
 *
 * - the teacher is centred by Sinkhorn-Knopp (`sinkhorn.ts`; the paper's 3
 *   iterations, 1 by default here: with 3 the student of a 30-step CPU run
 *   has not learnt the centred targets, docs/losses/ibot.md) instead of a moving centre: over the 2B cls logits of both views, and over
 *   the masked patches of both views together; so the loss has no state;
 * - the KoLeo regulariser (`koleo.ts`) on the student's pooled features z of
 *   each view, weight 0.1.
 *
 *   L = cls + patch + 0.1·(KoLeo(z1) + KoLeo(z2))
 *
 * Needs `patchTokens`, `teacher` and `tokenMasks`.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, positiveInt, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { buildDinoHead, cpuTeacherTemperature, crossEntropy, dinoHeadDefaults, dinoHeadProps, marginalEntropy, meanEntropy, teacherTemperature, temperatureDefaults, temperatureProps } from './dino-head.js';
import { type DinoTeacherOutputs, dinoTeach, maskingProps, teacherStudentNeeds } from './ibot.js';
import { koleo } from './koleo.js';
import { type SslLoss, required } from './objective.js';
import { sinkhornKnopp } from './sinkhorn.js';

export const Dinov2Config = struct(
  'dinov2',
  { ...dinoHeadProps, ...temperatureProps, ...maskingProps, sinkhornIterations: positiveInt, koleoWeight: nonNegative, clsWeight: nonNegative, patchWeight: nonNegative },
  {
    ...dinoHeadDefaults,
    ...temperatureDefaults,
    ...cpuTeacherTemperature,
    maskProbability: 0.5,
    minMaskRatio: 0.1,
    maxMaskRatio: 0.5,
    teacherMomentum: 0.992,
    // the paper's 3 leave a 30-step student behind its targets (docs/losses/ibot.md, "Defaults of equissl pretrain")
    sinkhornIterations: 1,
    koleoWeight: 0.1,
    clsWeight: 1,
    patchWeight: 1,
  },
);
export type Dinov2Config = t.TypeOf<typeof Dinov2Config>;

/** The flat indices of the masked patches of `[B, N]` masks (row-major). */
const maskedIndices = (masks: tf.Tensor2D): number[] => {
  const m = masks.dataSync();
  const out: number[] = [];
  for (let i = 0; i < m.length; i++) if (m[i]! > 0.5) out.push(i);
  return out;
};

/** The DINOv2 loss for a decoded config. */
export const dinov2Loss = (c: Dinov2Config): SslLoss<null, DinoTeacherOutputs> => ({
  name: 'dinov2',
  ...teacherStudentNeeds(c),
  build: ({ dim }, store, rng, prefix) => {
    const head = buildDinoHead(dim, c, store, rng, prefix);
    return {
      initialState: null,
      teach: (_state, features) => dinoTeach(head)(features),
      compute: (state, inputs) => {
        const teacher = required('dinov2', 'teacher', inputs.teacher);
        const masks = tf.concat([required('dinov2', 'masks1', inputs.masks1), required('dinov2', 'masks2', inputs.masks2)], 0) as tf.Tensor2D;
        const tokens = tf.concat([required('dinov2', 'tokens1', inputs.tokens1), required('dinov2', 'tokens2', inputs.tokens2)], 0) as tf.Tensor3D;
        const tau = teacherTemperature(inputs.step, c.warmupTeacherTemp, c.teacherTemp, c.teacherTempWarmupSteps);
        const b = inputs.z1.shape[0];
        // cls: Sinkhorn over both views' teacher logits, student view a against teacher view b ≠ a
        const tCls = sinkhornKnopp(tf.concat([teacher.cls1, teacher.cls2], 0) as tf.Tensor2D, tau, c.sinkhornIterations);
        const [t1, t2] = tf.split(tCls, [b, b], 0) as [tf.Tensor2D, tf.Tensor2D];
        const cls = tf.div(tf.add(tf.mean(crossEntropy(t2, head(inputs.z1), c.studentTemp)), tf.mean(crossEntropy(t1, head(inputs.z2), c.studentTemp))), 2) as tf.Scalar;
        // patches: Sinkhorn over the masked patches of both views; each image's masked patches weigh 1/count
        const index = maskedIndices(masks);
        const [rows, n] = masks.shape;
        let patch = tf.scalar(0);
        if (index.length > 0) {
          // the teacher has no gradient: gather its masked rows, centre them, and put them back in place (zeros elsewhere)
          const k = teacher.cls1.shape[1];
          const flatTeacher = tf.reshape(tf.concat([teacher.patches1, teacher.patches2], 0), [rows * n, k]) as tf.Tensor2D;
          const centred = sinkhornKnopp(tf.gather(flatTeacher, tf.tensor1d(index, 'int32')) as tf.Tensor2D, tau, c.sinkhornIterations).dataSync() as Float32Array;
          const targets = new Float32Array(rows * n * k);
          index.forEach((at, i) => targets.set(centred.subarray(i * k, (i + 1) * k), at * k));
          const ce = crossEntropy(tf.tensor2d(targets, [rows * n, k]), tf.reshape(head(tokens), [rows * n, k]), c.studentTemp);
          // each image's masked patches weigh 1/count, images without masks nothing; over all images of both views
          const perImage = tf.sum(masks, 1).dataSync();
          const weights = new Float32Array(rows * n);
          for (const at of index) weights[at] = 1 / perImage[Math.floor(at / n)]!;
          patch = tf.div(tf.sum(tf.mul(ce, tf.tensor1d(weights))), rows);
        }
        const spread = tf.add(koleo(inputs.z1), koleo(inputs.z2)) as tf.Scalar;
        const loss = tf.addN([tf.mul(c.clsWeight, cls), tf.mul(c.patchWeight, patch), tf.mul(c.koleoWeight, spread)]) as tf.Scalar;
        const teacherEntropy = meanEntropy(tCls);
        return { loss, terms: { cls, patch: patch as tf.Scalar, koleo: spread, teacherEntropy, teacherMarginalEntropy: marginalEntropy(tCls), kl: tf.sub(cls, teacherEntropy) as tf.Scalar }, state };
      },
    };
  },
});

/** The `dinov2` loss plugin. */
export const dinov2 = definePlugin({
  kind: 'loss',
  name: 'dinov2',
  description: 'DINOv2: iBOT terms with Sinkhorn-Knopp teacher centring (1 iteration by default; the paper: 3) and the KoLeo regulariser (0.1)',
  config: Dinov2Config,
  create: (c) => E.right(dinov2Loss(c)),
});
