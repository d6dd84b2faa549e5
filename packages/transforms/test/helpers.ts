/** Test helpers: small images with known values, nested-array comparison with a tolerance, and the package's families by name. */
import { Registry } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { expect } from 'vitest';
import { type TransformFamily, transformPlugins } from '../src/index.js';

export const transformRegistry = E.getOrElseW(() => {
  throw new Error('registry');
})(Registry.empty.registerAll(transformPlugins));

/** The family of transform plugin `name`, with its defaults. */
export const family = (name: string): TransformFamily => {
  const r = transformRegistry.create('transform', { name });
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};

/** A `[1, n, n, c]` image whose value at (y, x, ch) is 1 + y·n + x + 100·ch, scaled by 1/1000. */
export const ramp = (n: number, c = 1): tf.Tensor4D =>
  tf.tensor4d(
    Array.from({ length: n * n * c }, (_, i) => {
      const ch = i % c;
      const p = Math.floor(i / c);
      return (1 + p + 100 * ch) / 1000;
    }),
    [1, n, n, c],
  );

/** Expects two tensors to be equal element-wise within `tol`. */
export const expectClose = (actual: tf.Tensor, expected: tf.Tensor | number[], tol = 1e-5): void => {
  const a = Array.from(actual.dataSync());
  const e = Array.isArray(expected) ? expected : Array.from(expected.dataSync());
  expect(a).toHaveLength(e.length);
  const worst = a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i]!)), 0);
  expect(worst).toBeLessThanOrEqual(tol);
};
