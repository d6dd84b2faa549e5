/**
 * The images of a family the page cannot warp itself, computed here with
 * the family's own code (`interpolate`, `apply`): one θ drawn from its range
 * — of a few draws, the one farthest from the identity in units of the
 * family's scale, so the strip shows the family at work — and the points
 * θ_j = interpolate(θ, t_j) for t_j = 0, 1/8, …, 1. Per sample image and
 * point: g_{θ_j}(x), then the targets g_{interpolate(θ_j, f)}(x) at every
 * path fraction f = k/(K+1) the models need. The page runs the encoder and
 * the decoders on them as on the images it warps itself.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import type { Params, TransformFamily } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';

/** The points of a strip. */
export const stripPoints = 9;

/** The draws θ is chosen from. */
export const stripDraws = 32;

/** The most bytes one family's strip takes; beyond it, fewer sample images get one. */
export const stripBudgetBytes = 32 * 1024 * 1024;

/** A stop of the slider along a strip. */
export interface StripStop {
  readonly t: number;
  readonly theta: ReadonlyArray<number>;
}

/** θ the strip ends at: of `draws` draws from `rng`, the one farthest from the identity in units of the family's scale. */
export const stripTheta = (family: TransformFamily, rng: Rng, draws: number = stripDraws): Params => {
  const size = (theta: Params) => theta.reduce((s, v, i) => s + ((v - (family.identity[i] ?? 0)) / (family.scale?.[i] || 1)) ** 2, 0);
  let best = family.sample(rng);
  for (let i = 1; i < draws; i++) {
    const next = family.sample(rng);
    if (size(next) > size(best)) best = next;
  }
  return best;
};

/** The `points` stops from the identity (t = 0) to θ (t = 1). */
export const stripStops = (family: TransformFamily, theta: Params, points: number = stripPoints): StripStop[] =>
  Array.from({ length: points }, (_, j) => {
    const t = points === 1 ? 1 : j / (points - 1);
    return { t, theta: [...family.interpolate(theta, t)] };
  });

/** Every fraction k/(K+1), k = 1 … K, of every K in `ks`, ascending and once each. */
export const targetFractions = (ks: ReadonlyArray<number>): number[] => {
  const all = ks.flatMap((k) => Array.from({ length: k }, (_, i) => (i + 1) / (k + 1)));
  return all.sort((a, b) => a - b).filter((f, i, sorted) => i === 0 || Math.abs(f - sorted[i - 1]!) > 1e-9);
};

/** How many of `available` sample images of `perImage` floats get a strip within `budget` bytes (at least one). */
export const stripSampleCount = (available: number, perImage: number, fractions: number, points: number = stripPoints, budget: number = stripBudgetBytes): number =>
  Math.min(available, Math.max(1, Math.floor(budget / (points * (1 + fractions) * perImage * 4))));

/**
 * The strip of `family` over `images` `[n, H, W, C]`: `n × stops × (1 + fractions)`
 * images, float32 NHWC, in [sample][stop][slot] order (slot 0: g_{θ_j}(x),
 * slot 1 + q: the target at `fractions[q]`). An `apply` that throws or
 * returns another shape is an error value with the reason.
 */
export const computeStrip = (family: TransformFamily, images: tf.Tensor4D, stops: ReadonlyArray<StripStop>, fractions: ReadonlyArray<number>): E.Either<string, Float32Array> => {
  const [n, h, w, c] = images.shape;
  const per = h * w * c;
  const slots = 1 + fractions.length;
  const out = new Float32Array(n * stops.length * slots * per);
  const thetaOf = (stop: StripStop, slot: number): Params => (slot === 0 ? stop.theta : family.interpolate(stop.theta, fractions[slot - 1]!));
  try {
    for (let j = 0; j < stops.length; j++) {
      for (let q = 0; q < slots; q++) {
        const theta = thetaOf(stops[j]!, q);
        const problem = tf.tidy(() => {
          const moved = family.apply(images, Array.from({ length: n }, () => theta));
          if (moved.shape.join('×') !== images.shape.join('×')) return `apply returned ${moved.shape.join('×')} images for ${images.shape.join('×')}`;
          const data = moved.dataSync();
          for (let s = 0; s < n; s++) out.set(data.subarray(s * per, (s + 1) * per), ((s * stops.length + j) * slots + q) * per);
          return undefined;
        });
        if (problem !== undefined) return E.left(`${problem} (θ = [${theta.join(', ')}])`);
      }
    }
  } catch (e) {
    return E.left(`apply failed on these images (${e instanceof Error ? e.message : String(e)})`);
  }
  return E.right(out);
};
