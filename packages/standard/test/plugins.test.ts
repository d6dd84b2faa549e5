/** The standard registry: every built-in plugin once, each naming the module a worker thread imports it from. */
import { pluginAddresses, pluginKinds, registryFromModules } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { builtinPlugins, standardRegistry } from '../src/index.js';

describe('standardRegistry', () => {
  const registry = standardRegistry();
  if (E.isLeft(registry)) throw new Error(registry.left.message);

  it('holds the built-in plugins of every kind', () => {
    const names = Object.fromEntries(pluginKinds.map((k) => [k, registry.right.names(k)]));
    expect(names).toEqual({
      backbone: ['vit', 'vit-micro', 'vit-small', 'vit-tiny'],
      transform: ['all', 'allRot', 'colorJitter', 'gaussianBlur', 'rotation', 'se2', 'translation'],
      loss: ['barlow-twins', 'dinov2', 'ibot', 'sie', 'simclr', 'stl', 'vicreg'],
      decoder: ['conv4'],
      head: ['knn', 'linear', 'mlp', 'ridge'],
      dataset: ['cifar-binary', 'idx', 'image-folder', 'procedural'],
      suite: ['equivariance', 'homography', 'knn', 'linear'],
    });
    expect(registry.right.all()).toHaveLength(builtinPlugins.length);
  });

  it('every plugin names its module, and a worker rebuilds the same registry from those modules', async () => {
    const { addresses, unreachable } = pluginAddresses(registry.right);
    expect(unreachable).toEqual([]);
    const rebuilt = await registryFromModules(addresses);
    if (E.isLeft(rebuilt)) throw new Error(rebuilt.left);
    expect(rebuilt.right.all().map((p) => `${p.kind}/${p.name}`)).toEqual(registry.right.all().map((p) => `${p.kind}/${p.name}`));
  });
});
