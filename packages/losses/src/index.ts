/**
 * @equissl/losses — SSL objectives as plugins (`vicreg`, `simclr`,
 * `barlow-twins`, `sie`, `ibot`, `dinov2`, `stl`) behind one interface that declares needs and threads state.
 *
 * @since 0.1.0
 */
export * from './objective.js';
export * from './projector.js';
export * from './vicreg.js';
export * from './simclr.js';
export * from './barlow-twins.js';
export * from './select-rows.js';
export * from './hypernetwork.js';
export * from './sie.js';
export * from './stl.js';
export * from './dino-head.js';
export * from './ibot.js';
export * from './sinkhorn.js';
export * from './koleo.js';
export * from './dinov2.js';
export * from './plugins.js';
export * from './teacher-health.js';
