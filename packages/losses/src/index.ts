/**
 * @equissl/losses — SSL objectives as plugins (`vicreg`, `simclr`,
 * `barlow-twins`) behind one interface that declares needs and threads state.
 *
 * @since 0.1.0
 */
export * from './objective.js';
export * from './projector.js';
export * from './vicreg.js';
export * from './simclr.js';
export * from './barlow-twins.js';
export * from './plugins.js';
