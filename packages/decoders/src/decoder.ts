/**
 * The reconstruction decoder of the method: one linear layer applied to every
 * token, laid out on the patch grid, then four 3×3 convolutions with GELU,
 * upsampled ×2 (nearest) after the first ones until the image size:
 *
 *   tokens [B, N, d] → Linear(d, ch) → [B, g, g, ch]
 *   (or, with `input: pooled`: mean token [B, d] → Linear(d, ch·g·g) → [B, g, g, ch],
 *   laid out channel-major as the PyTorch reference's `view(n, ch, g, g)`)
 *   → conv(ch→ch), GELU, ↑2 → conv(ch→ch/2), GELU, ↑2 → conv(ch/2→ch/2), GELU → conv(ch/2→3)
 *
 * (patch 4: two upsamplings, as in the PyTorch reference step; patch 8 adds
 * one after the third conv, patch 16 one more before the first). Deliberately
 * small: the encoder, not the decoder, must carry the information.
 * Initialised like PyTorch's defaults (U(±1/√fan-in)).
 *
 * @since 0.1.0
 */
import { type Rng, definePlugin, positiveInt, struct } from '@equissl/core';
import { type ParamStore, conv3x3, dense, fanInUniform, gelu, upsample2x } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

/** Where a decoder reads from and what it must produce. */
export interface DecoderSpec {
  /** Width of each input token (2·d_equi for the method). */
  readonly inDim: number;
  /** Patches per side. */
  readonly grid: number;
  readonly patchSize: number;
  /** Image channels to produce. */
  readonly outChannels: number;
}

/** A decoder with its parameters defined. */
export interface ReconstructionDecoder {
  /** `[B, N, inDim]` tokens → `[B, H, W, C]` image. */
  readonly forward: (tokens: tf.Tensor3D) => tf.Tensor4D;
}

/** What a decoder plugin creates. */
export interface DecoderFactory {
  readonly instantiate: (spec: DecoderSpec, store: ParamStore, rng: Rng, prefix: string) => E.Either<string, ReconstructionDecoder>;
}

/**
 * Where the linear layer reads: `tokens` maps every token onto its own cell of
 * the patch grid; `pooled` maps the mean token onto the whole grid (the
 * PyTorch reference's `--dec-input pooled`), so everything the decoder needs
 * must be in the pooled features.
 */
export const DecoderInput = t.union([t.literal('tokens'), t.literal('pooled')]);
export type DecoderInput = t.TypeOf<typeof DecoderInput>;

/** conv4's config: 32 hidden channels by default (the one default of the decoder's width: a pretraining config that names conv4 without `channels` gets it). */
export const Conv4Config = struct('conv4', { channels: positiveInt, input: DecoderInput }, { channels: 32, input: 'tokens' });
export type Conv4Config = t.TypeOf<typeof Conv4Config>;

const upsamplingsAfter = (patchSize: number): E.Either<string, { before: number; after: [boolean, boolean, boolean] }> => {
  const ups = Math.log2(patchSize);
  if (!Number.isInteger(ups) || ups > 4) return E.left(`patch size ${patchSize} is not a power of two up to 16`);
  return E.right({ before: ups >= 4 ? 1 : 0, after: [ups >= 1, ups >= 2, ups >= 3] });
};

/** Instantiates the conv4 decoder. */
export const instantiateConv4 = (c: Conv4Config, spec: DecoderSpec, store: ParamStore, rng: Rng, prefix: string): E.Either<string, ReconstructionDecoder> =>
  E.map(({ before, after }: { before: number; after: [boolean, boolean, boolean] }): ReconstructionDecoder => {
    const ch = c.channels;
    const half = Math.max(1, Math.floor(ch / 2));
    const linearOut = c.input === 'pooled' ? spec.grid * spec.grid * ch : ch;
    const linear = [
      store.add(`${prefix}linear.weight`, fanInUniform([spec.inDim, linearOut], spec.inDim, rng)),
      store.add(`${prefix}linear.bias`, fanInUniform([linearOut], spec.inDim, rng)),
    ] as const;
    const conv = (name: string, cin: number, cout: number) =>
      [store.add(`${prefix}${name}.weight`, fanInUniform([3, 3, cin, cout], 9 * cin, rng)), store.add(`${prefix}${name}.bias`, fanInUniform([cout], 9 * cin, rng))] as const;
    const convs = [conv('conv1', ch, ch), conv('conv2', ch, half), conv('conv3', half, half), conv('conv4', half, spec.outChannels)];
    return {
      forward: (tokens: tf.Tensor3D) => {
        const b = tokens.shape[0];
        let h =
          c.input === 'pooled'
            ? (tf.transpose(tf.reshape(dense(tf.mean(tokens, 1) as tf.Tensor2D, ...linear), [b, ch, spec.grid, spec.grid]), [0, 2, 3, 1]) as tf.Tensor4D)
            : (tf.reshape(dense(tokens, ...linear), [b, spec.grid, spec.grid, ch]) as tf.Tensor4D);
        for (let i = 0; i < before; i++) h = upsample2x(h);
        convs.forEach(([w, bias], i) => {
          h = conv3x3(h, w as tf.Tensor4D, bias as tf.Tensor1D);
          if (i < 3) {
            h = gelu(h) as tf.Tensor4D;
            if (after[i]) h = upsample2x(h);
          }
        });
        return h;
      },
    };
  })(upsamplingsAfter(spec.patchSize));

/** The `conv4` decoder plugin. */
export const conv4 = definePlugin({
  kind: 'decoder',
  name: 'conv4',
  description: 'per-token linear onto the patch grid, then four 3×3 convs with GELU and ×2 upsampling',
  config: Conv4Config,
  create: (c) => E.right<never, DecoderFactory>({ instantiate: (spec, store, rng, prefix) => instantiateConv4(c, spec, store, rng, prefix) }),
});

