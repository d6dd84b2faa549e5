/** Rebuilding a registry in another thread from the modules its plugins name. */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { Registry, definePlugin, fromModule, pluginAddresses, rebuildRegistry, registryFromModules } from '../src/index.js';

const here = import.meta.url;
/** Two plugins this test module exports: one alone, one in a list. */
export const alpha = definePlugin({ kind: 'head', name: 'alpha', description: 'a', config: t.unknown, create: () => E.right(1 as never), module: here });
export const listed = fromModule(here, [definePlugin({ kind: 'head', name: 'beta', description: 'b', config: t.unknown, create: () => E.right(2 as never) })]);
const orphan = definePlugin({ kind: 'head', name: 'orphan', description: 'no module', config: t.unknown, create: () => E.right(3 as never) });

describe('plugin addresses', () => {
  it('lists where every plugin lives, and the plugins that name no module', () => {
    const r = Registry.of(alpha, ...listed, orphan);
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(pluginAddresses(r.right)).toEqual({
      addresses: [{ kind: 'head', name: 'alpha', module: here }, { kind: 'head', name: 'beta', module: here }],
      unreachable: ['head "orphan"'],
    });
  });

  it('rebuilds the addressed plugins from their module (exported alone or in a list), and only those', async () => {
    const rebuilt = await registryFromModules([{ kind: 'head', name: 'beta', module: here }]);
    if (E.isLeft(rebuilt)) throw new Error(rebuilt.left);
    expect(rebuilt.right.all().map((p) => `${p.kind}/${p.name}`)).toEqual(['head/beta']);
  });

  it('names the module that cannot be imported, and the plugin a module does not export', async () => {
    const missing = await registryFromModules([{ kind: 'head', name: 'x', module: 'file:///nowhere/plugins.js' }]);
    expect(E.isLeft(missing) && missing.left).toMatch(/^a worker could not import plugin module file:\/\/\/nowhere\/plugins\.js: /);
    const absent = await registryFromModules([{ kind: 'head', name: 'orphan', module: here }]);
    expect(E.isLeft(absent) && absent.left).toBe(`plugin module ${here} exports no head "orphan"; export the plugin value from the module its \`module\` field names`);
  });

  it('marks only a module that cannot be imported as unloadable (workers then give way to one thread)', async () => {
    const missing = await rebuildRegistry([{ kind: 'head', name: 'x', module: 'file:///nowhere/plugins.js' }]);
    expect(E.isLeft(missing) && missing.left.unloadable?.module).toBe('file:///nowhere/plugins.js');
    const absent = await rebuildRegistry([{ kind: 'head', name: 'orphan', module: here }]);
    expect(E.isLeft(absent) && absent.left.unloadable).toBeUndefined();
  });
});
