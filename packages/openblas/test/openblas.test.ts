/**
 * The OpenBLAS kernels against the wasm kernels they replace: for the shapes
 * the project's models use, forward values and gradients (through the
 * built-in gradients of matMul and fused matMul, which themselves run
 * BatchMatMul with transpose flags) equal the plain wasm kernels' up to float
 * rounding (max |Δ| ≤ 1e-5 · max |reference| per tensor). Where the wasm
 * kernels are wrong (bias with a transpose flag, general batch broadcasting)
 * the reference is the same op written without them. Skipped, with the
 * reason, where the addon is not built or the tests run on another backend.
 */
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { installOpenBlasKernels, openBlasKernelNames, openBlasKernelsInstalled, uninstallOpenBlasKernels } from '../src/index.js';
import { describeOnWasm, expectClose, loaded, missingReason, values, withWasmKernels } from './helpers.js';

const missing = missingReason();

/** `f` on the OpenBLAS kernels equals `f` on the wasm kernels (or `reference`, also run on the wasm kernels). */
const expectSame = (label: string, f: () => tf.Tensor | tf.Tensor[], reference: () => tf.Tensor | tf.Tensor[] = f): void => {
  const want = withWasmKernels(() => values(reference));
  expect(openBlasKernelsInstalled()).toBe(true);
  expectClose(values(f), want, label);
};

let seed = 1;
const normal = (shape: number[]): tf.Tensor => tf.randomNormal(shape, 0, 1, 'float32', seed++);

/** The product, its value and the gradients of a weighted sum of it (so the upstream gradient is not all ones). */
const productAndGrads =
  (aShape: number[], bShape: number[], transposeA = false, transposeB = false) =>
  (): tf.Tensor[] => {
    const a = normal(aShape);
    const b = normal(bShape);
    const y = tf.matMul(a, b, transposeA, transposeB);
    const r = normal(y.shape);
    const [da, db] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, w, transposeA, transposeB), r)))([a, b]);
    return [y, da!, db!];
  };

/**
 * `f` on the OpenBLAS kernels equals `reference` (default `f`) on the wasm
 * kernels, both drawing the same inputs with `normal` (the seed restarts).
 */
const same = (label: string, f: () => tf.Tensor | tf.Tensor[], reference: () => tf.Tensor | tf.Tensor[] = f): void => {
  const start = seed;
  seed += 1000;
  const seeded = (g: () => tf.Tensor | tf.Tensor[]) => () => {
    seed = start;
    return g();
  };
  expectSame(label, seeded(f), seeded(reference));
};

describe('loadOpenBlas', () => {
  it('gives the addon, or one line that says how to get it', () => {
    if (E.isRight(loaded)) {
      expect(typeof loaded.right.gemm).toBe('function');
      expect(loaded.right.getThreads()).toBeGreaterThanOrEqual(1);
    } else {
      expect(loaded.left).not.toContain('\n');
      expect(loaded.left).toContain('apt-get install libopenblas-dev');
      expect(E.isLeft(installOpenBlasKernels())).toBe(true);
    }
  });
});

describeOnWasm('the OpenBLAS kernels on the wasm backend', missing, () => {
  it('install is idempotent; uninstall puts the replaced wasm kernels back and removes equissl\'s own', () => {
    const replaced = openBlasKernelNames.filter((n) => !n.startsWith('Equissl'));
    const own = openBlasKernelNames.filter((n) => n.startsWith('Equissl'));
    expect(replaced).toEqual(['BatchMatMul', '_FusedMatMul', 'Exp', 'Erf']);
    const ours = openBlasKernelNames.map((n) => tf.getKernel(n, 'wasm'));
    expect(ours.every((k) => k !== undefined)).toBe(true);
    expect(E.isRight(installOpenBlasKernels())).toBe(true);
    expect(openBlasKernelNames.map((n) => tf.getKernel(n, 'wasm'))).toEqual(ours);
    uninstallOpenBlasKernels();
    expect(openBlasKernelsInstalled()).toBe(false);
    const originals = replaced.map((n) => tf.getKernel(n, 'wasm'));
    expect(originals.every((k) => k !== undefined && !ours.includes(k))).toBe(true);
    expect(own.map((n) => tf.getKernel(n, 'wasm'))).toEqual(own.map(() => undefined));
    uninstallOpenBlasKernels(); // nothing to do
    const again = installOpenBlasKernels();
    expect(E.isRight(again) && again.right.threads).toBeGreaterThanOrEqual(1);
    expect(openBlasKernelsInstalled()).toBe(true);
    // the originals are kept across install/uninstall, not replaced by ours
    uninstallOpenBlasKernels();
    expect(replaced.map((n) => tf.getKernel(n, 'wasm'))).toEqual(originals);
    expect(E.isRight(installOpenBlasKernels())).toBe(true);
  });

  it('sets and reads OpenBLAS threads', () => {
    const addon = (loaded as E.Right<import('../src/index.js').Addon>).right;
    const before = addon.getThreads();
    expect(addon.setThreads(1)).toBe(1);
    const r = installOpenBlasKernels({ threads: 1 });
    expect(E.isRight(r) && r.right.threads).toBe(1);
    expect(E.isLeft(installOpenBlasKernels({ threads: 0 }))).toBe(true);
    addon.setThreads(before);
  });

  describe('dense layers: the product, dA = dY·Bᵀ and dB = Aᵀ·dY', () => {
    it.each([
      [[520, 192], [192, 768]],
      [[64, 96], [96, 288]],
      [[520, 96], [96, 384]],
      [[512, 192], [192, 512]],
      [[520, 768], [768, 192]],
    ])('%j × %j', (aShape, bShape) => {
      same(`${aShape} × ${bShape}`, productAndGrads(aShape, bShape));
    });
  });

  describe('transpose flags (the products the gradients run, and their own gradients)', () => {
    it.each([
      [[192, 520], [192, 768], true, false],
      [[520, 192], [768, 192], false, true],
      [[192, 520], [768, 192], true, true],
      [[96, 64], [96, 288], true, false],
      [[520, 384], [96, 384], false, true],
    ] as const)('%j × %j, transposeA %s, transposeB %s', (aShape, bShape, ta, tb) => {
      same(`${aShape} × ${bShape} ${ta} ${tb}`, productAndGrads([...aShape], [...bShape], ta, tb));
    });
  });

  describe('attention: batched 3-D and 4-D products', () => {
    it.each([
      [[48, 65, 32], [48, 65, 32], false, true], // scores q·kᵀ
      [[48, 65, 65], [48, 65, 32], false, false], // weights·v
      [[48, 65, 65], [48, 65, 32], true, false], // the gradient shapes
      [[48, 32, 65], [48, 65, 32], true, true],
      [[4, 12, 65, 32], [4, 12, 65, 32], false, true],
    ] as const)('%j × %j, transposeA %s, transposeB %s', (aShape, bShape, ta, tb) => {
      same(`${aShape} × ${bShape} ${ta} ${tb}`, productAndGrads([...aShape], [...bShape], ta, tb));
    });
  });

  describe('batch broadcasting', () => {
    it.each([
      [[1, 65, 32], [24, 32, 65]],
      [[24, 65, 32], [1, 32, 65]],
      [[24, 65, 32], [32, 65]],
      [[3, 65, 32], [2, 3, 32, 65]],
    ])('%j × %j (forward only: the tfjs BatchMatMul gradient does not reduce broadcast batches, on any backend)', (aShape, bShape) => {
      same(`${aShape} × ${bShape}`, () => tf.matMul(normal(aShape), normal(bShape)));
      same(`${aShape} × ${bShape}, transposed`, () => tf.matMul(normal([...aShape.slice(0, -2), aShape.at(-1)!, aShape.at(-2)!]), normal(bShape), true, false));
    });

    it('[2, 1, 65, 32] × [1, 3, 32, 65] (the wasm kernel gets this wrong): equals the product of the tiled operands', () => {
      const inputs = () => [normal([2, 1, 65, 32]), normal([1, 3, 32, 65])] as const;
      same(
        'general broadcasting',
        () => {
          const [a, b] = inputs();
          return tf.matMul(a, b);
        },
        () => {
          const [a, b] = inputs();
          return tf.matMul(tf.tile(a, [1, 3, 1, 1]), tf.tile(b, [2, 1, 1, 1]));
        },
      );
    });
  });

  describe('fused matMul', () => {
    it.each(['linear', 'relu', 'relu6', 'leakyrelu'] as const)('[520, 192] × [192, 768] + bias, %s: the value', (activation) => {
      same(`fused ${activation}`, () => {
        const a = normal([520, 192]);
        const b = normal([192, 768]);
        return tf.fused.matMul({ a, b, bias: normal([768]), activation, leakyreluAlpha: 0.1 });
      });
    });

    it.each(['linear', 'relu'] as const)('[520, 96] × [96, 384] + bias, %s: value and gradients of a, b and the bias', (activation) => {
      same(`fused grads ${activation}`, () => {
        const a = normal([520, 96]);
        const b = normal([96, 384]);
        const bias = normal([384]);
        const r = normal([520, 384]);
        const f = (x: tf.Tensor, w: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tf.fused.matMul({ a: x as tf.Tensor2D, b: w as tf.Tensor2D, bias: c, activation }), r));
        return [tf.fused.matMul({ a, b, bias, activation }), ...tf.grads(f)([a, b, bias])];
      });
    });

    it.each([
      [false, true],
      [true, false],
      [true, true],
    ])('transposeA %s, transposeB %s + bias, relu (the wasm kernel gets the bias wrong): equals matMul, add, relu', (ta, tb) => {
      const inputs = () => [normal(ta ? [96, 64] : [64, 96]), normal(tb ? [288, 96] : [96, 288]), normal([288])] as const;
      same(
        'fused transposed',
        () => {
          const [a, b, bias] = inputs();
          return tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, transposeA: ta, transposeB: tb, bias, activation: 'relu' });
        },
        () => {
          const [a, b, bias] = inputs();
          return tf.relu(tf.add(tf.matMul(a, b, ta, tb), bias));
        },
      );
    });

    it('a bias of one value: equals matMul + bias', () => {
      const inputs = () => [normal([64, 96]), normal([96, 288]), normal([1])] as const;
      same(
        'scalar bias',
        () => {
          const [a, b, bias] = inputs();
          return tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias });
        },
        () => {
          const [a, b, bias] = inputs();
          return tf.add(tf.matMul(a, b), bias);
        },
      );
    });

    it.each(['sigmoid', 'elu', 'prelu'] as const)('%s goes to the wasm kernel (identical values)', (activation) => {
      const run = () =>
        values(() => {
          seed = 900;
          const a = normal([64, 96]) as tf.Tensor2D;
          const b = normal([96, 288]) as tf.Tensor2D;
          return tf.fused.matMul({ a, b, bias: normal([288]), activation, ...(activation === 'prelu' ? { preluActivationWeights: tf.scalar(0.1) } : {}) });
        });
      expect(run()).toEqual(withWasmKernels(run));
    });
  });

  describe('edge cases', () => {
    it.each([
      [[1, 192], [192, 768], false, false],
      [[520, 192], [192, 1], false, false],
      [[520, 1], [1, 768], false, false],
      [[1, 1], [1, 1], false, false],
      [[192, 1], [768, 192], true, true],
      [[1, 520], [1, 768], true, false],
      [[48, 1, 32], [48, 65, 32], false, true],
      [[48, 65, 1], [48, 1, 65], false, false],
    ] as const)('%j × %j, transposeA %s, transposeB %s, with gradients', (aShape, bShape, ta, tb) => {
      same(`${aShape} × ${bShape} ${ta} ${tb}`, productAndGrads([...aShape], [...bShape], ta, tb));
    });

    it('int32 products go to the wasm kernel (and fail as they do there)', () => {
      const f = () => tf.tidy(() => tf.matMul(tf.ones([4, 3], 'int32'), tf.ones([3, 2], 'int32')).dataSync());
      const wasm = withWasmKernels(() => {
        try {
          return f();
        } catch (e) {
          return (e as Error).message;
        }
      });
      if (typeof wasm === 'string') expect(f).toThrow(wasm);
      else expect(f()).toEqual(wasm);
    });

    it('an output larger than the heap (the memory grows inside the kernel) is written to the new memory', () => {
      const heap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
      const before = heap().byteLength;
      const n = 1024;
      const m = Math.ceil((before + (8 << 20)) / (4 * n));
      const got = tf.tidy(() => {
        const a = tf.linspace(1, m, m).reshape([m, 1]);
        const b = tf.linspace(1, n, n).reshape([1, n]);
        const y = tf.matMul(a, b);
        expect(heap().byteLength).toBeGreaterThan(before);
        // corners and a middle element of the outer product (i + 1)(j + 1)
        return [y.slice([0, 0], [1, 1]), y.slice([m - 1, n - 1], [1, 1]), y.slice([Math.floor(m / 2), 17], [1, 1])].map((t) => t.dataSync()[0]);
      });
      expect(got).toEqual([1, m * n, (Math.floor(m / 2) + 1) * 18]);
    });
  });
});
