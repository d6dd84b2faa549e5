/**
 * @equissl/transforms — transformation families as parametric paths
 * (`rotation`, `translation`, `se2`, `colorJitter`, `gaussianBlur`, `all`, `allRot`),
 * the intermediate targets of the method, and SSL view augmentations.
 *
 * @since 0.1.0
 */
export * from './family.js';
export * from './affine.js';
export * from './affine-row.js';
export * from './color-ops.js';
export * from './rotation.js';
export * from './translation.js';
export * from './se2.js';
export * from './color-jitter.js';
export * from './gaussian-blur.js';
export * from './all.js';
export * from './all-rot.js';
export * from './views.js';
export * from './homography.js';
export * from './plugins.js';
