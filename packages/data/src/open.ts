/**
 * Opening a dataset from a config slot in one call:
 * decode → create → open, every failure a tagged error.
 *
 * @since 0.1.0
 */
import type { EquisslError, Registry } from '@equissl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';
import type { Dataset } from './dataset.js';

/** Decodes `input` as a dataset config (at `path`), creates the plugin and opens the data. */
export const openDataset = (registry: Registry, input: unknown, path = 'data'): TE.TaskEither<EquisslError, Dataset> =>
  pipe(
    TE.fromEither(registry.create('dataset', input, path)),
    TE.flatMap((source) => source.open()),
  );
