/**
 * The suite plugins of this package, and their names in the typed registry.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, fromModule } from '@equissl/core';
import type { EvalSuite } from './suite.js';
import { equivarianceSuitePlugin } from './suites/equivariance.js';
import { homographySuitePlugin } from './suites/homography.js';
import { knnSuitePlugin, linearSuitePlugin } from './suites/probes.js';

declare module '@equissl/core' {
  interface KindInstances {
    suite: EvalSuite;
  }
  interface SuitePlugins {
    equivariance: typeof equivarianceSuitePlugin;
    linear: typeof linearSuitePlugin;
    knn: typeof knnSuitePlugin;
    homography: typeof homographySuitePlugin;
  }
}

/** Every suite plugin of @equissl/eval. */
export const suitePlugins: ReadonlyArray<AnyPlugin> = fromModule(import.meta.url, [equivarianceSuitePlugin, linearSuitePlugin, knnSuitePlugin, homographySuitePlugin]);
