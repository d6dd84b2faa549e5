/**
 * The head plugins of this package, and their names in the typed registry.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, fromModule } from '@equissl/core';
import type { HeadFactory } from './head.js';
import { knn } from './knn.js';
import { linear } from './linear.js';
import { mlp } from './mlp.js';
import { ridge } from './ridge.js';

declare module '@equissl/core' {
  interface KindInstances {
    head: HeadFactory;
  }
  interface HeadPlugins {
    linear: typeof linear;
    mlp: typeof mlp;
    knn: typeof knn;
    ridge: typeof ridge;
  }
}

/** Every head plugin of @equissl/heads. */
export const headPlugins: ReadonlyArray<AnyPlugin> = fromModule(import.meta.url, [linear, mlp, knn, ridge]);
