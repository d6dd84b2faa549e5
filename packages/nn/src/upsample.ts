/**
 * `upsample2x`: nearest-neighbour ×2 upsampling (NHWC), whose gradient sums
 * each 2×2 block of dy.
 *
 * Where `@equissl/openblas` registers its upsampling kernels on the active
 * backend (wasm with the addon built), each pass is one native copy / block
 * sum (the wasm gradient, a reshape and a Sum over two inner axes, is several
 * times slower); elsewhere the tfjs ops below. Both give the same values up
 * to the order of the four-term sums.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';
import { hasKernel, runKernel } from './native.js';

/** The native kernels' names (`@equissl/openblas`'s conv-kernels). */
export const upsample2xKernels = { forward: 'EquisslUpsample2x', backward: 'EquisslUpsample2xGrad' } as const;

/** Each pixel repeated in a 2×2 block: the native kernel where registered, else tfjs's nearest-neighbour resize. */
const upsample = (x: tf.Tensor4D): tf.Tensor4D => {
  if (x.dtype === 'float32' && hasKernel(upsample2xKernels.forward)) return runKernel(upsample2xKernels.forward, { x })[0] as tf.Tensor4D;
  const [, h, w] = x.shape;
  return tf.image.resizeNearestNeighbor(x, [2 * h, 2 * w]);
};

/** The sums of dy's 2×2 blocks: the native kernel where registered, else a reshape and a sum. */
const blockSums = (dy: tf.Tensor4D): tf.Tensor4D => {
  if (dy.dtype === 'float32' && hasKernel(upsample2xKernels.backward)) return runKernel(upsample2xKernels.backward, { dy })[0] as tf.Tensor4D;
  const [n, h2, w2, c] = dy.shape;
  return tf.sum(tf.reshape(dy, [n, h2 / 2, 2, w2 / 2, 2, c]), [2, 4]);
};

/** `[N, H, W, C]` → `[N, 2H, 2W, C]`, each pixel repeated in a 2×2 block. */
export const upsample2x = withGradient((x: tf.Tensor4D) => ({
  value: upsample(x),
  save: [],
  backward: (dy) => [blockSums(dy)],
}));
