/**
 * Transformation families as parametric paths.
 *
 * A family is a set of transformations `g_θ` with a parameter vector θ (plain
 * numbers: they double as regression targets). Every family here is
 * parametrised so that θ = identity is the zero transformation and the path
 * from the identity to θ is `interpolate(θ, t)`, t ∈ [0, 1]. The method's
 * intermediate targets are `u_k = g(θ_k)(u)` with `θ_k = interpolate(θ, k/(K+1))`.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';

/** A parameter vector θ. */
export type Params = ReadonlyArray<number>;

/** A transformation family. */
export interface TransformFamily {
  /** The plugin name (`rotation`, `colorJitter`, …). */
  readonly name: string;
  /**
   * The family's name in reports and results (the equivariance suite's
   * `task`: `colour` for `colorJitter`, `blur` for `gaussianBlur`).
   * Missing: the plugin name.
   */
  readonly label?: string;
  /**
   * The parameters a grey (one-channel) image cannot show: saturation and
   * hue leave grey pixels unchanged, so no encoder could tell them, and the
   * equivariance suite leaves them out of its regression targets on grey
   * data. Missing: every parameter shows.
   */
  readonly invisibleOnGrey?: ReadonlyArray<string>;
  /** One name per parameter, with its unit (`angleDeg`, `txPx` …). */
  readonly paramNames: ReadonlyArray<string>;
  /** θ of the identity transformation. */
  readonly identity: Params;
  /**
   * The typical magnitude of each parameter (the bound of its range), so
   * that `(θ − identity) / scale` lies in about [−1, 1] (losses that read θ,
   * such as SIE). Missing: 1 for every parameter.
   */
  readonly scale?: Params;
  /** Draws θ from the family's range. */
  readonly sample: (rng: Rng) => Params;
  /** The point at fraction t ∈ [0, 1] of the path from the identity to θ. */
  readonly interpolate: (theta: Params, t: number) => Params;
  /** Applies `g(θ_b)` to image b of `images` (`[B, H, W, C]`, values in [0, 1]). */
  readonly apply: (images: tf.Tensor4D, thetas: ReadonlyArray<Params>) => tf.Tensor4D;
}

/** The family's name in reports: its `label`, else its plugin name. */
export const familyLabel = (family: Pick<TransformFamily, 'name' | 'label'>): string => family.label ?? family.name;

/** The parameters of `family` that images of `channels` channels show (all of them but `invisibleOnGrey` on one channel). */
export const shownParams = (family: Pick<TransformFamily, 'paramNames' | 'invisibleOnGrey'>, channels: number): ReadonlyArray<string> =>
  family.paramNames.filter((name) => channels > 1 || !(family.invisibleOnGrey ?? []).includes(name));

/** Linear interpolation from the identity: θ_t = id + t·(θ − id). */
export const lerpFromIdentity =
  (identity: Params) =>
  (theta: Params, t: number): Params =>
    theta.map((v, i) => identity[i]! + t * (v - identity[i]!));

/** The K intermediate parameters θ_k = interpolate(θ, k/(K+1)), k = 1..K. */
export const intermediateParams = (family: TransformFamily, theta: Params, k: number): Params[] =>
  Array.from({ length: k }, (_, i) => family.interpolate(theta, (i + 1) / (k + 1)));

/** The K intermediate targets `u_k = g(θ_k)(u)` for a batch (each tensor `[B, H, W, C]`). */
export const pathTargets = (family: TransformFamily, u: tf.Tensor4D, thetas: ReadonlyArray<Params>, k: number): tf.Tensor4D[] =>
  Array.from({ length: k }, (_, i) => family.apply(u, thetas.map((th) => family.interpolate(th, (i + 1) / (k + 1)))));

/** One draw of the method's second view: θ per image, `v2 = g_θ(u)` and the K targets. */
export interface PathSample {
  readonly thetas: ReadonlyArray<Params>;
  readonly transformed: tf.Tensor4D;
  readonly targets: ReadonlyArray<tf.Tensor4D>;
}

/**
 * Samples θ for each image of `u`, and returns `g_θ(u)` with the K
 * intermediate targets. With `alignedPairs`, images 2i and 2i + 1 share one
 * draw (STL's aligned batches).
 */
export const samplePath = (family: TransformFamily, u: tf.Tensor4D, rng: Rng, k: number, alignedPairs = false): PathSample => {
  const thetas: Params[] = [];
  for (let i = 0; i < u.shape[0]; i++) thetas.push(alignedPairs && i % 2 === 1 ? thetas[i - 1]! : family.sample(rng));
  return { thetas, transformed: family.apply(u, thetas), targets: pathTargets(family, u, thetas, k) };
};

/** `(θ − identity) / scale` per image, `[B, |θ|]`: the conditioning vectors losses read. */
export const scaledParams = (family: TransformFamily, thetas: ReadonlyArray<Params>): tf.Tensor2D =>
  paramsTensor(
    thetas.map((th) => th.map((v, i) => (v - family.identity[i]!) / (family.scale?.[i] || 1))),
    family.identity.length,
  );

/** θs as a `[B, |θ|]` float tensor (regression targets). */
export const paramsTensor = (thetas: ReadonlyArray<Params>, width: number): tf.Tensor2D =>
  tf.tensor2d(thetas.flatMap((th) => [...th]), [thetas.length, width]);

/** A `[B, 1, 1, 1]` tensor of one number per image, for broadcasting per-image factors. */
export const perImage = (values: ReadonlyArray<number>): tf.Tensor4D => tf.tensor4d([...values], [values.length, 1, 1, 1]);
