/**
 * @equissl/cli — the `equissl` command, and its commands as functions for
 * programs that want them without a shell (`drawPaths`, the standard
 * registry, PNG grids).
 *
 * @since 0.1.0
 */
export { standardRegistry } from '@equissl/standard';
export * from './config-input.js';
export * from '@equissl/report';
export * from './commands/pretrain.js';
export * from './commands/paths.js';
export * from './commands/eval.js';
export * from './commands/export.js';
export * from '@equissl/export';
export * from './cli-support.js';
export * from './command-packages.js';
