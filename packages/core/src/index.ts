/**
 * @equissl/core — the pieces every other equissl package stands on: tagged
 * errors, io-ts config helpers, the typed plugin registry, a splittable seeded
 * RNG, backend selection, the feature split and the descriptive statistics
 * of a sample.
 *
 * @since 0.1.0
 */
export * from './errors.js';
export * from './codec.js';
export * from './registry.js';
export * from './rng.js';
export * from './backend.js';
export * from './split.js';
export * from './stats.js';
export * from './atomic.js';
export * from './safetensors.js';
export * from './worker.js';
export * from './plugin-modules.js';
