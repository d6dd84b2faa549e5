/**
 * The native 3×3 convolution kernels (`EquisslConv3x3`, `…BackpropInput`,
 * `…BackpropFilter`) against `@equissl/nn`'s `conv3x3` without them (the wasm
 * backend's fused convolution forward, its gradients composed from forward
 * convolutions): the value and the gradients dx, dw, db of a weighted sum of
 * the output, on the decoders' shapes (64-channel conv4 at 8→16→32 pixels,
 * batch 64) and on small odd ones; no tensor or heap memory is left behind;
 * the upsampling kernels (`EquisslUpsample2x`, `…Grad`) against
 * `upsample2x` without them; and the gradient through a whole conv4 decoder
 * is the same on both paths.
 *
 * Both paths sum K products in float32 in different orders, so they agree to
 * 2·ε·√K of the largest value, or 1e-5 where that is larger (K: 9·Cin for y,
 * 9·Cout for dx, N·H·W for dw and db; ε = 2⁻²³): 6e-5 for the decoders'
 * filter gradients over 65,536 pixels, where the measured differences are
 * below 1e-5. Skipped, with the
 * reason, where the addon is not built or the tests run on another backend.
 */
import { Rng } from '@equissl/core';
import { type ReconstructionDecoder, instantiateConv4 } from '@equissl/decoders';
import { ParamStore, conv3x3, upsample2x } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv3x3KernelNames, upsample2xKernelNames } from '../src/conv-kernels.js';
import { installOpenBlasKernels, uninstallOpenBlasKernels } from '../src/index.js';
import { describeOnWasm, expectClose, missingReason, values, withoutKernels } from './helpers.js';

const missing = missingReason();

const kernelNames: ReadonlyArray<string> = Object.values(conv3x3KernelNames);
const upsampleKernelNames: ReadonlyArray<string> = Object.values(upsample2xKernelNames);
/** Without these, `conv3x3` and `upsample2x` compose tfjs ops. */
const allKernelNames = [...kernelNames, ...upsampleKernelNames];

/** The tolerance, relative to the largest reference value, of a float32 sum of `k` products. */
const tolerance = (k: number): number => Math.max(1e-5, 2 * 2 ** -23 * Math.sqrt(k));

/** y = conv3x3(x, w, b) and the gradients of Σ y ⊙ R for x, w, b, from seeded inputs. */
const convAndGrads =
  ([n, h, w, cin]: readonly [number, number, number, number], cout: number) =>
  (): tf.Tensor[] => {
    const x = tf.randomNormal([n, h, w, cin], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filter = tf.randomNormal([3, 3, cin, cout], 0, 1, 'float32', 2) as tf.Tensor4D;
    const bias = tf.randomNormal([cout], 0, 1, 'float32', 3) as tf.Tensor1D;
    const r = tf.randomNormal([n, h, w, cout], 0, 1, 'float32', 4);
    const loss = (a: tf.Tensor, f: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv3x3(a as tf.Tensor4D, f as tf.Tensor4D, b as tf.Tensor1D), r));
    return [conv3x3(x, filter, bias), ...tf.grads(loss)([x, filter, bias])];
  };

/** The kernels of one run of `f` (disposing what it returns). */
const kernelsOf = async (f: () => tf.Tensor[]): Promise<string[]> => {
  const info = await tf.profile(() => f());
  tf.dispose(info.result as tf.Tensor[]);
  return info.kernelNames;
};

describeOnWasm('the native 3×3 convolution on the wasm backend', missing, () => {
  it('conv3x3 runs the native kernels where they are registered and the wasm convolutions where not', async () => {
    const run = convAndGrads([2, 4, 4, 3], 5);
    const native = await kernelsOf(run);
    expect(native).toEqual(expect.arrayContaining([...kernelNames]));
    expect(native.filter((k) => k.includes('Conv2D'))).toEqual([]);
    const composed = await withoutKernels(allKernelNames, () => kernelsOf(run));
    expect(composed).toEqual(expect.arrayContaining(['FusedConv2D', 'Conv2D']));
    expect(composed.filter((k) => k.startsWith('Equissl'))).toEqual([]);
    uninstallOpenBlasKernels();
    expect([...kernelNames, ...upsampleKernelNames].filter((name) => tf.getKernel(name, 'wasm') !== undefined)).toEqual([]);
    expect((await kernelsOf(run)).filter((k) => k.startsWith('Equissl'))).toEqual([]);
    expect(E.isRight(installOpenBlasKernels())).toBe(true);
  });

  const cases: ReadonlyArray<readonly [string, readonly [number, number, number, number], number]> = [
    ['decoder conv1 [64, 8, 8, 64] → 64', [64, 8, 8, 64], 64],
    ['decoder conv2 [64, 16, 16, 64] → 32', [64, 16, 16, 64], 32],
    ['decoder conv3 [64, 32, 32, 32] → 32', [64, 32, 32, 32], 32],
    ['decoder conv4 [64, 32, 32, 32] → 3', [64, 32, 32, 32], 3],
    ['odd sizes [3, 5, 7, 3] → 4', [3, 5, 7, 3], 4],
    ['one row [2, 1, 9, 5] → 2', [2, 1, 9, 5], 2],
    ['one input channel [2, 6, 3, 1] → 7', [2, 6, 3, 1], 7],
    ['one output channel [2, 3, 4, 6] → 1', [2, 3, 4, 6], 1],
    ['one pixel, one channel [1, 1, 1, 1] → 1', [1, 1, 1, 1], 1],
  ];
  it.each(cases)('%s: y, dx, dw, db equal the composed path', (label, shape, cout) => {
    const [n, h, w, cin] = shape;
    const want = withoutKernels(allKernelNames, () => values(convAndGrads(shape, cout)));
    expectClose(values(convAndGrads(shape, cout)), want, label, [9 * cin, 9 * cout, n * h * w, n * h * w].map(tolerance));
  });

  it('leaves no tensors and no heap memory behind', () => {
    const run = convAndGrads([4, 8, 8, 16], 8);
    tf.dispose(tf.tidy(run)); // the first run may build caches
    const before = tf.memory();
    tf.dispose(tf.tidy(run));
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });

  it('a filter other than 3×3 is refused with the kernel name', () => {
    const x = tf.zeros([1, 4, 4, 2]);
    const filter = tf.zeros([5, 5, 2, 3]);
    const bias = tf.zeros([3]);
    expect(() => tf.engine().runKernel(conv3x3KernelNames.forward, { x, filter, bias }, {})).toThrow(/EquisslConv3x3/);
    tf.dispose([x, filter, bias]);
  });

  describe('upsample2x', () => {
    /** up(x) and the gradient of Σ up(x) ⊙ R. */
    const upAndGrad = (shape: readonly [number, number, number, number]) => (): tf.Tensor[] => {
      const x = tf.randomNormal([...shape], 0, 1, 'float32', 5) as tf.Tensor4D;
      const r = tf.randomNormal([shape[0], 2 * shape[1], 2 * shape[2], shape[3]], 0, 1, 'float32', 6);
      return [upsample2x(x), tf.grad((t: tf.Tensor) => tf.sum(tf.mul(upsample2x(t as tf.Tensor4D), r)))(x)];
    };

    it('runs the native kernels where they are registered and resize + sum where not', async () => {
      const run = upAndGrad([2, 3, 4, 5]);
      expect(await kernelsOf(run)).toEqual(expect.arrayContaining([...upsampleKernelNames]));
      expect(await withoutKernels(upsampleKernelNames, () => kernelsOf(run))).toEqual(expect.arrayContaining(['ResizeNearestNeighbor', 'Sum']));
    });

    const shapes: ReadonlyArray<readonly [number, number, number, number]> = [
      [64, 8, 8, 64],
      [64, 16, 16, 32],
      [3, 5, 7, 1],
      [1, 1, 1, 1],
    ];
    it.each(shapes)('[%i, %i, %i, %i]: the value and gradient equal the composed path', (...shape) => {
      const want = withoutKernels(upsampleKernelNames, () => values(upAndGrad(shape)));
      expectClose(values(upAndGrad(shape)), want, `upsample2x [${shape.join(', ')}]`, [1, 4].map(tolerance));
    });
  });

  describe('a conv4 decoder (64 channels, 8×8 grid, patch 4, batch 64)', () => {
    const spec = { inDim: 96, grid: 8, patchSize: 4, outChannels: 3 };
    let store: ParamStore;
    let decoder: ReconstructionDecoder;
    beforeAll(() => {
      store = new ParamStore();
      decoder = E.getOrElseW((e: string) => {
        throw new Error(e);
      })(instantiateConv4({ channels: 64, input: 'tokens' }, spec, store, Rng.seeded(7), 'decoders.0.'));
    });
    afterAll(() => store.dispose());

    /** The decoder's output and the gradients of Σ out ⊙ R for the tokens and every parameter. */
    const outputAndGrads = (): tf.Tensor[] => {
      const tokens = tf.randomNormal([64, spec.grid * spec.grid, spec.inDim], 0, 1, 'float32', 11) as tf.Tensor3D;
      const r = tf.randomNormal([64, 32, 32, 3], 0, 1, 'float32', 12);
      const out = decoder.forward(tokens);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(decoder.forward(tokens), r)) as tf.Scalar, store.variables());
      const dTokens = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(decoder.forward(t as tf.Tensor3D), r)))(tokens);
      return [out, dTokens, ...store.variables().map((v) => grads[v.name]!)];
    };

    it('has the same output and gradients (tokens and every parameter) on both paths', () => {
      const want = withoutKernels(allKernelNames, () => values(outputAndGrads));
      const got = values(outputAndGrads);
      // the longest sums: conv4's 9·32 products per output; dw, db over 64·32·32 pixels, carried back through the layers
      expectClose(got, want, 'conv4 decoder', tolerance(64 * 32 * 32));
    });
  });
});
