/**
 * Test helpers shared by the addon's test files: the addon and why its tests
 * are skipped here, a `describe` block on the wasm backend with the kernels
 * installed, reading tensors back, running with kernels taken away, and
 * comparing outputs with a tolerance relative to the largest reference value.
 */
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { named } from '../../../tools/test-data.js';
import { installOpenBlasKernels, loadOpenBlas, uninstallOpenBlasKernels } from '../src/index.js';

/** The addon, or why it cannot be loaded here. */
export const loaded = loadOpenBlas();

/**
 * Why the native kernels cannot be tested here, or undefined: the addon is
 * not built, it predates the `family` kernels (it has no function `fn`), or
 * the tests run on another backend than wasm.
 */
export const missingReason = (needs?: { readonly fn: string; readonly family: string }): string | undefined => {
  const backend = process.env['EQUISSL_BACKEND'];
  return E.isLeft(loaded)
    ? loaded.left
    : needs !== undefined && typeof loaded.right[needs.fn] !== 'function'
      ? `the OpenBLAS addon predates the ${needs.family} kernels: npm run build:native -w @equissl/openblas`
      : backend !== undefined && backend !== 'wasm' && backend !== 'auto'
        ? `runs on the wasm backend, not EQUISSL_BACKEND=${backend}`
        : undefined;
};

/**
 * `describe(name, body)` on the wasm backend with the addon's kernels
 * installed (uninstalled after it), or skipped with `missing` in its name.
 */
export const describeOnWasm = (name: string, missing: string | undefined, body: () => void): void => {
  describe.skipIf(missing !== undefined)(named(name, missing), () => {
    beforeAll(() => {
      expect(tf.getBackend()).toBe('wasm');
      expect(E.isRight(installOpenBlasKernels())).toBe(true);
    });
    afterAll(() => {
      uninstallOpenBlasKernels();
    });
    body();
  });
};

/** A tensor read back. */
export interface Values {
  readonly shape: ReadonlyArray<number>;
  readonly data: Float32Array;
}

/** What `f` returns, read back (copied) and disposed; read outside `tf.tidy`, which would walk every element of the copies. */
export const values = (f: () => tf.Tensor | tf.Tensor[]): Values[] => {
  const kept = tf.tidy(() => [f()].flat());
  try {
    return kept.map((t) => ({ shape: t.shape, data: Float32Array.from(t.dataSync()) }));
  } finally {
    tf.dispose(kept);
  }
};

/** `values(f)`, checking that `f` leaves no tensor behind. */
export const valuesWithoutLeaks = (label: string, f: () => tf.Tensor | tf.Tensor[]): Values[] => {
  const before = tf.memory().numTensors;
  const got = values(f);
  expect(tf.memory().numTensors, `${label}: tensors left behind`).toBe(before);
  return got;
};

/** `f` on the wasm kernels (the addon's all uninstalled), then with the addon's back in place. */
export const withWasmKernels = <T>(f: () => T): T => {
  uninstallOpenBlasKernels();
  try {
    return f();
  } finally {
    expect(E.isRight(installOpenBlasKernels())).toBe(true);
  }
};

/** `f` with the wasm kernels `names` unregistered (the ops compose tfjs kernels then), then with them back. */
export const withoutKernels = <T>(names: ReadonlyArray<string>, f: () => T): T => {
  const configs = names.map((name) => tf.getKernel(name, 'wasm')!);
  configs.forEach((c) => tf.unregisterKernel(c.kernelName, 'wasm'));
  try {
    return f();
  } finally {
    configs.forEach((c) => tf.registerKernel(c));
  }
};

/** Normal draws of a fixed seed: both paths see the same inputs. */
export const normal = (shape: number[], seed: number, std = 1): tf.Tensor => tf.randomNormal(shape, 0, std, 'float32', seed);

/**
 * `got` has `want`'s shapes, finite values, and max |got − want| ≤
 * tolerance · max |want| per tensor (`tolerance`: one for all, or one per
 * output).
 */
export const expectClose = (got: ReadonlyArray<Values>, want: ReadonlyArray<Values>, label: string, tolerance: number | ReadonlyArray<number> = 1e-5): void => {
  expect(got.map((v) => v.shape), label).toEqual(want.map((v) => v.shape));
  got.forEach((g, t) => {
    const w = want[t]!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < w.data.length; i++) {
      diff = Math.max(diff, Math.abs(g.data[i]! - w.data[i]!));
      scale = Math.max(scale, Math.abs(w.data[i]!));
    }
    const allowed = typeof tolerance === 'number' ? tolerance : tolerance[t]!;
    expect(diff, `${label}, output ${t} [${w.shape.join(', ')}]: max |Δ| ${diff} against max |reference| ${scale} (relative ${(diff / Math.max(scale, 1e-30)).toExponential(2)}, allowed ${allowed})`).toBeLessThanOrEqual(
      allowed * Math.max(scale, 1e-30),
    );
    expect(g.data.every(Number.isFinite), `${label}, output ${t} is finite`).toBe(true);
  });
};
