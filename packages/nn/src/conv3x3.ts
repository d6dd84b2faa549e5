/**
 * `conv3x3`: a 3×3, stride-1, 'same' convolution (NHWC) with bias, trainable
 * on wasm, whose backend has no Conv2DBackpropFilter kernel and a slow
 * Conv2DBackpropInput.
 *
 * - input gradient: a forward convolution of dy with the filter flipped in
 *   space and with input/output channels swapped;
 * - filter gradient: a forward convolution too, with batch and channels
 *   swapped — the padded input as `[Cin, H+2, W+2, N]` convolved ('valid')
 *   with dy as an `[H, W, N, Cout]` filter gives `[Cin, 3, 3, Cout]`
 *   (3× faster on wasm than im2col, {@link im2col3x3}, kept as the reference).
 *
 * Where `@equissl/openblas` registers its convolution kernels on the active
 * backend (wasm with the addon built), the forward pass, dx and dw + db each
 * run as one native im2col + sgemm kernel instead (forward + backward about
 * 3× faster at the decoders' shapes, the same values to float rounding);
 * elsewhere the composed ops above.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';
import { hasKernel, runKernel } from './native.js';
import { sumRows } from './sum-rows.js';

/** The native kernels' names (`@equissl/openblas`'s conv-kernels). */
export const conv3x3Kernels = {
  forward: 'EquisslConv3x3',
  backpropInput: 'EquisslConv3x3BackpropInput',
  backpropFilter: 'EquisslConv3x3BackpropFilter',
} as const;

/** The nine shifted views of x, concatenated on channels: `[N·H·W, 9·C]` in (kh, kw, c) order. */
export const im2col3x3 = (x: tf.Tensor4D): tf.Tensor2D => {
  const [n, h, w, c] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const views: tf.Tensor[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) views.push(tf.slice(padded, [0, i, j, 0], [n, h, w, c]));
  return tf.reshape(tf.concat(views, 3), [n * h * w, 9 * c]);
};

/** The forward pass: the native kernel where registered, else wasm's fused convolution. */
const forward = (x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D): tf.Tensor4D =>
  hasKernel(conv3x3Kernels.forward)
    ? (runKernel(conv3x3Kernels.forward, { x, filter: w, bias: b })[0] as tf.Tensor4D)
    : tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: b });

/** dx: the native kernel, else dy convolved with the flipped, channel-swapped filter. */
const inputGradient = (dy: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D => {
  if (hasKernel(conv3x3Kernels.backpropInput)) return runKernel(conv3x3Kernels.backpropInput, { dy, filter: w })[0] as tf.Tensor4D;
  const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(dy, flipped, 1, 'same');
};

/** dw and db: the native kernel, else a 'valid' convolution with batch and channels swapped, and the column sums of dy. */
const filterAndBiasGradients = (x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor[] => {
  if (hasKernel(conv3x3Kernels.backpropFilter)) return runKernel(conv3x3Kernels.backpropFilter, { x, dy });
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const dw = tf.transpose(tf.conv2d(tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid'), [1, 2, 0, 3]);
  return [dw, sumRows(dy)];
};

/** 3×3 'same' convolution: x `[N, H, W, Cin]`, w `[3, 3, Cin, Cout]`, b `[Cout]`. */
export const conv3x3 = withGradient((x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => ({
  value: forward(x, w, b),
  save: [x, w],
  backward: (dy, [sx, sw]) => [inputGradient(dy, sw as tf.Tensor4D), ...filterAndBiasGradients(sx as tf.Tensor4D, dy)],
}));
