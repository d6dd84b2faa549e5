/**
 * The `equivariance` suite plugin: R² of θ for each family from the pair of
 * features [f(x) ; f(g_θ x)] (`equivariance.ts`), on worker threads when the
 * evaluation has more than one. Its families are transform plugins of the
 * registry (`families.ts`; the four of the paper's Table 2 by default).
 * Fills `equivariance`, `meanR2` and `equivarianceImages`; presents them with
 * `presentations/equivariance.ts`.
 *
 * @since 0.1.0
 */
import { type EquisslError, type PluginError, backendPreference, configError, definePlugin, mean, pluginError, pluginSlot, positiveInt, struct } from '@equissl/core';
import { type Readout, allReadouts, readoutAvailable } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type FamilyResult, type SuiteOptions, equivarianceCounts, equivarianceSuite } from '../equivariance.js';
import { defaultFamilies, resolveFamilies } from '../families.js';
import type { ImageCounts } from '../image-counts.js';
import { equivariancePresentation } from '../presentations/equivariance.js';
import type { EvalSuite, SuiteContext, SuiteResults } from '../suite.js';
import { equivarianceSuiteOnWorkers } from '../suite-pool.js';

declare module '../suite.js' {
  interface SuiteResults {
    /** R² of θ per family. */
    readonly equivariance?: ReadonlyArray<FamilyResult>;
    /** Mean R² over the families. */
    readonly meanR2?: number;
    /** The images the suite asked for and used (80 % fit the regressors and 20 % are held out and scored; or, with `fitImages`, those of the training split fit and all of the test split's are scored). */
    readonly equivarianceImages?: ImageCounts;
  }
}

const keys = <K extends string>(names: ReadonlyArray<K>) => t.keyof(Object.fromEntries(names.map((n) => [n, null])) as Record<K, null>);

/**
 * The suite's settings: images of the test split (80 % fit the regressors,
 * 20 % are scored; or, with `fitImages`, the regressors are fitted on that
 * many images of the training split and all `images` are scored), the regressor, the
 * families (transform plugin slots; the paper's four by default), `tasks` to
 * keep some of them by label (`rotation`, `colour` …), further readouts
 * scored on rotation, and `halves`: the headline readout's full,
 * invariant and equivariant channels scored on rotation by the closed-form
 * ridge and by the suite's regressor (on by default, so every report says
 * where the angle is kept, by both readouts; an encoder without a split
 * scores its full channels only).
 */
export const EquivarianceSuiteConfig = struct(
  'equivariance',
  {
    images: positiveInt,
    fitImages: t.union([positiveInt, t.undefined]),
    regressor: pluginSlot('head'),
    families: t.array(pluginSlot('transform')),
    tasks: t.union([t.array(t.string), t.undefined]),
    readouts: t.array(keys<Readout>(allReadouts)),
    halves: t.boolean,
  },
  { images: 1024, fitImages: undefined, regressor: { name: 'mlp' }, families: [...defaultFamilies], tasks: undefined, readouts: [], halves: true },
);

/** The full, invariant and equivariant channels of the headline readout's tokens (`clsmean-full` → clsmean-full, clsmean-inv, clsmean-equi). */
export const halvesOf = (part: Readout): Readout[] => {
  const tokens = part.slice(0, part.lastIndexOf('-'));
  return (['full', 'inv', 'equi'] as const).map((p) => `${tokens}-${p}` as Readout);
};

/** The suite's decoded settings. */
export type EquivarianceSuiteConfig = t.TypeOf<typeof EquivarianceSuiteConfig>;

/** Runs the suite with settings `c`: here, or on worker threads when the evaluation has more than one. */
const runSuite =
  (c: EquivarianceSuiteConfig) =>
  async (ctx: SuiteContext): Promise<E.Either<EquisslError, Partial<SuiteResults>>> => {
    const options: SuiteOptions = {
      images: c.images,
      ...(c.fitImages !== undefined ? { fitImages: c.fitImages } : {}),
      part: ctx.part,
      // readouts the encoder lacks (e.g. `equi` of a baseline) are left out
      readouts: [...new Set([...c.readouts, ...(c.halves ? halvesOf(ctx.part) : [])])].filter((r) => readoutAvailable(ctx.frozen.encoder, r)),
      ...(c.halves ? { mlpReadouts: halvesOf(ctx.part).filter((r) => readoutAvailable(ctx.frozen.encoder, r)) } : {}),
      families: c.families,
      ...(c.tasks !== undefined ? { tasks: c.tasks } : {}),
      seed: ctx.seed,
      regressor: c.regressor,
      onTask: (task, i, n) => ctx.onProgress(`equivariance ${i + 1}/${n}: ${task}`),
    };
    // a dataset without disjoint splits gives the scored images for both: fitting on them would score fitted images
    if (c.fitImages !== undefined && JSON.stringify(ctx.trainSlot) === JSON.stringify(ctx.testSlot)) {
      return E.left(configError('equivariance.fitImages', `${ctx.test.source} has no train/test split (its dataset plugin takes no "split"), so the regressors would be scored on the images they were fitted on; leave fitImages out`));
    }
    const results =
      ctx.workers > 1
        ? await equivarianceSuiteOnWorkers(ctx.registry, options, { checkpoint: ctx.frozen.file, data: ctx.testSlot, fitData: ctx.trainSlot, workers: ctx.workers, backend: backendPreference() })
        : await equivarianceSuite(ctx.frozen.encoder, ctx.test, ctx.registry, options, ctx.train);
    const equivarianceImages = equivarianceCounts(options, ctx.test, ctx.train);
    return E.map((r: FamilyResult[]) => ({ equivariance: r, meanR2: mean(r.map((f) => f.r2)), equivarianceImages }))(results);
  };

/** The equivariance suite (run by default); its families are checked against the registry when it is created. */
export const equivarianceSuitePlugin = definePlugin({
  kind: 'suite',
  name: 'equivariance',
  description: 'R² of θ (rotation, colour, blur, translation, or the families named) from the features of x and g_θ(x) (SIE\'s protocol)',
  config: EquivarianceSuiteConfig,
  create: (c, { registry }) =>
    E.bimap(
      (e: EquisslError): PluginError => pluginError('suite', 'equivariance', e.message),
      (): EvalSuite => ({ byDefault: true, background: (ctx) => ctx.workers > 1, presentation: equivariancePresentation, run: runSuite(c) }),
    )(resolveFamilies(registry, c.families, c.tasks)),
});
