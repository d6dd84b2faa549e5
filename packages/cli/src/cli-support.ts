/**
 * Shared pieces of the CLI commands: backend activation with a report line,
 * and turning a tagged error into a message and an exit code.
 *
 * @since 0.1.0
 */
import { type BackendPreference, type EquisslError, describeBackend, formatError, selectBackend } from '@equissl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
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

/** Runs a command's task: prints the error and sets a non-zero exit code on failure. */
export const runTask = async <A>(task: TE.TaskEither<EquisslError, A>, onSuccess: (a: A) => void): Promise<void> => {
  const result = await task();
  if (result._tag === 'Left') {
    process.stderr.write(`equissl: ${formatError(result.left)}\n`);
    process.exitCode = result.left._tag === 'ConfigError' || result.left._tag === 'UnknownPlugin' ? 2 : 1;
    return;
  }
  onSuccess(result.right);
};
