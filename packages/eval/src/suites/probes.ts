/**
 * The `linear` and `knn` suite plugins: top-1 accuracy of a head trained on
 * the labelled train split's features and scored on the test split's
 * (`probe.ts`). Both read the same features, encoded once per evaluation.
 * Fill `linearAccuracy` and `knnAccuracy`, and `probeImages` (the images
 * asked for and used); skipped on unlabelled data. Both present their
 * numbers in one table (`presentations/probes.ts`).
 *
 * @since 0.1.0
 */
import { type PluginError, definePlugin, pluginSlot, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import type { ImageCounts } from '../image-counts.js';
import { probesPresentation } from '../presentations/probes.js';
import { probeAccuracy } from '../probe.js';
import type { EvalSuite, SuiteContext, SuiteResults } from '../suite.js';

declare module '../suite.js' {
  interface SuiteResults {
    /** Linear probe top-1 accuracy, in [0, 1]. */
    readonly linearAccuracy?: number;
    /** k-NN top-1 accuracy, in [0, 1]. */
    readonly knnAccuracy?: number;
    /** The labelled images the probes asked for and used: train (fit) and test (scored). */
    readonly probeImages?: ImageCounts;
  }
}

/** A probe suite: the head plugin it trains on the labelled features, and the result field it fills. */
const probe = (what: string, field: 'linearAccuracy' | 'knnAccuracy', head: unknown): EvalSuite => ({
  byDefault: true,
  needsLabels: true,
  presentation: probesPresentation,
  run: async (ctx: SuiteContext) => {
    const features = await ctx.labelledFeatures();
    if (E.isLeft(features)) return features;
    ctx.onProgress(what);
    return E.map((acc: number): Partial<SuiteResults> => ({ [field]: acc, probeImages: features.right.counts }))(probeAccuracy(ctx.registry, head, features.right, ctx.seed));
  },
});

/** The linear probe (run by default): its head, `linear` with its defaults unless given. */
export const linearSuitePlugin = definePlugin({
  kind: 'suite',
  name: 'linear',
  description: 'linear probe top-1 accuracy on the labelled features (needs labels)',
  config: struct('linear', { head: pluginSlot('head') }, { head: { name: 'linear' } }),
  create: (c) => E.right<PluginError, EvalSuite>(probe('linear probe', 'linearAccuracy', c.head)),
});

/** k-NN (run by default): its head, `knn` with its defaults unless given. */
export const knnSuitePlugin = definePlugin({
  kind: 'suite',
  name: 'knn',
  description: 'k-NN top-1 accuracy on the labelled features (needs labels)',
  config: struct('knn', { head: pluginSlot('head') }, { head: { name: 'knn' } }),
  create: (c) => E.right<PluginError, EvalSuite>(probe('k-NN', 'knnAccuracy', c.head)),
});
