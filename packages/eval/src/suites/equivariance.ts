/**
 * The `equivariance` suite plugin: R² of θ for each family from the pair of
 * features [f(x) ; f(g_θ x)] (`equivariance.ts`), on worker threads when the
 * evaluation has more than one. Fills `equivariance` and `meanR2`.
 *
 * @since 0.1.0
 */
import { type PluginError, backendPreference, definePlugin, mean, pluginSlot, positiveInt, struct } from '@equissl/core';
import { type Readout, allReadouts, readoutAvailable } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type FamilyResult, type SuiteOptions, equivarianceSuite, suiteFamilies } from '../equivariance.js';
import type { EvalSuite } from '../suite.js';
import { equivarianceSuiteOnWorkers } from '../suite-pool.js';

declare module '../suite.js' {
  interface SuiteResults {
    /** R² of θ per family. */
    readonly equivariance?: ReadonlyArray<FamilyResult>;
    /** Mean R² over the families. */
    readonly meanR2?: number;
  }
}

const keys = <K extends string>(names: ReadonlyArray<K>) => t.keyof(Object.fromEntries(names.map((n) => [n, null])) as Record<K, null>);

/** The suite's settings: images (80 % train, 20 % test), the regressor, the families (all four by default), further readouts scored on rotation. */
export const EquivarianceSuiteConfig = struct(
  'equivariance',
  {
    images: positiveInt,
    regressor: pluginSlot('head'),
    tasks: t.union([t.array(keys(suiteFamilies.map((f) => f.task))), t.undefined]),
    readouts: t.array(keys<Readout>(allReadouts)),
  },
  { images: 1024, regressor: { name: 'mlp' }, tasks: undefined, readouts: [] },
);

/** The equivariance suite (run by default). */
export const equivarianceSuitePlugin = definePlugin({
  kind: 'suite',
  name: 'equivariance',
  description: 'R² of θ (rotation, colour, blur, translation) from the features of x and g_θ(x) (SIE\'s protocol)',
  config: EquivarianceSuiteConfig,
  create: (c) =>
    E.right<PluginError, EvalSuite>({
      byDefault: true,
      background: (ctx) => ctx.workers > 1,
      run: async (ctx) => {
        const options: SuiteOptions = {
          images: c.images,
          part: ctx.part,
          // readouts the encoder lacks (e.g. `equi` of a baseline) are left out
          readouts: c.readouts.filter((r) => readoutAvailable(ctx.frozen.encoder, r)),
          ...(c.tasks !== undefined ? { tasks: c.tasks } : {}),
          seed: ctx.seed,
          regressor: c.regressor,
          onTask: (task, i, n) => ctx.onProgress(`equivariance ${i + 1}/${n}: ${task}`),
        };
        const results =
          ctx.workers > 1
            ? await equivarianceSuiteOnWorkers(ctx.registry, options, { checkpoint: ctx.frozen.file, data: ctx.testSlot, workers: ctx.workers, backend: backendPreference() })
            : await equivarianceSuite(ctx.frozen.encoder, ctx.test, ctx.registry, options);
        return E.map((r: FamilyResult[]) => ({ equivariance: r, meanR2: mean(r.map((f) => f.r2)) }))(results);
      },
    }),
});
