/**
 * What the page shows for one model, one image and one θ, as tensors and
 * numbers: g_θ(x), the K path targets g_{kθ/(K+1)}(x), the decoders'
 * reconstructions of them from [z_equi(x) ; z_equi(g_θ x)], and θ predicted
 * by the model's regressor from [f(x) ; f(g_θ x)] (the eval suite's
 * `clsmean-full` readout of both). No DOM.
 */
import * as tf from '@tensorflow/tfjs';
import type { FamilyRegressor } from '../src/manifest.js';
import { type ExportedModel, type Features, clsMeanFull, features, reconstructions } from './model.js';
import { type PathFamily, applyPath, pathTargets } from './paths.js';

/** θ̂ = [clsmean(f(x)) ; clsmean(f(g_θ x))] · W + b. */
export const predictTheta = (reg: FamilyRegressor, fx: Features, fgx: Features): number[] => {
  const row = tf.tidy(() => tf.concat([clsMeanFull(fx), clsMeanFull(fgx)], 1).dataSync());
  if (row.length !== reg.weights.length) throw new Error(`the regressor reads ${reg.weights.length} features, the model gives ${row.length}`);
  return reg.bias.map((b, j) => reg.weights.reduce((s, w, i) => s + row[i]! * w[j]!, b));
};

/** One model's view of one point of the path (the caller disposes the tensors with {@link disposePoint}). */
export interface PathPoint {
  readonly transformed: tf.Tensor4D;
  readonly targets: tf.Tensor4D[];
  /** Empty for a model without decoders. */
  readonly reconstructions: tf.Tensor4D[];
  /** Undefined without a regressor for this family. */
  readonly predicted: number[] | undefined;
}

/** Computes {@link PathPoint} for image `x` `[1, H, W, C]` (whose features `fx` the caller keeps) and θ, with `k` targets. */
export const pathPoint = (m: ExportedModel, reg: FamilyRegressor | undefined, family: PathFamily, x: tf.Tensor4D, fx: Features, theta: ReadonlyArray<number>, k: number): PathPoint => {
  const transformed = applyPath(family, x, theta);
  const targets = pathTargets(family, x, theta, k);
  const fgx = features(m, transformed);
  try {
    return {
      transformed,
      targets,
      reconstructions: reconstructions(m, fx, fgx, targets),
      predicted: reg === undefined ? undefined : predictTheta(reg, fx, fgx),
    };
  } finally {
    disposeFeatures(fgx);
  }
};

/** Frees a point's tensors. */
export const disposePoint = (p: PathPoint): void => tf.dispose([p.transformed, ...p.targets, ...p.reconstructions]);

/** Frees features. */
export const disposeFeatures = (f: Features): void => tf.dispose([f.cls, f.patches, f.neckCls, f.neckPatches]);
