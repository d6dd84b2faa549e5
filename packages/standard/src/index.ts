/**
 * @equissl/standard — the standard registry: every plugin the equissl
 * packages ship, composed in one place.
 *
 * @since 0.1.0
 */
export * from './plugins.js';
