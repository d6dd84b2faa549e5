/**
 * @equissl/decoders — reconstruction decoders and the intermediate
 * reconstruction objective.
 *
 * @since 0.1.0
 */
export * from './decoder.js';
export * from './intermediate.js';
export * from './plugins.js';
