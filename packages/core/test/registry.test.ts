/** The registry: immutability, duplicates, unknown names, path-precise config errors, typed build. */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { Registry, decode, definePlugin, formatError, pluginSlot, positive, struct } from '../src/index.js';

const scaled = definePlugin({
  kind: 'loss',
  name: 'scaled-mse',
  description: 'test loss: simCoeff · mean squared error',
  config: struct('scaled-mse', { simCoeff: positive, variant: t.union([t.literal('a'), t.literal('b')]) }, { simCoeff: 10, variant: 'a' }),
  create: (c) => (c.variant === 'b' && c.simCoeff > 100 ? E.left({ _tag: 'PluginError', kind: 'loss', name: 'scaled-mse', message: 'too big' }) : E.right({ coeff: c.simCoeff, variant: c.variant })),
});

declare module '../src/registry.js' {
  interface LossPlugins {
    'scaled-mse': typeof scaled;
  }
}

const registry = E.getOrElseW((e) => {
  throw e;
})(Registry.of(scaled));

describe('Registry', () => {
  it('register returns a new registry and leaves the old one unchanged', () => {
    expect(Registry.empty.names('loss')).toEqual([]);
    expect(registry.names('loss')).toEqual(['scaled-mse']);
  });

  it('rejects a duplicate kind+name with DuplicatePlugin', () => {
    const again = registry.register(scaled);
    expect(E.isLeft(again) && again.left._tag).toBe('DuplicatePlugin');
    expect(E.isLeft(again) && again.left.message).toContain('a loss plugin named "scaled-mse" is already registered');
  });

  it('allows the same name under another kind', () => {
    const other = registry.register({ ...scaled, kind: 'head' });
    expect(E.isRight(other) && other.right.names('head')).toEqual(['scaled-mse']);
  });

  it('an unknown name lists the names that exist', () => {
    const r = registry.create('loss', { name: 'vicreg' });
    expect(E.isLeft(r) && r.left._tag).toBe('UnknownPlugin');
    expect(E.isLeft(r) && r.left.message).toBe('loss.name: unknown loss plugin "vicreg"; known loss plugins: scaled-mse');
  });

  it('fills defaults and creates', () => {
    expect(registry.create('loss', { name: 'scaled-mse' })).toEqual(E.right({ coeff: 10, variant: 'a' }));
    expect(registry.create('loss', 'scaled-mse')).toEqual(E.right({ coeff: 10, variant: 'a' }));
  });

  it('reports a bad field with its path, expected type and value', () => {
    const r = registry.create('loss', { name: 'scaled-mse', simCoeff: 'ten' });
    expect(E.isLeft(r) && r.left._tag).toBe('ConfigError');
    expect(E.isLeft(r) && r.left.message).toBe('loss.simCoeff: expected positive number, got "ten"');
  });

  it('uses the caller path prefix for nested slots', () => {
    const r = registry.create('loss', { name: 'scaled-mse', variant: 'c' }, 'pretrain.loss');
    expect(E.isLeft(r) && r.left.message).toBe('pretrain.loss.variant: expected ("a" | "b"), got "c"');
  });

  it('rejects unknown fields, naming the known ones', () => {
    const r = registry.create('loss', { name: 'scaled-mse', simCoef: 3 });
    expect(E.isLeft(r) && r.left.message).toBe('loss.simCoef: unknown field; known fields: simCoeff, variant');
  });

  it('passes the plugin’s own refusal through', () => {
    const r = registry.create('loss', { name: 'scaled-mse', simCoeff: 1000, variant: 'b' });
    expect(E.isLeft(r) && formatError(r.left)).toBe('[PluginError] too big');
  });

  it('build is typed by the augmented map', () => {
    const r = registry.build('loss', { name: 'scaled-mse', simCoeff: 3 });
    // the instance type flows from the plugin: `coeff` is a number at compile time
    const coeff: number = E.isRight(r) ? r.right.coeff : -1;
    expect(coeff).toBe(3);
    // @ts-expect-error -- 'ten' is not a number: rejected at compile time
    const bad = registry.build('loss', { name: 'scaled-mse', simCoeff: 'ten' });
    expect(E.isLeft(bad)).toBe(true);
  });

  it('a missing name names the field and lists the choices', () => {
    const r = registry.create('loss', { simCoeff: 3 });
    expect(E.isLeft(r) && r.left.message).toBe('loss.name: expected the name of a loss plugin (one of: scaled-mse), got undefined');
  });
});

describe('pluginSlot', () => {
  const Config = t.type({ loss: pluginSlot('loss') });
  it('takes a name or an object with a string name, and says where a slot is malformed', () => {
    expect(decode(Config, { loss: 'vicreg' })).toEqual(E.right({ loss: 'vicreg' }));
    expect(decode(Config, { loss: { name: 'vicreg', simCoeff: 5 } })).toEqual(E.right({ loss: { name: 'vicreg', simCoeff: 5 } }));
    const notObject = decode(Config, { loss: 5 });
    expect(E.isLeft(notObject) && notObject.left.message).toBe('loss: expected a loss plugin config { name, ... }, got 5');
    const noName = decode(Config, { loss: { simCoeff: 5 } }, 'pretrain');
    expect(E.isLeft(noName) && noName.left.message).toBe('pretrain.loss.name: expected the name of a loss plugin, got undefined');
  });
});
