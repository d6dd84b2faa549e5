/**
 * The from-scratch reference of the homography evaluation: a small
 * HomographyNet-style CNN (DeTone et al. 2016, sized for a CPU) that reads
 * the pixels of A and B stacked as two channels, `[B, S, S, 2]` in [0, 1]
 * (shifted and scaled to about zero mean, unit spread: (x − 0.5) / 0.25).
 * Each entry of `channels` is a 3×3 'same' convolution with ReLU; every one
 * but the last is followed by 2×2 average pooling (an odd last row or
 * column is dropped). The map is flattened and one dense layer gives the 8
 * offsets divided by ρ.
 *
 * @since 0.2.0
 */
import { type Rng, positiveInt, struct } from '@equissl/core';
import { ParamStore, conv3x3, dense, fanInUniform } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';

/** The CNN's convolutions (output channels of each). */
export const HomographyNetConfig = struct('homography net', { channels: t.array(positiveInt) }, { channels: [16, 32, 32, 64] });
export type HomographyNetConfig = t.TypeOf<typeof HomographyNetConfig>;

/** 2×2 average pooling of `[B, H, W, C]` (an odd last row or column is dropped), as a reshape and a mean (differentiable on every backend). */
export const avgPool2 = (x: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const even = h % 2 === 0 && w % 2 === 0 ? x : tf.slice(x, [0, 0, 0, 0], [b, h - (h % 2), w - (w % 2), c]);
    return tf.mean(tf.reshape(even, [b, Math.floor(h / 2), 2, Math.floor(w / 2), 2, c]), [2, 4]) as tf.Tensor4D;
  });

/** A CNN regressing scaled corner offsets from the pixels of a pair. */
export interface HomographyNet {
  readonly variables: () => tf.Variable[];
  /** Offsets / ρ, `[B, 8]`, from `[B, S, S, 2]` pairs (A, B as channels). */
  readonly forward: (pairs: tf.Tensor4D) => tf.Tensor2D;
  readonly dispose: () => void;
}

/** A fresh CNN for S×S pairs, initialised from `rng`. */
export const homographyNet = (size: number, c: HomographyNetConfig, rng: Rng): HomographyNet => {
  const store = new ParamStore();
  let side = size;
  const convs = c.channels.map((cout, i) => {
    const cin = i === 0 ? 2 : c.channels[i - 1]!;
    const r = rng.fork(`conv${i}`);
    if (i < c.channels.length - 1) side = Math.floor(side / 2);
    return [store.add(`conv${i}.weight`, fanInUniform([3, 3, cin, cout], 9 * cin, r)), store.add(`conv${i}.bias`, fanInUniform([cout], 9 * cin, r))] as const;
  });
  const flat = side * side * c.channels[c.channels.length - 1]!;
  const out = [store.add('out.weight', fanInUniform([flat, 8], flat, rng.fork('out'))), store.add('out.bias', fanInUniform([8], flat, rng.fork('out').fork('bias')))] as const;
  return {
    variables: () => store.variables(),
    forward: (pairs) =>
      tf.tidy(() => {
        let h = tf.div(tf.sub(pairs, 0.5), 0.25) as tf.Tensor4D;
        convs.forEach(([w, b], i) => {
          h = tf.relu(conv3x3(h, w as tf.Tensor4D, b as tf.Tensor1D));
          if (i < convs.length - 1) h = avgPool2(h);
        });
        return dense(tf.reshape(h, [pairs.shape[0], flat]) as tf.Tensor2D, out[0], out[1]);
      }),
    dispose: () => store.dispose(),
  };
};
