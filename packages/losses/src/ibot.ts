/**
 * `ibot`: image BERT pre-training with an online tokenizer (Zhou et al.,
 * "iBOT: Image BERT Pre-Training with Online Tokenizer", ICLR 2022;
 * bytedance/ibot `main_ibot.py`, class iBOTLoss).
 *
 * An EMA teacher (momentum 0.996 → 1, cosine) sees both views unmasked; the
 * student sees them with block-wise masks (each image masked with probability
 * 0.5, ratio U(0.1, 0.5)). Both pass the DINO head (`dino-head.ts`). With
 * P_t = softmax((t − c)/τ_t) and log P_s = log softmax(s/τ_s):
 *
 * - cls term: the cross-entropy −P_t(cls of view a)·log P_s(cls of view b)
 *   over the two cross pairs (a ≠ b), averaged;
 * - patch term: per view, −P_t(patch)·log P_s(patch) on the masked patches
 *   of the student's view, averaged per image over its masked patches
 *   (images without masks add 0), over the batch and the two views;
 * - L = λ1·cls + λ2·patch (1, 1).
 *
 * The centres c (cls) and c2 (patches) are the loss's state, updated after
 * each step: c ← m·c + (1 − m)·mean(teacher cls logits), m = 0.9 (c2 from the
 * patch logits, mean over patches, then the batch). τ_s 0.1; the paper's τ_t
 * rises from 0.04 to 0.07 over the warm-up, the default here is 0.0025 from
 * the first step ({@link cpuTeacherTemperature}: the paper's leaves a uniform
 * teacher at CPU scale). The teacher's mean entropy is
 * logged as `teacherEntropy` (log K: uniform, which is collapse; near 0: a
 * sharp teacher), the entropy of its batch-mean distribution as
 * `teacherMarginalEntropy` (near 0: every image on one prototype, the other
 * collapse), and `kl` = cls − teacherEntropy, the mean KL(P_t ‖ P_s):
 * the part of the cls term the student can lower. Early in training the cls
 * term itself often rises while centring flattens a sharp initial teacher.
 *
 * Needs `patchTokens`, `teacher` and `tokenMasks`.
 *
 * @since 0.1.0
 */
import { definePlugin, nonNegative, struct, probability } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import {
  buildDinoHead,
  cpuTeacherTemperature,
  crossEntropy,
  dinoHeadDefaults,
  dinoHeadProps,
  maskedPatchLoss,
  marginalEntropy,
  meanEntropy,
  teacherTemperature,
  temperatureDefaults,
  temperatureProps,
} from './dino-head.js';
import { type SslLoss, required } from './objective.js';

/** The masking and teacher fields iBOT and DINOv2 share. */
export const maskingProps = { maskProbability: probability, minMaskRatio: probability, maxMaskRatio: probability, teacherMomentum: probability };

export const IbotConfig = struct(
  'ibot',
  { ...dinoHeadProps, ...temperatureProps, ...maskingProps, centerMomentum: probability, clsWeight: nonNegative, patchWeight: nonNegative },
  {
    ...dinoHeadDefaults,
    ...temperatureDefaults,
    ...cpuTeacherTemperature,
    maskProbability: 0.5,
    minMaskRatio: 0.1,
    maxMaskRatio: 0.5,
    teacherMomentum: 0.996,
    centerMomentum: 0.9,
    clsWeight: 1,
    patchWeight: 1,
  },
);
export type IbotConfig = t.TypeOf<typeof IbotConfig>;

/** The teacher's head outputs (logits) for the two views. */
export interface DinoTeacherOutputs {
  readonly cls1: tf.Tensor2D;
  readonly cls2: tf.Tensor2D;
  readonly patches1: tf.Tensor3D;
  readonly patches2: tf.Tensor3D;
}

/** iBOT's state: the centres of the teacher's cls and patch logits. */
export interface IbotState {
  readonly center: number[];
  readonly center2: number[];
}

/** The teacher's side shared by iBOT and DINOv2: the head on the teacher's cls and patch features. */
export const dinoTeach =
  (head: <T extends tf.Tensor>(x: T) => T) =>
  (features: { z1: tf.Tensor2D; z2: tf.Tensor2D; tokens1?: tf.Tensor3D; tokens2?: tf.Tensor3D }): DinoTeacherOutputs => ({
    cls1: head(features.z1),
    cls2: head(features.z2),
    patches1: head(required('teacher', 'tokens1', features.tokens1)),
    patches2: head(required('teacher', 'tokens2', features.tokens2)),
  });

/** What iBOT and DINOv2 ask of the step: tokens, an EMA teacher and masks; a quarter of the channels equivariant by default (the paper's split for their heads). */
export const teacherStudentNeeds = (c: { teacherMomentum: number; maskProbability: number; minMaskRatio: number; maxMaskRatio: number }) =>
  ({
    needs: ['patchTokens', 'teacher', 'tokenMasks'],
    teacherMomentum: c.teacherMomentum,
    equiFraction: 0.25,
    masking: { probability: c.maskProbability, minRatio: c.minMaskRatio, maxRatio: c.maxMaskRatio },
  }) as const;

/** The iBOT loss for a decoded config. */
export const ibotLoss = (c: IbotConfig): SslLoss<IbotState, DinoTeacherOutputs> => ({
  name: 'ibot',
  ...teacherStudentNeeds(c),
  build: ({ dim }, store, rng, prefix) => {
    const head = buildDinoHead(dim, c, store, rng, prefix);
    const zero = Array.from({ length: c.prototypes }, () => 0);
    return {
      initialState: { center: zero, center2: zero },
      teach: (_state, features) => dinoTeach(head)(features),
      compute: (state, inputs) => {
        const teacher = required('ibot', 'teacher', inputs.teacher);
        const masks1 = required('ibot', 'masks1', inputs.masks1);
        const masks2 = required('ibot', 'masks2', inputs.masks2);
        const tau = teacherTemperature(inputs.step, c.warmupTeacherTemp, c.teacherTemp, c.teacherTempWarmupSteps);
        const center = tf.tensor1d(state.center);
        const center2 = tf.tensor1d(state.center2);
        const probs = (logits: tf.Tensor, centre: tf.Tensor) => tf.softmax(tf.div(tf.sub(logits, centre), tau));
        const t1 = probs(teacher.cls1, center) as tf.Tensor2D;
        const t2 = probs(teacher.cls2, center) as tf.Tensor2D;
        const s1 = head(inputs.z1);
        const s2 = head(inputs.z2);
        const cls = tf.div(tf.add(tf.mean(crossEntropy(t2, s1, c.studentTemp)), tf.mean(crossEntropy(t1, s2, c.studentTemp))), 2) as tf.Scalar;
        const patchTerm = (tp: tf.Tensor3D, tokens: tf.Tensor3D | undefined, masks: tf.Tensor2D) =>
          maskedPatchLoss(crossEntropy(probs(tp, center2), head(required('ibot', 'tokens', tokens)), c.studentTemp) as tf.Tensor2D, masks);
        const patch = tf.div(tf.add(patchTerm(teacher.patches1, inputs.tokens1, masks1), patchTerm(teacher.patches2, inputs.tokens2, masks2)), 2) as tf.Scalar;
        const loss = tf.add(tf.mul(c.clsWeight, cls), tf.mul(c.patchWeight, patch)) as tf.Scalar;
        const both = tf.concat([t1, t2], 0) as tf.Tensor2D;
        const teacherEntropy = meanEntropy(both);
        // the centres move towards this batch's teacher logits (constants: the teacher has no gradient)
        const clsMean = tf.mean(tf.concat([teacher.cls1, teacher.cls2], 0), 0);
        const patchMean = tf.mean(tf.concat([tf.mean(teacher.patches1, 1), tf.mean(teacher.patches2, 1)], 0), 0);
        const m = c.centerMomentum;
        const next: IbotState = {
          center: Array.from(tf.add(tf.mul(center, m), tf.mul(clsMean, 1 - m)).dataSync()),
          center2: Array.from(tf.add(tf.mul(center2, m), tf.mul(patchMean, 1 - m)).dataSync()),
        };
        // cls = teacherEntropy + kl: the entropy is the teacher's (centring raises it, sharpening lowers it), kl is what the student lowers
        return { loss, terms: { cls, patch, teacherEntropy, teacherMarginalEntropy: marginalEntropy(both), kl: tf.sub(cls, teacherEntropy) as tf.Scalar }, state: next };
      },
    };
  },
});

/** The `ibot` loss plugin. */
export const ibot = definePlugin({
  kind: 'loss',
  name: 'ibot',
  description: 'iBOT: EMA teacher, DINO head, centred cls distillation and masked-patch token loss (τ_s 0.1, τ_t 0.04 → 0.07)',
  config: IbotConfig,
  create: (c) => E.right(ibotLoss(c)),
});
