/**
 * An optional MLP projector (expander) in front of a loss: for each hidden
 * width Linear → [BatchNorm] → ReLU, then a final Linear; an empty list means
 * the identity (the loss sees the encoder's features directly, as in the
 * benchmark step). VICReg and SIE use `[…, 2048]`-wide expanders with batch
 * norm; the CPU-scale reproduce preset uses `[512, 512]` with batch norm.
 *
 * The projector is a training head: evaluation never reads it, so its batch
 * norm always uses the statistics of the batch it sees (no running averages).
 *
 * @since 0.1.0
 */
import { type Rng, positiveInt } from '@equissl/core';
import { type ParamStore, dense, ones, truncNormal, zeros } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import type { SslLoss } from './objective.js';

/** Widths of the projector's layers (hidden… , output); `[]` for none. */
export const ProjectorConfig = t.array(positiveInt);

/** Normalisation after each hidden layer of the projector. */
export const ProjectorNorm = t.union([t.literal('none'), t.literal('batch')]);
export type ProjectorNorm = t.TypeOf<typeof ProjectorNorm>;

/** The config fields every projected loss has, and their defaults. */
export const projectorProps = { projector: ProjectorConfig, projectorNorm: ProjectorNorm };
export const projectorDefaults: { projector: number[]; projectorNorm: ProjectorNorm } = { projector: [], projectorNorm: 'none' };

/** How a loss's projector is shaped. */
export interface ProjectorSpec {
  readonly projector: ReadonlyArray<number>;
  readonly projectorNorm: ProjectorNorm;
}

/** The projector's output width for an input of width `dim`. */
export const projectedDim = (dim: number, widths: ReadonlyArray<number>): number => widths[widths.length - 1] ?? dim;

/**
 * A stateless loss on projected embeddings: the projector is built from
 * `spec`, and `compute` sees the projected pair. All three built-in losses
 * are of this shape.
 */
export const projectedLoss = (
  name: string,
  spec: ProjectorSpec,
  compute: (z1: tf.Tensor2D, z2: tf.Tensor2D) => { loss: tf.Scalar; terms: Readonly<Record<string, tf.Scalar>> },
): SslLoss<null> => ({
  name,
  needs: [],
  build: ({ dim }, store, rng, prefix) => {
    const project = buildProjector(dim, spec, store, rng, prefix);
    return {
      initialState: null,
      compute: (state, { z1, z2 }) => ({ ...compute(project(z1), project(z2)), state }),
    };
  },
});

/** Batch normalisation over the batch axis with the batch's own statistics (biased variance, ε 1e-5, as PyTorch's BatchNorm1d in training). */
export const batchNorm1d = (x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor, eps = 1e-5): tf.Tensor2D => {
  const { mean, variance } = tf.moments(x, 0, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta) as tf.Tensor2D;
};

/**
 * Defines the projector's parameters under `${prefix}${name}.` and returns it
 * as a function. `lastBias: false` drops the last layer's bias (SIE, STL).
 */
export const buildProjector = (
  dim: number,
  spec: ProjectorSpec,
  store: ParamStore,
  rng: Rng,
  prefix: string,
  { name = 'projector', lastBias = true }: { name?: string; lastBias?: boolean } = {},
): ((z: tf.Tensor2D) => tf.Tensor2D) => {
  const { projector: widths, projectorNorm } = spec;
  const layers = widths.map((w, i) => {
    const fin = i === 0 ? dim : widths[i - 1]!;
    const hidden = i < widths.length - 1;
    return {
      weight: store.add(`${prefix}${name}.${i}.weight`, truncNormal([fin, w], 0.02, rng)),
      bias: hidden || lastBias ? store.add(`${prefix}${name}.${i}.bias`, zeros([w])) : undefined,
      norm: hidden && projectorNorm === 'batch' ? ([store.add(`${prefix}${name}.${i}.bn.weight`, ones([w])), store.add(`${prefix}${name}.${i}.bn.bias`, zeros([w]))] as const) : undefined,
      hidden,
    };
  });
  return (z) =>
    layers.reduce((h, l) => {
      const y = l.bias === undefined ? (tf.matMul(h, l.weight) as tf.Tensor2D) : dense(h, l.weight, l.bias);
      if (!l.hidden) return y;
      return tf.relu(l.norm === undefined ? y : batchNorm1d(y, l.norm[0], l.norm[1]));
    }, z);
};
