/**
 * The standard registry: every plugin that ships with equissl. Programs that
 * add their own plugins start from it: `standardRegistry().register(myLoss)`.
 *
 * @since 0.1.0
 */
import { type DuplicatePlugin, Registry } from '@equissl/core';
import { dataPlugins } from '@equissl/data';
import { transformPlugins } from '@equissl/transforms';
import type * as E from 'fp-ts/lib/Either.js';

/** A registry with the plugins of every equissl package. */
export const standardRegistry = (): E.Either<DuplicatePlugin, Registry> => Registry.empty.registerAll([...dataPlugins, ...transformPlugins]);
