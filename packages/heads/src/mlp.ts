/**
 * `mlp`: the regressor of SIE's equivariance evaluation — an MLP
 * (2d → 1024 → 1024 → |θ|, ReLU) trained with Adam (lr 1e-3) on MSE.
 * Inputs and targets are standardised on the training split; predictions are
 * returned in the targets' own units.
 *
 * @since 0.1.0
 */
import { positive, positiveInt, struct } from '@equissl/core';
import { dense, fanInUniform } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { type Regressor, defineHead } from './head.js';
import { standardizer, trainMinibatches } from './minibatch.js';

export const MlpConfig = struct(
  'mlp',
  { hidden: t.array(positiveInt), epochs: positiveInt, batchSize: positiveInt, lr: positive },
  { hidden: [1024, 1024], epochs: 30, batchSize: 256, lr: 1e-3 },
);
export type MlpConfig = t.TypeOf<typeof MlpConfig>;

/** An MLP regressor. */
export const mlpRegressor = (c: MlpConfig): Regressor => {
  let layers: [tf.Variable, tf.Variable][] = [];
  let norm: { xm: tf.Tensor1D; xs: tf.Tensor1D; ym: tf.Tensor1D; ys: tf.Tensor1D } | undefined;
  const forward = (x: tf.Tensor2D): tf.Tensor2D =>
    layers.reduce((h, [w, b], i) => (i < layers.length - 1 ? tf.relu(dense(h, w, b)) : dense(h, w, b)), tf.div(tf.sub(x, norm!.xm), norm!.xs) as tf.Tensor2D);
  return {
    kind: 'regressor',
    fit: (features, targets, rng) => {
      const widths = [features.shape[1], ...c.hidden, targets.shape[1]];
      layers = widths.slice(1).map((w, i) => [tf.variable(fanInUniform([widths[i]!, w], widths[i]!, rng)), tf.variable(tf.zeros([w]))]);
      const x = standardizer(features);
      const y = standardizer(targets);
      norm = { xm: x.mean, xs: x.std, ym: y.mean, ys: y.std };
      const yStd = tf.div(tf.sub(targets, y.mean), y.std);
      trainMinibatches(features, yStd, layers.flat(), (xb, yb) => tf.losses.meanSquaredError(yb, forward(xb)) as tf.Scalar, {
        epochs: c.epochs,
        batchSize: c.batchSize,
        lr: c.lr,
        rng,
      });
      yStd.dispose();
    },
    predict: (features) => tf.tidy(() => tf.add(tf.mul(forward(features), norm!.ys), norm!.ym) as tf.Tensor2D),
    dispose: () => {
      tf.dispose(layers.flat());
      if (norm) tf.dispose([norm.xm, norm.xs, norm.ym, norm.ys]);
    },
  };
};

/** The `mlp` head plugin. */
export const mlp = defineHead('mlp', 'MLP regressor (2d → 1024 → 1024 → |θ|, ReLU, Adam 1e-3, MSE) as in SIE', MlpConfig, mlpRegressor);
