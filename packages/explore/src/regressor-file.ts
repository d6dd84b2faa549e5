/**
 * A model's regressor.json: one θ regressor per family of the site, all on
 * the same images (whose readout is computed once) and each on its own
 * stream of θ draws, with `equissl eval`'s R² beside the checkpoint when
 * there is one.
 *
 * @since 0.1.0
 */
import { Rng } from '@equissl/core';
import type { FrozenEncoder } from '@equissl/encoder';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { evalR2 } from './eval-report.js';
import type { ExploreFamily } from './families.js';
import type { ExploreImages } from './images.js';
import type { FamilyRegressor, RegressorFile } from './manifest.js';
import { fitThetaRegressor, readoutOf } from './regressor.js';

/**
 * Each model's regressors on the same images and the same θ draws (one
 * stream per family); a family whose regressor cannot be fitted (its
 * `apply` fails on these images) is logged and left without one.
 */
export const regressorFile = (frozen: FrozenEncoder, images: ExploreImages, families: ReadonlyArray<ExploreFamily>, seed: number, log: (line: string) => void): RegressorFile => {
  const x = tf.tensor4d(images.pixels, [images.count, ...images.imageShape]);
  const readout = readoutOf(frozen.encoder, x);
  try {
    const fitted: Record<string, FamilyRegressor> = {};
    for (const f of families) {
      const fit = E.tryCatch(
        () => fitThetaRegressor(frozen.encoder, x, f.family, Rng.seeded(seed).fork('explore').fork(f.name), readout),
        (e) => (e instanceof Error ? e.message : String(e)),
      );
      if (E.isRight(fit)) fitted[f.name] = fit.right;
      else log(`explore: ${frozen.file}: no θ regressor for ${f.name} (${fit.left})`);
    }
    const nTrain = Math.floor(0.8 * images.count);
    const fromEval = evalR2(frozen.file);
    return { readout: 'clsmean-full', head: 'ridge', trainPairs: nTrain, testPairs: images.count - nTrain, seed, families: fitted, ...(fromEval === undefined ? {} : { eval: fromEval }) };
  } finally {
    tf.dispose([x, readout]);
  }
};
