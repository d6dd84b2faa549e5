/**
 * @equissl/backbones — encoders: Vision Transformers with presets.
 *
 * @since 0.1.0
 */
export * from './backbone.js';
export * from './vit.js';
export * from './presets.js';
export * from './plugins.js';
