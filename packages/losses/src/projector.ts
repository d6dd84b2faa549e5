/**
 * An optional MLP projector (expander) in front of a loss: Linear → ReLU for
 * each hidden width, then a final Linear; an empty list means the identity
 * (the loss sees the encoder's features directly, as in the benchmark step).
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import { type ParamStore, dense, truncNormal, zeros } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { positiveInt } from '@equissl/core';
import type { SslLoss } from './objective.js';

/** Widths of the projector's layers (hidden… , output); `[]` for none. */
export const ProjectorConfig = t.array(positiveInt);

/** The projector's output width for an input of width `dim`. */
export const projectedDim = (dim: number, widths: ReadonlyArray<number>): number => widths[widths.length - 1] ?? dim;

/**
 * A stateless loss on projected embeddings: the projector is built from
 * `widths`, and `compute` sees the projected pair. All three built-in losses
 * are of this shape.
 */
export const projectedLoss = (
  name: string,
  widths: ReadonlyArray<number>,
  compute: (z1: tf.Tensor2D, z2: tf.Tensor2D) => { loss: tf.Scalar; terms: Readonly<Record<string, tf.Scalar>> },
): SslLoss<null> => ({
  name,
  needs: [],
  build: (dim, store, rng, prefix) => {
    const project = buildProjector(dim, widths, store, rng, prefix);
    return {
      initialState: null,
      compute: (state, { z1, z2 }) => ({ ...compute(project(z1), project(z2)), state }),
    };
  },
});

/** Defines the projector's parameters and returns it as a function. */
export const buildProjector = (dim: number, widths: ReadonlyArray<number>, store: ParamStore, rng: Rng, prefix: string): ((z: tf.Tensor2D) => tf.Tensor2D) => {
  const layers = widths.map((w, i) => {
    const fin = i === 0 ? dim : widths[i - 1]!;
    return [store.add(`${prefix}projector.${i}.weight`, truncNormal([fin, w], 0.02, rng)), store.add(`${prefix}projector.${i}.bias`, zeros([w]))] as const;
  });
  return (z) => layers.reduce((h, [w, b], i) => (i < layers.length - 1 ? tf.relu(dense(h, w, b)) : dense(h, w, b)), z);
};
