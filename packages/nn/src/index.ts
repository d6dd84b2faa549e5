/**
 * @equissl/nn — layers whose gradients use only kernels that are fast on the
 * wasm backend (dense, layer norm, GELU, attention, 3×3 conv, ×2 upsampling),
 * a named parameter store and seeded initialisers.
 *
 * @since 0.1.0
 */
export * from './custom-grad.js';
export * from './sum-rows.js';
export * from './params.js';
export * from './init.js';
export * from './dense.js';
export * from './layer-norm.js';
export * from './gelu.js';
export * from './attention.js';
export * from './conv3x3.js';
export * from './upsample.js';
export * from './self-attention.js';
export * from './mlp.js';
