/**
 * The dataset plugins of this package, and their names in the typed registry.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, fromModule } from '@equissl/core';
import { cifarBinary } from './cifar.js';
import type { DatasetSource } from './dataset.js';
import { idx } from './idx.js';
import { imageFolder } from './image-folder.js';
import { procedural } from './procedural.js';

declare module '@equissl/core' {
  interface KindInstances {
    dataset: DatasetSource;
  }
  interface DatasetPlugins {
    procedural: typeof procedural;
    idx: typeof idx;
    'cifar-binary': typeof cifarBinary;
    'image-folder': typeof imageFolder;
  }
}

/** Every dataset plugin of @equissl/data; register them with `registry.registerAll(dataPlugins)`. */
export const dataPlugins: ReadonlyArray<AnyPlugin> = fromModule(import.meta.url, [procedural, idx, cifarBinary, imageFolder]);
