/**
 * @equissl/report — rendering results: PNG grids of images (previews, path
 * strips), Vega-Lite charts written as PNG (loss curves), and the
 * evaluation report (`report.md` and figures: what each suite that ran
 * presents).
 *
 * @since 0.1.0
 */
export * from './images.js';
export * from './plots.js';
export * from './report.js';
export * from './figures.js';
export * from './homography-figure.js';
