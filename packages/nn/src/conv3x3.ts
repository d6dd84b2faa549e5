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
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';
import { withGradient } from './custom-grad.js';
import { sumRows } from './sum-rows.js';

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

/** 3×3 'same' convolution: x `[N, H, W, Cin]`, w `[3, 3, Cin, Cout]`, b `[Cout]`. */
export const conv3x3 = withGradient((x: tf.Tensor4D, w: tf.Tensor4D, b: tf.Tensor1D) => ({
  value: tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: b }),
  save: [x, w],
  backward: (dy, [sx, sw]) => {
    const flipped = tf.transpose(tf.reverse(sw!, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const dx = tf.conv2d(dy, flipped, 1, 'same');
    const padded = tf.pad(sx!, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    const dw = tf.transpose(tf.conv2d(tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D, tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, 1, 'valid'), [1, 2, 0, 3]);
    return [dx, dw, sumRows(dy)];
  },
}));
