/**
 * `equissl plugins`: the registered plugins by kind, one line each with its
 * description; a loss also shows what it needs beyond the pooled invariant
 * embeddings (created with its defaults, since needs belong to the instance).
 * With `--plugins`, a user's plugins are listed with the module they came from.
 *
 * @since 0.1.0
 */
import { type Registry, pluginKinds } from '@equissl/core';
import { displayModule } from '@equissl/encoder';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import { type Command } from 'commander';
import * as E from 'fp-ts/lib/Either.js';
import { type CommandContext, openRegistry, pluginsOption, runTask } from '../cli-support.js';

/** `equissl plugins`: the listing, written line by line (a closed pipe ends it quietly). */
export const pluginsCommand = (program: Command, shared: CommandContext): Command =>
  program
    .command('plugins')
    .description('list the registered plugins by kind (with --plugins: a user\'s too, each with its module)')
    .addOption(pluginsOption())
    .action(async (o: { plugins?: string[] }) => {
      const both = pipe(
        shared.registry,
        TE.flatMap((builtIn) => TE.map((registry: Registry) => ({ builtIn, registry }))(openRegistry(shared, { plugins: o.plugins ?? [] }))),
      );
      await runTask(both, ({ builtIn, registry }) => {
        for (const kind of pluginKinds) {
          const names = registry.names(kind);
          if (names.length === 0) continue;
          process.stdout.write(`${kind}:\n`);
          for (const n of names) {
            const p = registry.get(kind, n);
            const own = E.isLeft(builtIn.get(kind, n)) && p._tag === 'Right' && p.right.module !== undefined ? ` (from ${displayModule(p.right.module)})` : '';
            process.stdout.write(`  ${n.padEnd(14)} ${p._tag === 'Right' ? p.right.description : ''}${own}\n`);
            if (kind !== 'loss') continue;
            // a loss's needs are part of its instance: create it with its defaults to show them
            const loss = registry.create('loss', { name: n });
            if (E.isRight(loss)) process.stdout.write(`  ${''.padEnd(14)} needs: ${loss.right.needs.join(', ') || '(the pooled invariant embeddings only)'}\n`);
          }
        }
      });
    });
