/**
 * The families of a site as explore.json lists them: the affine ones the
 * page warps (their slider's parameter, range, direction and fill), and the
 * others with their strips computed here ({@link computeStrip}) for the
 * first sample images, each written as paths/<i>.bin. A family whose strip
 * cannot be computed on these images (its `apply` fails on them) is left
 * out with the reason, as is one the regressor could not be fitted for.
 *
 * @since 0.1.0
 */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { warpUnit } from './affine-families.js';
import type { ExploreFamilies, ExploreFamily } from './families.js';
import type { ExploreImages } from './images.js';
import type { FamilySpec, LiveFamily, SkippedFamily, StripFamily } from './manifest.js';
import { computeStrip, stripSampleCount, stripStops, stripTheta, targetFractions } from './path-strips.js';

/** A file of the site's strips. */
export interface StripFile {
  readonly file: string;
  readonly bytes: Uint8Array;
}

/** What the site lists and writes for its families. */
export interface SiteFamilies {
  /** The families offered, in the order of `specs`. */
  readonly families: ReadonlyArray<ExploreFamily>;
  readonly specs: ReadonlyArray<FamilySpec>;
  readonly strips: ReadonlyArray<StripFile>;
  readonly skipped: ReadonlyArray<SkippedFamily>;
}

const common = (f: ExploreFamily) => ({ name: f.name, label: f.label, description: f.description, paramNames: [...f.family.paramNames], own: f.own });

/** The spec of a family the page warps itself. */
export const liveSpec = (f: ExploreFamily & { live: NonNullable<ExploreFamily['live']> }): LiveFamily => {
  const scale = f.family.scale ?? f.family.identity.map(() => 1);
  return {
    kind: 'live',
    ...common(f),
    warp: [...f.live.warp.warp],
    direction: f.live.warp.direction(scale),
    param: f.family.paramNames[0] ?? 'θ',
    unit: warpUnit(f.live.warp.warp[0] ?? 'angle'),
    max: scale[0] ?? 1,
    fill: f.live.fill,
  };
};

/** The strip of one family over the first `count` images, or why there is none. */
const strip = (f: ExploreFamily, images: ExploreImages, count: number, fractions: ReadonlyArray<number>, seed: number, file: string): E.Either<string, { spec: StripFamily; bytes: Uint8Array }> => {
  const per = images.imageShape[0] * images.imageShape[1] * images.imageShape[2];
  const x = tf.tensor4d(images.pixels.subarray(0, count * per), [count, ...images.imageShape]);
  try {
    const theta = stripTheta(f.family, Rng.seeded(seed).fork('explore-strip').fork(f.name));
    const stops = stripStops(f.family, theta);
    return E.map((floats: Float32Array) => ({
      spec: { kind: 'strip' as const, ...common(f), file, samples: count, theta: [...theta], points: stops, fractions: [...fractions] },
      bytes: new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength),
    }))(computeStrip(f.family, x, stops, fractions));
  } catch (e) {
    return E.left(`its path could not be drawn (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    x.dispose();
  }
};

/**
 * The site's families: `found`'s, with strips for the first `samples`
 * images (fewer where they would be large) at the path fractions of the
 * models' `targets` (K per model).
 */
export const siteFamilies = (found: ExploreFamilies, images: ExploreImages, samples: number, targets: ReadonlyArray<number>, seed: number): SiteFamilies => {
  const fractions = targetFractions(targets);
  const per = images.imageShape[0] * images.imageShape[1] * images.imageShape[2];
  const count = stripSampleCount(Math.min(samples, images.count), per, fractions.length);
  const families: ExploreFamily[] = [];
  const specs: FamilySpec[] = [];
  const strips: StripFile[] = [];
  const skipped: SkippedFamily[] = [...found.skipped];
  for (const f of found.families) {
    if (f.live !== undefined) {
      families.push(f);
      specs.push(liveSpec({ ...f, live: f.live }));
      continue;
    }
    const file = `paths/${specs.length}.bin`;
    const made = strip(f, images, count, fractions, seed, file);
    if (E.isLeft(made)) {
      skipped.push({ name: f.name, reason: made.left });
      continue;
    }
    families.push(f);
    specs.push(made.right.spec);
    strips.push({ file, bytes: made.right.bytes });
  }
  return { families, specs, strips, skipped };
};
