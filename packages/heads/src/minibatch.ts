/**
 * Mini-batch training of small heads with Adam on frozen features: the one
 * loop ({@link fitMinibatches}) over shuffled epochs or a number of steps from
 * a seeded generator, every step inside `tf.tidy`.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';

/** Variables trained with one Adam at one learning rate. */
export interface ParamGroup {
  readonly variables: ReadonlyArray<tf.Variable>;
  readonly lr: number;
}

/**
 * How long to train: `epochs` passes over a fresh permutation each (the last
 * batch of a pass may be short), or `steps` batches of full size (a fresh
 * permutation when the current one cannot fill a batch).
 */
export type MinibatchSchedule = { readonly epochs: number } | { readonly steps: number };

/** Options of {@link fitMinibatches}. */
export interface FitOptions {
  readonly schedule: MinibatchSchedule;
  readonly batchSize: number;
  readonly rng: Rng;
  /** Called after every step with its number (from 1); `value()` reads the step's loss (a download: call it only when reporting). */
  readonly onStep?: (step: number, value: () => number) => void;
}

/**
 * The one minibatch loop of equissl's heads and downstream suites: Adam per
 * {@link ParamGroup} on `loss(batch indices)` over `n` rows, batches from
 * seeded permutations, every step inside `tf.tidy`.
 */
export const fitMinibatches = (n: number, groups: ReadonlyArray<ParamGroup>, loss: (idx: tf.Tensor1D) => tf.Scalar, o: FitOptions): void => {
  const optimizers = groups.map((g) => tf.train.adam(g.lr));
  const all = groups.flatMap((g) => [...g.variables]);
  const step = (rows: Int32Array, k: number) => {
    const idx = tf.tensor1d(rows, 'int32');
    const value = tf.tidy(() => {
      const { value: v, grads } = tf.variableGrads(() => loss(idx), all);
      groups.forEach((g, i) => optimizers[i]!.applyGradients(g.variables.map((x) => ({ name: x.name, tensor: grads[x.name]! }))));
      return v;
    });
    idx.dispose();
    o.onStep?.(k, () => value.dataSync()[0]!);
    value.dispose();
  };
  try {
    let k = 0;
    if ('epochs' in o.schedule) {
      for (let epoch = 0; epoch < o.schedule.epochs; epoch++) {
        const order = o.rng.permutation(n);
        for (let start = 0; start < n; start += o.batchSize) step(order.subarray(start, Math.min(n, start + o.batchSize)), ++k);
      }
    } else {
      const bs = Math.min(o.batchSize, n);
      let order = o.rng.permutation(n);
      let pos = 0;
      while (k < o.schedule.steps) {
        if (pos + bs > n) {
          order = o.rng.permutation(n);
          pos = 0;
        }
        step(order.subarray(pos, pos + bs), ++k);
        pos += bs;
      }
    }
  } finally {
    optimizers.forEach((opt) => opt.dispose());
  }
};

/** Options of {@link trainMinibatches}. */
export interface MinibatchOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly rng: Rng;
}

/** `epochs` of {@link fitMinibatches} with one Adam on `loss(xBatch, yBatch)` over `variables`: a head on features `x`, targets `y`. */
export const trainMinibatches = (x: tf.Tensor2D, y: tf.Tensor, variables: tf.Variable[], loss: (xb: tf.Tensor2D, yb: tf.Tensor) => tf.Scalar, o: MinibatchOptions): void =>
  fitMinibatches(x.shape[0], [{ variables, lr: o.lr }], (idx) => loss(tf.gather(x, idx) as tf.Tensor2D, tf.gather(y, idx)), { schedule: { epochs: o.epochs }, batchSize: o.batchSize, rng: o.rng });

/** Column means and standard deviations of `x` (std floored at 1e-6). */
export const standardizer = (x: tf.Tensor2D): { mean: tf.Tensor1D; std: tf.Tensor1D } =>
  tf.tidy(() => {
    const { mean, variance } = tf.moments(x, 0);
    return { mean: mean as tf.Tensor1D, std: tf.maximum(tf.sqrt(variance), 1e-6) as tf.Tensor1D };
  });
