/**
 * The head of the homography-estimation evaluation: it regresses the 8
 * corner offsets of a pair (A, B) from the encoder's patch tokens of both.
 *
 * The `[N, D]` patch tokens of A and B, each standardised per channel with
 * statistics of the training tokens, are concatenated per token into a
 * `[g, g, 2D]` grid (g² = N), then `layers` 3×3 'same' convolutions with
 * `channels` channels and ReLU, then 2×2 average pooling, then the grid is
 * flattened and one dense layer gives 8 numbers: the offsets divided by ρ.
 * The grid is flattened rather than averaged because which corner moves
 * where depends on where in the grid a displacement is seen; the pooling
 * halves the dense layer's inputs (on 1,024 training pairs the unpooled head
 * fitted the training pairs and scored worse on the test pairs).
 *
 * @since 0.2.0
 */
import { type Rng, positiveInt, struct } from '@equissl/core';
import { ParamStore, conv3x3, dense, fanInUniform } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import type * as t from 'io-ts';
import { avgPool2 } from './homography-net.js';

/** The head's architecture: convolutions and their width. */
export const HomographyHeadConfig = struct('homography head', { layers: positiveInt, channels: positiveInt }, { layers: 3, channels: 32 });
export type HomographyHeadConfig = t.TypeOf<typeof HomographyHeadConfig>;

/** Per-channel mean and standard deviation `[D]` of patch tokens. */
export interface TokenStats {
  readonly mean: tf.Tensor1D;
  readonly std: tf.Tensor1D;
}

/** Mean and standard deviation (floored at 1e-6) of every channel over all the tokens of `tokens` (`[B, N, D]` each). */
export const tokenStats = (tokens: ReadonlyArray<tf.Tensor3D>): TokenStats =>
  tf.tidy(() => {
    const d = tokens[0]!.shape[2];
    const rows = tf.concat(tokens.map((x) => tf.reshape(x, [-1, d])), 0);
    const { mean, variance } = tf.moments(rows, 0);
    return { mean: mean as tf.Tensor1D, std: tf.maximum(tf.sqrt(variance), 1e-6) as tf.Tensor1D };
  });

/** A head regressing scaled corner offsets from two sets of patch tokens. */
export interface TokenHomographyHead {
  /** Its trainable variables (convolutions, then the dense layer). */
  readonly variables: () => tf.Variable[];
  /** Offsets / ρ, `[B, 8]`, from the patch tokens `[B, N, D]` of A and of B. */
  readonly forward: (tokensA: tf.Tensor3D, tokensB: tf.Tensor3D) => tf.Tensor2D;
  /** Frees its variables and the statistics it took over. */
  readonly dispose: () => void;
}

/**
 * A fresh head for tokens of width `dim` on a `grid × grid` patch grid,
 * initialised from `rng` (PyTorch's default uniform); it takes over `stats`.
 */
export const tokenHomographyHead = (dim: number, grid: number, c: HomographyHeadConfig, stats: TokenStats, rng: Rng): TokenHomographyHead => {
  const store = new ParamStore();
  const convs = Array.from({ length: c.layers }, (_, i) => {
    const cin = i === 0 ? 2 * dim : c.channels;
    const r = rng.fork(`conv${i}`);
    return [store.add(`conv${i}.weight`, fanInUniform([3, 3, cin, c.channels], 9 * cin, r)), store.add(`conv${i}.bias`, fanInUniform([c.channels], 9 * cin, r))] as const;
  });
  const side = Math.floor(grid / 2);
  const flat = side * side * c.channels;
  const out = [store.add('out.weight', fanInUniform([flat, 8], flat, rng.fork('out'))), store.add('out.bias', fanInUniform([8], flat, rng.fork('out').fork('bias')))] as const;
  const standardise = (x: tf.Tensor3D) => tf.div(tf.sub(x, stats.mean), stats.std);
  return {
    variables: () => store.variables(),
    forward: (tokensA, tokensB) =>
      tf.tidy(() => {
        const b = tokensA.shape[0];
        const paired = tf.concat([standardise(tokensA), standardise(tokensB)], 2);
        let h = tf.reshape(paired, [b, grid, grid, 2 * dim]) as tf.Tensor4D;
        for (const [w, bias] of convs) h = tf.relu(conv3x3(h, w as tf.Tensor4D, bias as tf.Tensor1D));
        return dense(tf.reshape(avgPool2(h), [b, flat]) as tf.Tensor2D, out[0], out[1]);
      }),
    dispose: () => {
      store.dispose();
      tf.dispose([stats.mean, stats.std]);
    },
  };
};
