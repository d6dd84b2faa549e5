/** Config overrides merge into the defaults at every depth, plugin slots included (one rule for all slots). */
import { mergeDefaults } from '@equissl/core';
import { decodePretrainConfig } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { applyOverrides } from '../src/index.js';

const decoded = (overrides: string[], base: Record<string, unknown> = {}) => {
  const given = applyOverrides(base, overrides);
  if (E.isLeft(given)) throw new Error(given.left.message);
  const c = decodePretrainConfig(given.right);
  if (E.isLeft(c)) throw new Error(c.left.message);
  return c.right;
};

describe('--set merges into the defaults', () => {
  it('a plugin field keeps the default plugin (loss.simCoeff, data.count)', () => {
    const c = decoded(['loss.simCoeff=5', 'data.count=100', 'reconstruction.decoder.channels=8']);
    expect(c.loss).toEqual({ name: 'vicreg', simCoeff: 5 });
    expect(c.data).toEqual({ name: 'procedural', count: 100, size: 32 });
    expect(c.reconstruction).toMatchObject({ k: 2, decoder: { name: 'conv4', channels: 8 } });
  });

  it('a slot naming another plugin replaces the default slot whole', () => {
    const c = decoded(['data={name: idx, split: train}', 'loss.name=simclr']);
    expect(c.data).toEqual({ name: 'idx', split: 'train' });
    expect(c.loss).toEqual({ name: 'simclr' });
  });

  it('merges a config file the same way', () => {
    const c = decoded(['loss.temperature=0.1'], { loss: 'simclr', optimizer: { lr: 0.01 } });
    expect(c.loss).toEqual({ name: 'simclr', temperature: 0.1 });
    expect(c.optimizer.lr).toBe(0.01);
    expect(c.optimizer.warmupSteps).toBe(10);
  });

  it('mergeDefaults: arrays and scalars replace, bare names are slots', () => {
    expect(mergeDefaults({ a: [1, 2], b: { name: 'x', k: 1 } }, { a: [3], b: 'x' })).toEqual({ a: [3], b: { name: 'x', k: 1 } });
    expect(mergeDefaults({ b: { name: 'x', k: 1 } }, { b: 'y' })).toEqual({ b: { name: 'y' } });
    expect(mergeDefaults({ r: { k: 2 } }, { r: 'off' })).toEqual({ r: 'off' });
  });
});
