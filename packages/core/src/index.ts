/**
 * @equissl/core — the pieces every other equissl package stands on: tagged
 * errors, io-ts config helpers, the typed plugin registry, a splittable seeded
 * RNG, backend selection and the feature split.
 *
 * @since 0.1.0
 */
export * from './errors.js';
export * from './codec.js';
export * from './registry.js';
export * from './rng.js';
export * from './backend.js';
export * from './split.js';
export * from './atomic.js';
export * from './safetensors.js';
