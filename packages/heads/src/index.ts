/**
 * @equissl/heads — downstream heads on frozen features (linear probe, MLP
 * regressor, k-NN), the homography heads (token head, from-scratch CNN) and
 * the metrics they are scored with (R², accuracy, Mean Corner Error).
 *
 * @since 0.1.0
 */
export * from './head.js';
export * from './minibatch.js';
export * from './linear.js';
export * from './mlp.js';
export * from './knn.js';
export * from './ridge.js';
export * from './metrics.js';
export * from './corner-error.js';
export * from './homography-head.js';
export * from './homography-net.js';
export * from './plugins.js';
