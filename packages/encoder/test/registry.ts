/** The plugins the encoder tests use, composed here: @equissl/standard depends on this package (through eval), so its tests cannot import it. */
import { type DuplicatePlugin, Registry } from '@equissl/core';
import { backbonePlugins } from '@equissl/backbones';
import { lossPlugins } from '@equissl/losses';
import type * as E from 'fp-ts/lib/Either.js';

/** Backbones, and the losses (a config's split reads the loss's default). */
export const standardRegistry = (): E.Either<DuplicatePlugin, Registry> => Registry.of(...backbonePlugins, ...lossPlugins);
