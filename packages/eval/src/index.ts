/**
 * @equissl/eval — evaluation protocols on frozen encoders: the equivariance
 * suite (R² of θ for the families of the registry it names), the linear
 * probe and k-NN accuracy, and homography estimation (Mean Corner Error,
 * frozen or fine-tuned encoder); each suite with its presentation (report
 * section, figures, printed lines) and the image counts it used.
 *
 * @since 0.1.0
 */
export * from './equivariance.js';
export * from './families.js';
export * from './head-kind.js';
export * from './image-counts.js';
export * from './presentation.js';
export * from './presentations/bars.js';
export * from './presentations/equivariance.js';
export * from './presentations/probes.js';
export * from './presentations/homography.js';
export * from './presentations/homography-figure.js';
export * from './probe.js';
export * from './evaluate.js';
export * from './seeds.js';
export * from './hypothesis.js';
export * from './homography-pairs.js';
export * from './homography.js';
export * from './suite-pool.js';
export * from './suite.js';
export * from './suites/equivariance.js';
export * from './suites/probes.js';
export * from './suites/homography.js';
export * from './plugins.js';
