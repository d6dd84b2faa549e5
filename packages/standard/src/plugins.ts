/**
 * Every plugin equissl ships, in one list, and the registry made of them —
 * the one place where the plugin packages are composed, and the starting
 * point of programs that add their own plugins.
 *
 * @since 0.1.0
 */
import { type AnyPlugin, type DuplicatePlugin, Registry } from '@equissl/core';
import { backbonePlugins } from '@equissl/backbones';
import { dataPlugins } from '@equissl/data';
import { headPlugins } from '@equissl/heads';
import { decoderPlugins } from '@equissl/decoders';
import { suitePlugins } from '@equissl/eval';
import { lossPlugins } from '@equissl/losses';
import { transformPlugins } from '@equissl/transforms';
import type * as E from 'fp-ts/lib/Either.js';

/** Every built-in plugin: data sets, transformation families, backbones, losses, decoders, evaluation heads and evaluation suites. */
export const builtinPlugins: ReadonlyArray<AnyPlugin> = [...dataPlugins, ...transformPlugins, ...backbonePlugins, ...lossPlugins, ...decoderPlugins, ...headPlugins, ...suitePlugins];

/** A registry with every built-in plugin. */
export const standardRegistry = (): E.Either<DuplicatePlugin, Registry> => Registry.empty.registerAll(builtinPlugins);
