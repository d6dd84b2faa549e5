/**
 * @equissl/lab — the experiments beside the product: `equissl reproduce` (the
 * paper's comparison over seeds: untrained control, baseline, method, other
 * systems and their Ours(X) rows, ablations; its preset and report) and
 * `equissl bench` (the training step timed in interleaved pairs against the
 * PyTorch reference). The `equissl` command adds {@link commands} when this
 * package is installed.
 *
 * @since 0.1.0
 */
import type { AddCommand } from '@equissl/cli';
import { benchCommand } from './bench/command.js';
import { reproduceCommand } from './reproduce/command.js';

export * from './reproduce/preset.js';
export * from './reproduce/command.js';
export * from './reproduce/summary.js';
export * from './reproduce/report.js';
export * from './reproduce/systems-report.js';
export * from './reproduce/paper.js';
export * from './bench/session.js';
export * from './bench/stats.js';
export * from './bench/command.js';

/** The commands this package adds to `equissl`. */
export const commands: ReadonlyArray<AddCommand> = [reproduceCommand, benchCommand];
