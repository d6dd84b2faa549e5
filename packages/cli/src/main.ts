#!/usr/bin/env node
/**
 * The `equissl` command.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, pluginKinds } from '@equissl/core';
import { Command, Option } from 'commander';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { drawPaths } from './commands/paths.js';
import { runTask, useBackend } from './cli-support.js';
import { standardRegistry } from './registry.js';

const backendOption = () =>
  new Option('--backend <name>', 'TensorFlow.js backend (default: auto = tensorflow → wasm → cpu, or $EQUISSL_BACKEND)').choices([
    'auto',
    'tensorflow',
    'wasm',
    'cpu',
  ]);

const registryTask: TE.TaskEither<EquisslError, Registry> = TE.fromEither(standardRegistry());

// a closed pipe (`equissl plugins | head`) ends the command quietly
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command()
  .name('equissl')
  .description('Self-supervised learning of equivariance-coherent image features (Wang et al., AAAI 2026) on TensorFlow.js')
  .version('0.1.0');

program
  .command('paths')
  .description('draw every transformation family along its path as PNG strips (one row per image, t = 0 … 1)')
  .option('--out <dir>', 'output folder', 'out/paths')
  .option('--family <names...>', 'families to draw (default: all)')
  .option('--images <n>', 'images (rows) per strip', (v) => Number.parseInt(v, 10), 4)
  .option('--steps <n>', 'points along the path (columns)', (v) => Number.parseInt(v, 10), 6)
  .option('--seed <n>', 'seed of the drawn parameters', (v) => Number.parseInt(v, 10), 0)
  .addOption(backendOption())
  .action(async (o: { out: string; family?: string[]; images: number; steps: number; seed: number; backend?: BackendPreference }) => {
    await runTask(
      pipe(
        useBackend(o.backend),
        TE.flatMap(() => registryTask),
        TE.flatMap((registry) =>
          drawPaths(registry, { out: o.out, images: o.images, steps: Math.max(2, o.steps), seed: o.seed, ...(o.family ? { families: o.family } : {}) }),
        ),
      ),
      (strips) => {
        for (const s of strips) {
          const first = s.thetas[0] ?? [];
          const shown = s.paramNames.map((n, i) => `${n}=${(first[i] ?? 0).toFixed(2)}`).filter((p) => !p.endsWith('=0.00'));
          process.stdout.write(`wrote ${s.file}  (first row: ${shown.join(', ') || 'identity'})\n`);
        }
      },
    );
  });

program
  .command('plugins')
  .description('list the registered plugins by kind')
  .action(async () => {
    await runTask(registryTask, (registry) => {
      for (const kind of pluginKinds) {
        const names = registry.names(kind);
        if (names.length === 0) continue;
        process.stdout.write(`${kind}:\n`);
        for (const n of names) {
          const p = registry.get(kind, n);
          process.stdout.write(`  ${n.padEnd(14)} ${p._tag === 'Right' ? p.right.description : ''}\n`);
        }
      }
    });
  });

await program.parseAsync(process.argv);
