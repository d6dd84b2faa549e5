/**
 * The page's θ regressor: the eval suite's closed-form `ridge` head on the
 * concatenated readout [f(x) ; f(g_θ x)] (`clsmean-full` of both), fitted on
 * the first 80 % of a few hundred pairs and scored with R² on the rest. It is
 * the `ridge` head's fit step by step (inputs standardised, targets centred,
 * λ chosen on a held-out fifth with the same generator calls), kept as one
 * affine map so the page can apply it: θ̂ = features · W + b, the
 * standardisation folded into W and b.
 *
 * @since 0.1.0
 */
import { Rng } from '@equissl/core';
import { type Encoder, encodeAll, headlineReadout } from '@equissl/encoder';
import { fitStandardisedRidge, r2Scalar, ridgeDefaults } from '@equissl/heads';
import { type TransformFamily, paramsTensor } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import type { FamilyRegressor } from './manifest.js';


/** An affine map `[d] → [m]`: prediction = x · weights + bias. */
export interface AffineMap {
  /** `[d][m]`. */
  readonly weights: ReadonlyArray<ReadonlyArray<number>>;
  readonly bias: ReadonlyArray<number>;
}

/** Fits ridge regression of `targets` `[n, m]` on `features` `[n, d]` as the `ridge` head does, returned as one affine map on raw features. */
export const fitRidge = (features: tf.Tensor2D, targets: tf.Tensor2D, rng: Rng, o: { lambdas: ReadonlyArray<number>; iterations: number } = ridgeDefaults): AffineMap => {
  const d = features.shape[1];
  const m = targets.shape[1];
  const { xm, xs, ym, w } = fitStandardisedRidge(features, targets, rng, o);
  try {
    const mean = xm.dataSync();
    const std = xs.dataSync();
    const offset = ym.dataSync();
    const weights: number[][] = Array.from({ length: d }, (_, i) => Array.from({ length: m }, (_, j) => w[i * m + j]! / std[i]!));
    const bias = Array.from({ length: m }, (_, j) => offset[j]! - weights.reduce((s, row, i) => s + mean[i]! * row[j]!, 0));
    return { weights, bias };
  } finally {
    tf.dispose([xm, xs, ym]);
  }
};

/** The map applied to rows `[n, d]` (row-major): `[n][m]`. */
export const applyAffine = (map: AffineMap, rows: ArrayLike<number>, n: number): number[][] => {
  const d = map.weights.length;
  return Array.from({ length: n }, (_, r) => map.bias.map((b, j) => map.weights.reduce((s, row, i) => s + rows[r * d + i]! * row[j]!, b)));
};

/** The regressor's readout of `images` for `model` (`clsmean-full`), `[n, 2·D]`: pass it to {@link fitThetaRegressor} to fit several families on the same images. */
export const readoutOf = (model: Encoder, images: tf.Tensor4D): tf.Tensor2D => encodeAll(model, images, headlineReadout);

/**
 * Fits and scores the θ regressor of `family` for `model` on `images`: θ drawn
 * per image from `rng`, pairs [f(x) ; f(g_θ x)], the first 80 % to fit, the
 * rest to score. `readout`, when given, is {@link readoutOf} `images` (kept
 * by the caller).
 */
export const fitThetaRegressor = (model: Encoder, images: tf.Tensor4D, family: TransformFamily, rng: Rng, readout?: tf.Tensor2D): FamilyRegressor => {
  const n = images.shape[0];
  const thetas = Array.from({ length: n }, () => family.sample(rng));
  const m = family.identity.length;
  const targets = paramsTensor(thetas, m);
  const gx = family.apply(images, thetas);
  const fx = readout ?? readoutOf(model, images);
  const fgx = encodeAll(model, gx, headlineReadout);
  const pairs = tf.concat([fx, fgx], 1) as tf.Tensor2D;
  const nTrain = Math.floor(0.8 * n);
  try {
    const trX = tf.slice(pairs, 0, nTrain);
    const trY = tf.slice(targets, 0, nTrain);
    const map = fitRidge(trX, trY, rng.fork('head'));
    tf.dispose([trX, trY]);
    const test = tf.slice(pairs, nTrain);
    const predicted = applyAffine(map, test.dataSync(), n - nTrain);
    test.dispose();
    const truth = thetas.slice(nTrain);
    return {
      paramNames: [...family.paramNames],
      weights: map.weights,
      bias: map.bias,
      r2: r2Scalar(truth.flat(), predicted.flat()),
      test: { truth: truth.map((t) => t[0]!), predicted: predicted.map((p) => p[0]!) },
    };
  } finally {
    tf.dispose([targets, gx, fgx, pairs, ...(readout === undefined ? [fx] : [])]);
  }
};
