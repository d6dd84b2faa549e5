/** Backend selection: named backends, auto fallback, and the error for a missing optional backend. */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backendLabel, describeBackend, preferenceFromEnv, selectBackend, wasmHeapError } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));

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
      expect(describeBackend(r.right)).toMatch(/^backend wasm( \+ openblas \(1 thread\))? \(first that loaded after tensorflow; skipped tensorflow: neither/);
    }
  });

  it('a requested backend that cannot load is an error naming it', async () => {
    if (await hasNativeTf()) return expect(true).toBe(true);
    const r = await selectBackend('tensorflow')();
    expect(r._tag === 'Left' && r.left.message).toMatch(/^backend "tensorflow": neither @tensorflow\/tfjs-node-gpu/);
  });

  it('names the kernels of the products: OpenBLAS where built, the wasm kernels with EQUISSL_OPENBLAS=0, the same numbers', async () => {
    const a = tf.tensor2d(Array.from({ length: 12 }, (_, i) => i / 7 - 0.5), [3, 4]);
    const b = tf.tensor2d(Array.from({ length: 8 }, (_, i) => 1 - i / 5), [4, 2]);
    // C = A·B by hand, in doubles (the addon's own tests compare every shape the models use)
    const expected = [0, 1, 2].flatMap((r) => [0, 1].map((c) => [0, 1, 2, 3].reduce((sum, k) => sum + ((r * 4 + k) / 7 - 0.5) * (1 - (k * 2 + c) / 5), 0)));
    // the suite itself may run with EQUISSL_OPENBLAS=0 (CI runs it both ways): set it for this test only
    const before = process.env['EQUISSL_OPENBLAS'];
    delete process.env['EQUISSL_OPENBLAS'];
    const on = await selectBackend('wasm')();
    if (on._tag === 'Left') throw new Error(on.left.message);
    const product = () => Array.from(tf.matMul(a, b).dataSync());
    const native = product();
    native.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    const built = on.right.products !== undefined && 'native' in on.right.products;
    if (built) expect(backendLabel(on.right)).toBe('wasm + openblas (1 thread)');
    else expect(on.right.products).toMatchObject({ wasm: expect.stringContaining('openblas') });
    process.env['EQUISSL_OPENBLAS'] = '0';
    try {
      const off = await selectBackend('wasm')();
      if (off._tag === 'Left') throw new Error(off.left.message);
      expect(off.right.products).toEqual({ wasm: 'EQUISSL_OPENBLAS=0' });
      expect(backendLabel(off.right)).toBe('wasm');
      expect(describeBackend(off.right)).toMatch(/^backend wasm \(requested; products on wasm: EQUISSL_OPENBLAS=0\)$/);
      const wasm = product();
      wasm.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    } finally {
      if (before === undefined) delete process.env['EQUISSL_OPENBLAS'];
      else process.env['EQUISSL_OPENBLAS'] = before;
      await selectBackend('wasm')();
    }
  });

  it('reads EQUISSL_BACKEND', () => {
    expect(preferenceFromEnv({ EQUISSL_BACKEND: 'cpu' })).toBe('cpu');
    expect(preferenceFromEnv({ EQUISSL_BACKEND: 'gpu' })).toBeUndefined();
  });

  it('leaves no process error handler of the wasm module behind (Node would print its minified source above any uncaught error)', () => {
    // a fresh process: the wasm module installs its handlers once per process, when it is first instantiated
    const script = `import { selectBackend } from '@equissl/core';
const count = () => process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length;
const before = count();
const r = await selectBackend('wasm')();
console.log(JSON.stringify({ ok: r._tag === 'Right', before, after: count() }));`;
    const r = spawnSync(process.execPath, ['--conditions=@equissl/source', '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: here });
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({ ok: true, before: 0, after: 0 });
  });
});

describe('wasmHeapError', () => {
  it('names what ran out of the wasm heap and what to change; other failures are left alone', () => {
    const e = wasmHeapError('memory access out of bounds', 'an evaluation worker');
    expect(e?._tag).toBe('BackendError');
    expect(e?.message).toBe('backend "wasm": an evaluation worker: memory access out of bounds (the 4 GB wasm heap is full); use fewer images or a smaller batch, or install @tensorflow/tfjs-node, which has no such limit');
    expect(wasmHeapError('Aborted(OOM)', 'x')?._tag).toBe('BackendError');
    expect(wasmHeapError('Cannot find module ./plugin.js', 'x')).toBeUndefined();
    expect(wasmHeapError('a room with a view', 'x')).toBeUndefined();
  });
});
