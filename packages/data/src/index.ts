/**
 * @equissl/data — datasets as plugins (`procedural`, `idx`, `cifar-binary`,
 * `image-folder`) and seeded, resumable batch streams over them.
 *
 * @since 0.1.0
 */
export * from './dataset.js';
export * from './files.js';
export * from './stream.js';
export * from './procedural.js';
export * from './idx.js';
export * from './cifar.js';
export * from './image-folder.js';
export * from './plugins.js';
export * from './open.js';
