/**
 * @equissl/explore — `equissl explore`: a page that runs exported encoders
 * and their decoders in the browser with TensorFlow.js (x, g_θ(x), the
 * path's intermediate targets and their reconstructions as a slider moves θ,
 * θ predicted by a small regressor, the run's loss curves), written as a
 * static site and served on 127.0.0.1.
 *
 * @since 0.1.0
 */
export * from './manifest.js';
export * from './site.js';
export * from './server.js';
export * from './regressor.js';
export * from './families.js';
export * from './affine-families.js';
export * from './site-families.js';
export * from './path-strips.js';
export * from './model-targets.js';
export * from './regressor-file.js';
export * from './images.js';
export * from './curves.js';
export * from './eval-report.js';
export * from './page-assets.js';
export * from './build-page.js';
export * from './bundle-page.js';
