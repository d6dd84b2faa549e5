/** The plugins the evaluation tests use, composed here: @equissl/standard depends on this package, so its tests cannot import it. */
import { type DuplicatePlugin, Registry } from '@equissl/core';
import { backbonePlugins } from '@equissl/backbones';
import { dataPlugins } from '@equissl/data';
import { headPlugins } from '@equissl/heads';
import { lossPlugins } from '@equissl/losses';
import { transformPlugins } from '@equissl/transforms';
import type * as E from 'fp-ts/lib/Either.js';
import { suitePlugins } from '../src/index.js';

/** Data, transforms, backbones, losses (a config's split reads the loss's default), heads and this package's suites. */
export const standardRegistry = (): E.Either<DuplicatePlugin, Registry> =>
  Registry.of(...dataPlugins, ...transformPlugins, ...backbonePlugins, ...lossPlugins, ...headPlugins, ...suitePlugins);
