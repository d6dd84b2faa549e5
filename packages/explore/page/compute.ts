/**
 * What the page shows for one model, one image and one point of a path, as
 * tensors and numbers: g_θ(x) and the K path targets g_{kθ/(K+1)}(x) (warped
 * here, or precomputed by the command), the decoders' reconstructions of
 * them from [z_equi(x) ; z_equi(g_θ x)], and θ predicted by the model's
 * regressor from [f(x) ; f(g_θ x)] (the eval suite's `clsmean-full` readout
 * of both). No DOM.
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

/** The images of a point of the path: g_θ(x) and the K targets. */
export interface PathImages {
  readonly transformed: tf.Tensor4D;
  readonly targets: tf.Tensor4D[];
}

/** One model's view of one point of the path (the caller disposes the tensors with {@link disposePoint}). */
export interface PathPoint extends PathImages {
  /** Empty for a model without decoders. */
  readonly reconstructions: tf.Tensor4D[];
  /** Undefined without a regressor for this family. */
  readonly predicted: number[] | undefined;
}

/** g_θ(x) and `k` targets of a family the page warps. */
export const warpedImages = (family: PathFamily, x: tf.Tensor4D, theta: ReadonlyArray<number>, k: number): PathImages => ({
  transformed: applyPath(family, x, theta),
  targets: pathTargets(family, x, theta, k),
});

/** Computes {@link PathPoint} for image `x` `[1, H, W, C]` (whose features `fx` the caller keeps) and the point's images, which it takes over. */
export const pathPoint = (m: ExportedModel, reg: FamilyRegressor | undefined, fx: Features, images: PathImages): PathPoint => {
  let fgx: Features;
  try {
    fgx = features(m, images.transformed);
  } catch (e) {
    tf.dispose([images.transformed, ...images.targets]);
    throw e;
  }
  try {
    return {
      ...images,
      reconstructions: reconstructions(m, fx, fgx, images.targets),
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
