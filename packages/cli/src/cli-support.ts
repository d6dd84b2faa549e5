/**
 * Shared pieces of the CLI commands: backend activation with a report line,
 * and turning a tagged error into a message and an exit code.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, describeBackend, formatError, selectBackend } from '@equissl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipe } from 'fp-ts/lib/function.js';

/** Activates the backend and prints which one runs and why. */
export const useBackend = (preference: BackendPreference | undefined): TE.TaskEither<EquisslError, void> =>
  pipe(
    selectBackend(preference),
    TE.map((report) => {
      process.stderr.write(`${describeBackend(report)}\n`);
    }),
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
