#!/usr/bin/env node
/**
 * The `equissl` command: builds the registry once, installs the crash and
 * closed-pipe handlers, adds every command (each defined in its own module
 * under commands/, and those of the installed command packages) and parses
 * the command line.
 *
 * @since 0.1.0
 */
import { standardRegistry } from '@equissl/standard';
import { Command } from 'commander';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { type CommandContext, catchCrashes, endQuietlyOnClosedPipe } from './cli-support.js';
import { addCommandPackages } from './command-packages.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { exploreCommand } from './commands/explore.js';
import { pathsCommand } from './commands/paths.js';
import { pluginsCommand } from './commands/plugins.js';
import { pretrainCommand } from './commands/pretrain.js';

const shared: CommandContext = { registry: TE.fromEither(standardRegistry()) };

catchCrashes();
endQuietlyOnClosedPipe();

const program = new Command()
  .name('equissl')
  .description('Self-supervised learning of equivariance-coherent image features (Wang et al., AAAI 2026) on TensorFlow.js')
  .version('0.1.0');

// in the order `equissl --help` lists them; then the commands of the installed command packages (the lab's reproduce and bench)
for (const add of [pathsCommand, pretrainCommand, evalCommand, exportCommand, exploreCommand, pluginsCommand]) add(program, shared);
await addCommandPackages(program, shared);

await program.parseAsync(process.argv);
