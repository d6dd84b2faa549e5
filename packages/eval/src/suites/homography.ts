/**
 * The `homography` suite plugin: Mean Corner Error of a homography head on
 * the encoder's patch tokens, frozen or fine-tuned, beside its references
 * (`homography.ts`). Runs only when named (it trains several heads). Fills
 * `homography`; presents it with `presentations/homography.ts`.
 *
 * @since 0.1.0
 */
import { type PluginError, definePlugin } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { HomographyConfig, type HomographyResult, homographySuite } from '../homography.js';
import { homographyPresentation } from '../presentations/homography.js';
import type { EvalSuite } from '../suite.js';

declare module '../suite.js' {
  interface SuiteResults {
    /** Mean Corner Error of this checkpoint and of the references. */
    readonly homography?: HomographyResult;
  }
}

/** The homography suite (run when named): its settings are {@link HomographyConfig}'s. */
export const homographySuitePlugin = definePlugin({
  kind: 'suite',
  name: 'homography',
  description: 'homography estimation: Mean Corner Error of a head on the patch tokens, frozen or fine-tuned (docs/homography.md)',
  config: HomographyConfig,
  create: (c) =>
    E.right<PluginError, EvalSuite>({
      byDefault: false,
      presentation: homographyPresentation,
      run: async (ctx) =>
        E.map((homography: HomographyResult) => ({ homography }))(
          await homographySuite(ctx.frozen.encoder, ctx.train, ctx.test, ctx.registry, {
            config: c,
            seed: ctx.seed,
            imageShape: ctx.frozen.imageShape,
            encoderSpec: ctx.frozen.encoder.spec,
            onProgress: ctx.onProgress,
          }),
        ),
    }),
});
