/**
 * The DINO projection head and the cross-entropy between a teacher's
 * distribution and a student's, shared by `ibot` and `dinov2` (Caron et al.,
 * "Emerging Properties in Self-Supervised Vision Transformers", ICCV 2021;
 * bytedance/ibot `models/head.py`, facebookresearch/dinov2 `dino_head.py`).
 *
 * Head: Linear → GELU → Linear → GELU → Linear (bottleneck) → L2 normalise →
 * weight-normalised prototypes (each prototype a unit vector, the weight
 * norm fixed at 1 as with `norm_last_layer`). One head serves the cls token
 * and the patch tokens (iBOT's shared head). iBOT's widths are 2048 hidden,
 * 256 bottleneck, 8192 prototypes; the CPU-sized defaults are 256, 64, 256.
 *
 * @since 0.1.0
 */
import { nonNegative, positive, positiveInt, type Rng } from '@equissl/core';
import { type ParamStore, dense, gelu, truncNormal, zeros } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';

/** The head's config fields and their defaults. */
export const dinoHeadProps = { headHidden: positiveInt, bottleneck: positiveInt, prototypes: positiveInt };
export const dinoHeadDefaults = { headHidden: 256, bottleneck: 64, prototypes: 256 };

/** The temperatures' config fields (student τ_s; teacher τ_t warmed up linearly from `warmupTeacherTemp`). */
export const temperatureProps = { studentTemp: positive, teacherTemp: positive, warmupTeacherTemp: positive, teacherTempWarmupSteps: nonNegative };
export const temperatureDefaults = { studentTemp: 0.1, teacherTemp: 0.07, warmupTeacherTemp: 0.04, teacherTempWarmupSteps: 100 };

/**
 * The iBOT and DINOv2 teacher temperature of the plugins' defaults, for
 * `equissl pretrain` at CPU scale: the papers' warm-up from 0.04 to 0.07
 * leaves a uniform teacher within 30 steps on the embedded images; 0.0025
 * from the first step is the warmest τ_t of the screen whose teachers are
 * neither uniform nor on one prototype at both 30 and 300 steps
 * (docs/losses/ibot.md, "Defaults of equissl pretrain").
 */
export const cpuTeacherTemperature = { teacherTemp: 0.0025, warmupTeacherTemp: 0.0025 };

/** The teacher temperature at `step`: linear from `warmup` to `final` over steps 0 … warmupSteps − 1, then `final` (iBOT's linspace per epoch, per step here). */
export const teacherTemperature = (step: number, warmup: number, final: number, warmupSteps: number): number =>
  warmupSteps <= 1 || step >= warmupSteps - 1 ? final : warmup + ((final - warmup) * step) / (warmupSteps - 1);

/** Defines the head under `${prefix}head.` and returns it for `[…, dim]` features → `[…, prototypes]` logits. */
export const buildDinoHead = (
  dim: number,
  c: { headHidden: number; bottleneck: number; prototypes: number },
  store: ParamStore,
  rng: Rng,
  prefix: string,
): (<T extends tf.Tensor>(x: T) => T) => {
  const layer = (i: number, fin: number, fout: number) => [
    store.add(`${prefix}head.${i}.weight`, truncNormal([fin, fout], 0.02, rng)),
    store.add(`${prefix}head.${i}.bias`, zeros([fout])),
  ] as const;
  const l0 = layer(0, dim, c.headHidden);
  const l1 = layer(1, c.headHidden, c.headHidden);
  const l2 = layer(2, c.headHidden, c.bottleneck);
  const prototypes = store.add(`${prefix}head.prototypes`, truncNormal([c.bottleneck, c.prototypes], 0.02, rng));
  return <T extends tf.Tensor>(x: T): T => {
    const h = dense(gelu(dense(gelu(dense(x, ...l0)), ...l1)), ...l2);
    const unit = tf.div(h, tf.maximum(tf.norm(h, 'euclidean', -1, true), 1e-12));
    const w = tf.div(prototypes, tf.norm(prototypes, 'euclidean', 0, true));
    const flat = tf.reshape(unit, [-1, c.bottleneck]);
    return tf.reshape(tf.matMul(flat, w), [...x.shape.slice(0, -1), c.prototypes]) as T;
  };
};

/** Σ_k −p_k · log softmax(s / τ_s)_k along the last axis: `[…, K]` → `[…]`. */
export const crossEntropy = (teacherProbs: tf.Tensor, studentLogits: tf.Tensor, studentTemp: number): tf.Tensor =>
  tf.neg(tf.sum(tf.mul(teacherProbs, tf.logSoftmax(tf.div(studentLogits, studentTemp))), -1));

/** Mean entropy of the rows of `[R, K]` probabilities (log K when uniform, 0 when one-hot): logged to watch for collapse. */
export const meanEntropy = (probs: tf.Tensor2D): tf.Scalar => tf.mean(tf.neg(tf.sum(tf.mul(probs, tf.log(tf.add(probs, 1e-12))), 1))) as tf.Scalar;

/**
 * Entropy of the batch's mean distribution, the mean of the rows of `[R, K]`
 * probabilities: 0 when every row puts its mass on the same prototype (the
 * collapse where one prototype wins), up to min(log K, log R) when the rows
 * spread over the prototypes. A sharp teacher (low {@link meanEntropy}) is
 * healthy only while this stays high.
 */
export const marginalEntropy = (probs: tf.Tensor2D): tf.Scalar => {
  const mean = tf.mean(probs, 0);
  return tf.neg(tf.sum(tf.mul(mean, tf.log(tf.add(mean, 1e-12))))) as tf.Scalar;
};

/**
 * The masked-patch term of iBOT / DINOv2: per image, the mean over its masked
 * patches of the cross-entropy `[B, N]`; images without masked patches add 0;
 * averaged over the batch.
 */
export const maskedPatchLoss = (ce: tf.Tensor2D, masks: tf.Tensor2D): tf.Scalar =>
  tf.mean(tf.div(tf.sum(tf.mul(ce, masks), 1), tf.maximum(tf.sum(masks, 1), 1))) as tf.Scalar;

