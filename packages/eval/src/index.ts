/**
 * @equissl/eval — evaluation protocols on frozen encoders: the equivariance
 * suite (R² of θ), the linear probe and k-NN accuracy, and homography
 * estimation (Mean Corner Error, frozen or fine-tuned encoder).
 *
 * @since 0.1.0
 */
export * from './equivariance.js';
export * from './probe.js';
export * from './evaluate.js';
export * from './seeds.js';
export * from './homography-pairs.js';
export * from './homography.js';
export * from './suite-pool.js';
export * from './suite.js';
export * from './suites/equivariance.js';
export * from './suites/probes.js';
export * from './suites/homography.js';
export * from './plugins.js';
