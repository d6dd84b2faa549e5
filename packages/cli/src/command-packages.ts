/**
 * Commands from other packages: `equissl` adds the commands of every command
 * package that is installed (the lab's `reproduce` and `bench`), and, for one
 * that is not, commands of the same names that say what to install.
 *
 * A command package exports `commands`: functions that add one command each
 * to the program (as the commands under commands/ do), built on this
 * package's exports (`CommandContext`, `backendOption`, `runTask` …).
 *
 * @since 0.1.0
 */
import type { Command } from 'commander';
import type { CommandContext } from './cli-support.js';

/** Adds one command to the program. */
export type AddCommand = (program: Command, shared: CommandContext) => Command;

/** A package of commands, and the commands it adds (listed for when it is missing). */
export interface CommandPackage {
  readonly name: string;
  readonly commands: ReadonlyArray<{ readonly name: string; readonly description: string }>;
}

/** The command packages `equissl` loads when they are installed. */
export const commandPackages: ReadonlyArray<CommandPackage> = [
  {
    name: '@equissl/lab',
    commands: [
      { name: 'reproduce', description: "the paper's comparison over seeds (untrained control, baseline, method, other systems)" },
      { name: 'bench', description: "the training step timed against PyTorch's" },
    ],
  },
];

const notInstalled = (e: unknown, name: string): boolean =>
  typeof e === 'object' && e !== null && (e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(name);

/** Adds each package's commands, or for a package that is not installed, commands that exit with code 2 and say what to install. */
export const addCommandPackages = async (program: Command, shared: CommandContext, packages: ReadonlyArray<CommandPackage> = commandPackages): Promise<void> => {
  for (const p of packages) {
    let loaded: { commands?: ReadonlyArray<AddCommand> } | undefined;
    try {
      // a variable specifier: the command package depends on this one, not the other way round
      const specifier = p.name;
      loaded = (await import(specifier)) as { commands?: ReadonlyArray<AddCommand> };
    } catch (e) {
      if (!notInstalled(e, p.name)) throw e;
    }
    if (loaded?.commands !== undefined) {
      for (const add of loaded.commands) add(program, shared);
      continue;
    }
    for (const c of p.commands) {
      program
        .command(c.name)
        .description(`${c.description} (needs ${p.name}: npm install ${p.name})`)
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          process.stderr.write(`equissl: ${c.name} comes with ${p.name}, which is not installed here; install it with: npm install ${p.name}\n`);
          process.exitCode = 2;
        });
    }
  }
};
