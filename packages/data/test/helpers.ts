/** Test helpers: a registry of the data plugins, temp folders, and unwrapping Eithers. */
import { Registry } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataPlugins } from '../src/index.js';

export const registry = E.getOrElseW((e: { message: string }) => {
  throw new Error(e.message);
})(Registry.empty.registerAll(dataPlugins));

export const tempDir = (label: string): string => mkdtempSync(join(tmpdir(), `equissl-${label}-`));

export const unwrap = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
};

export const leftOf = <A>(e: E.Either<{ _tag: string; message: string }, A>): { _tag: string; message: string } => {
  if (E.isRight(e)) throw new Error('expected an error, got a value');
  return e.left;
};
