/**
 * The transform plugins of this package, and their names in the typed registry.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, fromModule } from '@equissl/core';
import { all } from './all.js';
import { allRot } from './all-rot.js';
import { colorJitter } from './color-jitter.js';
import type { TransformFamily } from './family.js';
import { gaussianBlur } from './gaussian-blur.js';
import { rotation } from './rotation.js';
import { se2 } from './se2.js';
import { translation } from './translation.js';

declare module '@equissl/core' {
  interface KindInstances {
    transform: TransformFamily;
  }
  interface TransformPlugins {
    rotation: typeof rotation;
    translation: typeof translation;
    se2: typeof se2;
    colorJitter: typeof colorJitter;
    gaussianBlur: typeof gaussianBlur;
    all: typeof all;
    allRot: typeof allRot;
  }
}

/** Every transformation family of @equissl/transforms, as plugins. */
export const transformPlugins: ReadonlyArray<AnyPlugin> = fromModule(import.meta.url, [rotation, translation, se2, colorJitter, gaussianBlur, all, allRot]);

/** The family names, in a stable order for listings and demos. */
export const familyNames = ['rotation', 'translation', 'se2', 'colorJitter', 'gaussianBlur', 'all', 'allRot'] as const;
