/**
 * The native element-wise kernels against the wasm path they replace (all
 * of the addon's kernels uninstalled): `Exp` and `Erf` equal the wasm
 * kernels element by element (special values included); `@equissl/nn`'s
 * `gelu`, `layerNorm` and `mlp` on the equissl kernels (`EquisslGelu`,
 * `EquisslLayerNorm` and their gradients) equal their composed tfjs ops, in
 * value and every gradient; `dense`'s and `mlp`'s gradients with transpose
 * flags (OpenBLAS products) equal those with explicit transposes. Shapes: the
 * ViT's tokens `[64·65, 192]` and MLP hidden layer `[64·65, 768]`, small
 * ones, and lengths that are not a multiple of 16 (the vector loops' tails).
 * Tolerance: max |Δ| ≤ 1e-5 · max |reference| per tensor (for Exp and Erf,
 * per element: a few float roundings). No tensor is left behind. Skipped,
 * with the reason, where the addon is not built (or predates these kernels)
 * or the tests run on another backend.
 */
import { dense, gelu, hasNativeGelu, hasNativeLayerNorm, hasNativeProducts, layerNorm, matMulAt, matMulBt, mlp } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { GELU_GRAD_KERNEL, GELU_KERNEL, LAYER_NORM_GRAD_KERNEL, LAYER_NORM_KERNEL } from '../src/elementwise-kernels.js';
import { installOpenBlasKernels, uninstallOpenBlasKernels } from '../src/index.js';
import { describeOnWasm, expectClose, missingReason, normal, values, valuesWithoutLeaks, withWasmKernels as withoutAddon } from './helpers.js';

const missing = missingReason({ fn: 'gelu', family: 'element-wise' });

const equisslKernels = [GELU_KERNEL, GELU_GRAD_KERNEL, LAYER_NORM_KERNEL, LAYER_NORM_GRAD_KERNEL];

/** `f` on the wasm kernels (the addon's all uninstalled), then with the addon's back. */
const withWasmKernels = <T>(f: () => T): T =>
  withoutAddon(() => {
    expect(hasNativeProducts()).toBe(false);
    return f();
  });

/** `f` on the native kernels equals `reference` (default `f`) on the wasm kernels; neither leaks tensors. */
const same = (label: string, f: () => tf.Tensor | tf.Tensor[], reference: () => tf.Tensor | tf.Tensor[] = f): void => {
  const want = withWasmKernels(() => valuesWithoutLeaks(`${label} (wasm)`, reference));
  expectClose(valuesWithoutLeaks(`${label} (native)`, f), want, label);
};

/** `op`'s value and the gradients of Σ op(inputs) ⊙ r with respect to every input. */
const valueAndGrads = (op: (...xs: tf.Tensor[]) => tf.Tensor, inputs: () => tf.Tensor[], seed: number) => (): tf.Tensor[] => {
  const xs = inputs();
  const y = op(...xs);
  const r = normal(y.shape, seed);
  return [y, ...tf.grads((...zs: tf.Tensor[]) => tf.sum(tf.mul(op(...zs), r)))(xs)];
};

/** The ViT's token and hidden matrices (B = 64, T = 65), small ones, and odd lengths. */
const elementShapes: ReadonlyArray<number[]> = [[64 * 65, 192], [64 * 65, 768], [2, 3, 8], [7, 37], [1], [3, 17], [5, 193], [1, 15]];

/** Ulp-level distance: |a - b| over the larger of |b| and `floor`. */
const relativeError = (a: number, b: number, floor: number): number => (Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) ? 0 : Math.abs(a - b) / Math.max(Math.abs(b), floor));

/** Max relative error of the native `op` on `x` against the wasm kernel's, element by element. */
const elementwiseError = (op: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor, floor: number): number => {
  const want = withWasmKernels(() => valuesWithoutLeaks('wasm', () => op(x)))[0]!.data;
  const got = valuesWithoutLeaks('native', () => op(x))[0]!.data;
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, relativeError(got[i]!, want[i]!, floor));
  return worst;
};

/** `f` on a tensor made by `make`, disposed afterwards. */
const withTensor = <A>(make: () => tf.Tensor, f: (x: tf.Tensor) => A): A => {
  const x = tf.tidy(make);
  try {
    return f(x);
  } finally {
    x.dispose();
  }
};

/** Every float special case, plus the edges of exp's range (overflow, denormals, underflow) and of erf's branches. */
const specials = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 1e-45, 0.5, 1, -1, 0.9999999, 1.0000001, 3.83, 3.92, -3.92, 6, 88.72, 88.73, 89, -87.3, -87.4, -100, -103.9, -104, -110];

describeOnWasm('the native element-wise kernels on the wasm backend', missing, () => {
  it('are registered with the products, and @equissl/nn sees them come and go', () => {
    expect(equisslKernels.every((name) => tf.getKernel(name, 'wasm') !== undefined)).toBe(true);
    const x = tf.zeros([2, 3]);
    expect([hasNativeGelu(x), hasNativeLayerNorm(x), hasNativeProducts()]).toEqual([true, true, true]);
    expect(tf.tidy(() => hasNativeGelu(tf.zeros([2], 'int32')))).toBe(false);
    uninstallOpenBlasKernels();
    expect(equisslKernels.some((name) => tf.getKernel(name, 'wasm') !== undefined)).toBe(false);
    expect([hasNativeGelu(x), hasNativeLayerNorm(x), hasNativeProducts()]).toEqual([false, false, false]);
    expect(E.isRight(installOpenBlasKernels())).toBe(true);
    expect(hasNativeGelu(x)).toBe(true);
    tf.dispose(x);
  });

  describe('Exp and Erf equal the wasm kernels element by element', () => {
    it.each(elementShapes.map((s) => [s]))('shape %j', (shape) => {
      // exp over its whole finite range, erf where it is not yet ±1
      withTensor(
        () => tf.mul(normal(shape, 1), 30),
        (x) => expect(elementwiseError(tf.exp, x, 1e-37)).toBeLessThanOrEqual(4e-7),
      );
      withTensor(
        () => tf.mul(normal(shape, 2), 2),
        (x) => expect(elementwiseError(tf.erf, x, 1e-30)).toBeLessThanOrEqual(4e-7),
      );
    });

    it('special values: NaN, ±∞, ±0, denormals, overflow and underflow', () => {
      withTensor(
        () => tf.tensor1d(specials),
        (x) => {
          expect(elementwiseError(tf.exp, x, 1e-37)).toBeLessThanOrEqual(1.5e-7);
          expect(elementwiseError(tf.erf, x, 1e-45)).toBeLessThanOrEqual(1.5e-7);
        },
      );
    });

    it('a dense sweep of erf over [-5, 5] stays within 1.5e-7 of the wasm kernel (absolute)', () => {
      withTensor(
        () => tf.linspace(-5, 5, 1_000_001),
        (x) => expect(elementwiseError(tf.erf, x, 1)).toBeLessThanOrEqual(1.5e-7),
      );
    });

    it('int32 inputs go to the wasm kernels (identical values)', () => {
      const run = () => values(() => [tf.exp(tf.tensor1d([-3, 0, 2, 5], 'int32')), tf.erf(tf.tensor1d([-1, 0, 1], 'int32'))]);
      expect(run()).toEqual(withWasmKernels(run));
    });
  });

  describe('gelu: value and gradient equal the composed ops', () => {
    it.each(elementShapes.map((s) => [s]))('shape %j', (shape) => {
      same(`gelu ${shape}`, valueAndGrads((x) => gelu(x!), () => [tf.mul(normal(shape, 3), 3)], 4));
    });
  });

  describe('layerNorm: value and gradients with respect to x, γ and β equal the composed ops', () => {
    it.each([[64 * 65, 192], [64, 65, 192], [2, 3, 8], [7, 37], [1, 193], [4, 1], [9, 16]].map((s) => [s]))('shape %j', (shape) => {
      const d = shape.at(-1)!;
      // an offset mean and a spread of scales, as the residual stream has
      const inputs = () => [tf.add(tf.mul(normal(shape, 5), tf.add(1, tf.abs(normal([d], 6)))), 0.5), tf.add(1, normal([d], 7, 0.2)), normal([d], 8, 0.2)];
      same(`layerNorm ${shape}`, valueAndGrads((x, g, b) => layerNorm(x!, g!, b!), inputs, 9));
    });
  });

  describe('mlp: value and gradients (native GELU and transpose flags against the composed GELU and transposes)', () => {
    it.each([
      [64, 65, 192, 768],
      [2, 5, 8, 32],
      [3, 7, 37, 19],
    ])('[%i, %i, %i], hidden %i', (b, t, d, h) => {
      const inputs = () => [normal([b, t, d], 10), normal([d, h], 11, 0.1), normal([h], 12, 0.1), normal([h, d], 13, 0.1), normal([d], 14, 0.1)];
      same(`mlp ${b}×${t}×${d}/${h}`, valueAndGrads((x, w1, b1, w2, b2) => mlp(x!, w1!, b1!, w2!, b2!), inputs, 15));
    });
  });

  describe('dense: gradients with transpose flags equal those with explicit transposes', () => {
    it.each([
      [64 * 65, 192, 768],
      [64 * 65, 768, 192],
      [64 * 65, 192, 576],
      [7, 37, 19],
    ])('[%i, %i] × [%i]', (n, k, m) => {
      const inputs = () => [normal([n, k], 16), normal([k, m], 17, 0.1), normal([m], 18, 0.1)];
      // the layer on OpenBLAS (flags) against the layer on the wasm kernels (transposes)
      same(`dense ${n}×${k}×${m}`, valueAndGrads((x, w, b) => dense(x!, w!, b!), inputs, 19));
      // and both forms on the OpenBLAS products
      const grads = (flags: boolean) => () => {
        const [x, w] = inputs();
        const dy = normal([n, m], 20);
        return [matMulBt(dy, w!, flags), matMulAt(x!, dy, flags)];
      };
      expectClose(valuesWithoutLeaks('flags', grads(true)), valuesWithoutLeaks('transposes', grads(false)), `dense ${n}×${k}×${m}: flags against transposes`);
    });
  });

  it('the equissl kernels throw, saying why, on inputs they do not take', () => {
    const run = (name: string, inputs: () => tf.NamedTensorMap, attrs = {}) => () => tf.tidy(() => tf.engine().runKernel(name, inputs(), attrs));
    const before = tf.memory().numTensors;
    expect(run(GELU_KERNEL, () => ({ x: tf.zeros([3], 'int32') }))).toThrow(/does not take these inputs/);
    expect(run(GELU_GRAD_KERNEL, () => ({ dy: tf.zeros([3]), x: tf.zeros([4]) }))).toThrow(/dy must be \[4\]/);
    expect(run(LAYER_NORM_KERNEL, () => ({ x: tf.zeros([2, 4]), gamma: tf.zeros([3]), beta: tf.zeros([4]) }), { epsilon: 1e-6 })).toThrow(/gamma must be \[4\]/);
    expect(run(LAYER_NORM_KERNEL, () => ({ x: tf.zeros([2, 4]), gamma: tf.zeros([4]), beta: tf.zeros([4]) }))).toThrow(/epsilon must be finite/);
    expect(run(LAYER_NORM_GRAD_KERNEL, () => ({ dy: tf.zeros([2, 4]), xhat: tf.zeros([2, 4]), rstd: tf.zeros([2]), gamma: tf.zeros([4]) }))).toThrow(/rstd must be \[2, 1\]/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
