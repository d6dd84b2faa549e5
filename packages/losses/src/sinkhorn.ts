/**
 * Sinkhorn-Knopp centring of teacher logits (DINOv2, Oquab et al. 2024;
 * facebookresearch/dinov2 `loss/dino_clstoken_loss.py`,
 * `sinkhorn_knopp_teacher`, after SwAV): Q = exp(t/τ)ᵀ `[K, R]`, normalised to
 * sum 1, then `iterations` times: rows to 1/K each, columns to 1/R each;
 * finally scaled so each row of the result (one per sample) sums to 1.
 *
 * Computed in the log domain, mathematically identical to DINOv2's algorithm:
 * log Q = t/τ; subtract the logsumexp over all entries; then per iteration
 * the logsumexp of each prototype (minus log K) and of each sample (minus
 * log R); exp at the end (× R). Each logsumexp subtracts its maximum first
 * and the normalised value is formed as (x − max) − log Σ exp(x − max), so
 * nothing overflows, no sum is 0 (the maximum contributes exp(0) = 1) and
 * nothing becomes NaN for finite logits, however large: a prototype far
 * below every sample (where exp(t/τ) itself would underflow) keeps its
 * exact share instead of becoming a row of 0/0. DINOv2 takes exp of the raw
 * logits, which overflows in float32 once t/τ exceeds about 88; the
 * values here are its mathematical result.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';

/** x − logsumexp(x) along `axis` (over all entries when undefined), stable for any finite x. */
const logNormalise = (x: tf.Tensor2D, axis?: number): tf.Tensor2D => {
  const shifted = tf.sub(x, tf.max(x, axis, true));
  return tf.sub(shifted, tf.log(tf.sum(tf.exp(shifted), axis, true)));
};

/** Balanced assignment probabilities `[R, K]` of teacher logits `[R, K]` at temperature τ. */
export const sinkhornKnopp = (logits: tf.Tensor2D, temperature: number, iterations = 3): tf.Tensor2D =>
  tf.tidy(() => {
    const [r, k] = logits.shape;
    // log Q kept as [R, K] (DINOv2's Qᵀ): a row of Q (one prototype) sums over axis 0, a column (one sample) over axis 1
    let logQ = logNormalise(tf.div(logits, temperature));
    for (let i = 0; i < iterations; i++) {
      logQ = tf.sub(logNormalise(logQ, 0), Math.log(k));
      logQ = tf.sub(logNormalise(logQ, 1), Math.log(r));
    }
    return tf.exp(tf.add(logQ, Math.log(r))) as tf.Tensor2D;
  });
