/** Backend selection: named backends, auto fallback, and the error for a missing optional backend. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { describeBackend, preferenceFromEnv, selectBackend } from '../src/index.js';

const hasNativeTf = async () => {
  for (const spec of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(/* @vite-ignore */ spec);
      return true;
    } catch {
      /* not installed */
    }
  }
  return false;
};

describe('selectBackend', () => {
  it('activates cpu and wasm on request', async () => {
    const cpu = await selectBackend('cpu')();
    expect(cpu._tag === 'Right' && cpu.right.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const wasm = await selectBackend('wasm')();
    expect(wasm._tag === 'Right' && wasm.right.tfBackend).toBe('wasm');
    expect(tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0]).toBe(5);
  });

  it('auto picks tensorflow when installed, otherwise wasm, and says why', async () => {
    const r = await selectBackend('auto')();
    if (r._tag === 'Left') throw new Error(r.left.message);
    if (await hasNativeTf()) {
      expect(r.right.name).toBe('tensorflow');
    } else {
      expect(r.right.name).toBe('wasm');
      expect(r.right.skipped[0]?.name).toBe('tensorflow');
      expect(describeBackend(r.right)).toMatch(/^backend wasm \(first that loaded after tensorflow; skipped tensorflow: neither/);
    }
  });

  it('a requested backend that cannot load is an error naming it', async () => {
    if (await hasNativeTf()) return expect(true).toBe(true);
    const r = await selectBackend('tensorflow')();
    expect(r._tag === 'Left' && r.left.message).toMatch(/^backend "tensorflow": neither @tensorflow\/tfjs-node-gpu/);
  });

  it('reads EQUISSL_BACKEND', () => {
    expect(preferenceFromEnv({ EQUISSL_BACKEND: 'cpu' })).toBe('cpu');
    expect(preferenceFromEnv({ EQUISSL_BACKEND: 'gpu' })).toBeUndefined();
  });
});
