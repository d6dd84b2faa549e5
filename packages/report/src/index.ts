/**
 * @equissl/report — rendering results: PNG grids of images (previews, path
 * strips), Vega-Lite charts written as PNG (loss curves, R² bars), and the
 * evaluation report (`report.md`, its charts, the homography figure).
 *
 * @since 0.1.0
 */
export * from './images.js';
export * from './plots.js';
export * from './report.js';
export * from './homography-figure.js';
