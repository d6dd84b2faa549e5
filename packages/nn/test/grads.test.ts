/**
 * Every fast op against tfjs's composed reference (values and gradients, the
 * reference computed on the cpu backend with its built-in gradients), and the
 * dense gradient against central finite differences.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { attention, conv3x3, dense, gelu, im2col3x3, layerNorm, mlp, selfAttention, upsample2x } from '../src/index.js';

type Arrays = { data: Float32Array; shape: number[] }[];

const random = (shapes: number[][], seed: number): Arrays =>
  shapes.map((shape, i) => ({ shape, data: tf.tidy(() => tf.randomNormal(shape, 0, 1, 'float32', seed + i).dataSync() as Float32Array) }));

/** Value and gradients of Σ f(inputs) ⊙ R (R fixed random) on the active backend. */
const evaluate = (f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: Arrays, seed: number) =>
  tf.tidy(() => {
    const xs = inputs.map((a) => tf.tensor(a.data, a.shape));
    const out = f(...xs);
    const r = tf.randomNormal(out.shape, 0, 1, 'float32', seed);
    const grads = tf.grads((...ys: tf.Tensor[]) => tf.sum(tf.mul(f(...ys), r)))(xs);
    return { value: Array.from(out.dataSync()), grads: grads.map((g) => Array.from(g.dataSync())) };
  });

const onCpu = async <A>(run: () => A): Promise<A> => {
  const previous = tf.getBackend();
  await tf.setBackend('cpu');
  try {
    return run();
  } finally {
    await tf.setBackend(previous);
  }
};

const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

const compare = async (fast: (...xs: tf.Tensor[]) => tf.Tensor, reference: (...xs: tf.Tensor[]) => tf.Tensor, shapes: number[][], tol = 1e-4) => {
  const inputs = random(shapes, 17);
  const got = evaluate(fast, inputs, 99);
  const want = await onCpu(() => evaluate(reference, inputs, 99));
  expect(maxDiff(got.value, want.value)).toBeLessThan(tol);
  got.grads.forEach((g, i) => {
    const scale = Math.max(1, ...want.grads[i]!.map(Math.abs));
    expect(maxDiff(g, want.grads[i]!) / scale).toBeLessThan(tol);
  });
};

afterAll(() => undefined);

describe('fast ops match the composed tfjs reference', () => {
  it('dense (2-D and 3-D input)', async () => {
    const ref = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(tf.reshape(x, [-1, w.shape[0]!]), w), b).reshape([...x.shape.slice(0, -1), w.shape[1]!]);
    await compare((x, w, b) => dense(x!, w!, b!), (x, w, b) => ref(x!, w!, b!), [[5, 4], [4, 3], [3]]);
    await compare((x, w, b) => dense(x!, w!, b!), (x, w, b) => ref(x!, w!, b!), [[2, 5, 4], [4, 3], [3]]);
  });

  it('layerNorm', async () => {
    const ref = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-6))), g), b);
    };
    await compare((x, g, b) => layerNorm(x!, g!, b!), (x, g, b) => ref(x!, g!, b!), [[2, 3, 8], [8], [8]]);
  });

  it('gelu (exact)', async () => {
    const ref = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    await compare((x) => gelu(x!), (x) => ref(x!), [[4, 7]]);
  });

  it('attention', async () => {
    const ref = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.matMul(tf.softmax(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(4))), v);
    await compare((q, k, v) => attention(q as tf.Tensor3D, k as tf.Tensor3D, v as tf.Tensor3D), (q, k, v) => ref(q!, k!, v!), [[3, 5, 4], [3, 5, 4], [3, 5, 4]]);
  });

  it('selfAttention (fused qkv → heads → attention → merge → proj)', async () => {
    const heads = 2;
    const ref = (x: tf.Tensor, wqkv: tf.Tensor, bqkv: tf.Tensor, wp: tf.Tensor, bp: tf.Tensor) => {
      const [b, t, d] = x.shape as [number, number, number];
      const hd = d / heads;
      const qkv = tf.add(tf.matMul(tf.reshape(x, [b * t, d]), wqkv), bqkv);
      const split = (i: number) => tf.reshape(tf.transpose(tf.reshape(tf.slice(qkv, [0, i * d], [b * t, d]), [b, t, heads, hd]), [0, 2, 1, 3]), [b * heads, t, hd]);
      const a = tf.matMul(tf.softmax(tf.mul(tf.matMul(split(0), split(1), false, true), 1 / Math.sqrt(hd))), split(2));
      const merged = tf.reshape(tf.transpose(tf.reshape(a, [b, heads, t, hd]), [0, 2, 1, 3]), [b * t, d]);
      return tf.reshape(tf.add(tf.matMul(merged, wp), bp), [b, t, d]);
    };
    await compare(
      (x, wq, bq, wp, bp) => selfAttention(x as tf.Tensor3D, wq!, bq!, wp!, bp!, heads),
      (x, wq, bq, wp, bp) => ref(x!, wq!, bq!, wp!, bp!),
      [[2, 5, 8], [8, 24], [24], [8, 8], [8]],
    );
  });

  it('mlp (fc1 → exact GELU → fc2)', async () => {
    const ref = (x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
      const h = tf.add(tf.matMul(tf.reshape(x, [-1, 4]), w1), b1);
      const a = tf.mul(tf.mul(h, 0.5), tf.add(1, tf.erf(tf.div(h, Math.SQRT2))));
      return tf.reshape(tf.add(tf.matMul(a, w2), b2), x.shape);
    };
    await compare((x, w1, b1, w2, b2) => mlp(x!, w1!, b1!, w2!, b2!), (x, w1, b1, w2, b2) => ref(x!, w1!, b1!, w2!, b2!), [[2, 3, 4], [4, 6], [6], [6, 4], [4]]);
  });

  it('conv3x3 (input, filter and bias gradients)', async () => {
    const ref = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), b);
    await compare((x, w, b) => conv3x3(x as tf.Tensor4D, w as tf.Tensor4D, b as tf.Tensor1D), (x, w, b) => ref(x!, w!, b!), [[2, 5, 4, 3], [3, 3, 3, 2], [2]]);
  });

  it('upsample2x', async () => {
    // repetition by broadcasting (tfjs's own ResizeNearestNeighborGrad on cpu disagrees with the forward op, so it is no reference)
    const ref = (x: tf.Tensor) => {
      const [n, h, w, c] = x.shape as [number, number, number, number];
      return tf.reshape(tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), tf.ones([1, 1, 2, 1, 2, 1])), [n, 2 * h, 2 * w, c]);
    };
    await compare((x) => upsample2x(x as tf.Tensor4D), (x) => ref(x!), [[2, 3, 2, 3]]);
  });
});

describe('hand-checked values', () => {
  it('upsample2x repeats each pixel in a 2×2 block', () => {
    expect(upsample2x(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1])).reshape([4, 4]).arraySync()).toEqual([
      [1, 1, 2, 2],
      [1, 1, 2, 2],
      [3, 3, 4, 4],
      [3, 3, 4, 4],
    ]);
  });

  it('im2col3x3 lays out the nine neighbours in (kh, kw) order with zero padding', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    // pixel (0,0): neighbours (-1,-1) … (1,1) = 0 0 0 / 0 1 2 / 0 3 4
    expect(Array.from(im2col3x3(x).slice([0, 0], [1, 9]).dataSync())).toEqual([0, 0, 0, 0, 1, 2, 0, 3, 4]);
  });

  it('dense gradient agrees with central finite differences', () => {
    const x = tf.tensor2d([[0.5, -1, 2]]);
    const w = tf.tensor2d([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]);
    const b = tf.tensor1d([0.05, -0.05]);
    const loss = (ww: tf.Tensor) => tf.sum(tf.square(dense(x, ww, b)));
    const analytic = tf.grad(loss)(w).dataSync();
    const base = w.dataSync();
    const h = 1e-2;
    for (let i = 0; i < base.length; i++) {
      const plus = Float32Array.from(base);
      const minus = Float32Array.from(base);
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = (loss(tf.tensor2d(plus, [3, 2])).dataSync()[0]! - loss(tf.tensor2d(minus, [3, 2])).dataSync()[0]!) / (2 * h);
      expect(analytic[i]).toBeCloseTo(numeric, 3);
    }
  });
});
