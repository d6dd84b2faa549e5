/**
 * Shared pieces of the CLI commands, in one place: what the program hands
 * every command ({@link CommandContext}), the options and option parsers
 * more than one command takes (`--backend`, `--plugins`, integers, repeatable
 * options, YAML slots), backend activation with a report line, the registry
 * with a user's plugins and a checkpoint's, Ctrl-C, and turning a
 * tagged error into a message and an exit code (a crash into one line).
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, type Registry, describeBackend, formatError, normaliseSlot, selectBackend } from '@equissl/core';
import { Option } from 'commander';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipe } from 'fp-ts/lib/function.js';
import YAML from 'yaml';
import { registryForCheckpoints, registryWithModules } from './user-plugins.js';

/** What the program gives each command it adds. */
export interface CommandContext {
  /** The plugin registry, built once when the program starts (or why it could not be). */
  readonly registry: TE.TaskEither<EquisslError, Registry>;
}

/** `--backend`, taken by every command that computes. */
export const backendOption = (): Option =>
  new Option('--backend <name>', 'TensorFlow.js backend (default: auto = tensorflow → wasm → cpu, or $EQUISSL_BACKEND)').choices([
    'auto',
    'tensorflow',
    'wasm',
    'cpu',
  ]);

/** `--plugins MODULE…`, taken by every command: a user's plugin modules, registered beside the built-in plugins. */
export const pluginsOption = (): Option =>
  new Option('--plugins <modules...>', 'plugin modules to register beside the built-in plugins: files (./my-loss.ts, relative to here) or package names, each exporting plugin values; put it after the command\'s arguments');

/** What selects the registry of a command: `--plugins`, a config file's `plugins:` list (already resolved), and the checkpoints it opens. */
export interface RegistryRequest {
  readonly plugins?: ReadonlyArray<string>;
  readonly checkpoints?: ReadonlyArray<string>;
}

/** The standard registry with the request's plugin modules, then every plugin its checkpoints were trained with that is still missing. */
export const openRegistry = (shared: CommandContext, request: RegistryRequest = {}): TE.TaskEither<EquisslError, Registry> =>
  pipe(
    shared.registry,
    TE.flatMap((registry) => registryWithModules(registry, request.plugins ?? [])),
    TE.flatMap((registry) => registryForCheckpoints(registry, request.checkpoints ?? [])),
  );

/** An integer option's value (`--steps 10`). */
export const integer = (value: string): number => Number.parseInt(value, 10);

/** A repeatable option's values, in order (`--set a=1 --set b=2`). */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** A plugin slot given as YAML (`--data '{name: idx}'`), normalised like a config's. */
export const parseSlot = (value: string): unknown => {
  const parsed: unknown = YAML.parse(value);
  return normaliseSlot(parsed);
};

/** A command's progress line, on stderr (stdout holds its results). */
export const logLine = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** Activates the backend and prints which one runs and why. */
export const useBackend = (preference: BackendPreference | undefined): TE.TaskEither<EquisslError, void> =>
  pipe(
    selectBackend(preference),
    TE.map((report) => {
      process.stderr.write(`${describeBackend(report)}\n`);
    }),
  );

/** Activates the backend (see {@link useBackend}), then opens the registry ({@link openRegistry}): the start of every computing command. */
export const backendThenRegistry = (shared: CommandContext, preference: BackendPreference | undefined, request: RegistryRequest = {}): TE.TaskEither<EquisslError, Registry> =>
  pipe(
    useBackend(preference),
    TE.flatMap(() => openRegistry(shared, request)),
  );

/**
 * Ctrl-C for long commands: the first press asks the run to stop after the
 * current step (it then writes a checkpoint), the second quits at once.
 */
export const interruptible = (): { readonly shouldStop: () => boolean; readonly release: () => void } => {
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\ninterrupt: finishing this step and writing a checkpoint (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  return { shouldStop: () => stop, release: () => void process.off('SIGINT', onSigint) };
};

/**
 * An exception that escaped every error value (a bug, or a library's throw):
 * one line naming it on the terminal, the stack in a log file, exit code 70.
 */
export const reportCrash = (caught: unknown): void => {
  const error = caught instanceof Error ? caught : new Error(String(caught));
  // the first line of the message only: libraries (the wasm backend) append kilobytes of source to theirs
  const first = (error.message.split('\n')[0] ?? '').slice(0, 300);
  const log = join(tmpdir(), `equissl-crash-${process.pid}.log`);
  let where = '';
  try {
    writeFileSync(log, `${new Date().toISOString()} equissl ${process.argv.slice(2).join(' ')}\n${error.stack ?? error.message}\n`);
    where = ` (stack in ${log})`;
  } catch {
    // no log file: the one line is all there is
  }
  process.stderr.write(`equissl: [${error.name}] ${first}${where}; please report it with that file\n`);
  process.exitCode = 70;
};

/** Installs {@link reportCrash} for exceptions nothing caught. */
export const catchCrashes = (): void => {
  process.on('uncaughtException', (e) => {
    reportCrash(e);
    process.exit(70);
  });
  process.on('unhandledRejection', (e) => {
    reportCrash(e);
    process.exit(70);
  });
};

/** A closed pipe (`equissl plugins | head`) ends the command quietly. */
export const endQuietlyOnClosedPipe = (): void => {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
};

/** Runs a command's task: prints the error and sets a non-zero exit code on failure; a thrown exception is a crash report. */
export const runTask = async <A>(task: TE.TaskEither<EquisslError, A>, onSuccess: (a: A) => void): Promise<void> => {
  let result: Awaited<ReturnType<typeof task>>;
  try {
    result = await task();
  } catch (e) {
    reportCrash(e);
    return;
  }
  if (result._tag === 'Left') {
    process.stderr.write(`equissl: ${formatError(result.left)}\n`);
    process.exitCode = result.left._tag === 'ConfigError' || result.left._tag === 'UnknownPlugin' ? 2 : 1;
    return;
  }
  onSuccess(result.right);
};
