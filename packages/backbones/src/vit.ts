/**
 * Vision Transformer (Dosovitskiy et al. 2021; DeiT/timm layout): patch
 * embedding as reshape + dense, learnable cls token and position embeddings,
 * pre-norm blocks (multi-head self-attention, MLP with exact GELU), final
 * LayerNorm. Weights are initialised as in timm (trunc-normal std 0.02,
 * zero biases, unit norms). Dense weights are stored `[in, out]`.
 *
 * Every layer uses the fast-gradient ops of `@equissl/nn`, so the encoder
 * trains on the wasm backend.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import { type ParamStore, dense, layerNorm, layerNormEps, mlp, ones, selfAttention, truncNormal, zeros } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import type { Backbone, BackboneArchitecture, BackboneFactory, Encoded, ForwardOptions } from './backbone.js';

/** Architecture of a ViT. */
export interface VitSpec {
  readonly imageSize: number;
  readonly patchSize: number;
  readonly channels: number;
  readonly dim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpRatio: number;
}

/** The ViT as it describes itself: its spec and what follows from it (docs/export.md). */
export interface VitArchitecture extends BackboneArchitecture, VitSpec {
  readonly type: 'vit';
  /** Width of the MLP's hidden layer, round(dim · mlpRatio). */
  readonly mlpHidden: number;
  /** Patch tokens, (imageSize / patchSize)². */
  readonly patches: number;
  /** ε of every LayerNorm. */
  readonly layerNormEps: number;
  /** The MLP's activation: GELU with erf (not the tanh approximation). */
  readonly activation: 'gelu';
}

/** The architecture of a ViT spec. */
export const vitArchitecture = (s: VitSpec): VitArchitecture => ({
  type: 'vit',
  imageSize: s.imageSize,
  patchSize: s.patchSize,
  channels: s.channels,
  dim: s.dim,
  depth: s.depth,
  heads: s.heads,
  mlpRatio: s.mlpRatio,
  mlpHidden: Math.round(s.dim * s.mlpRatio),
  patches: (s.imageSize / s.patchSize) ** 2,
  layerNormEps,
  activation: 'gelu',
});

/** `[B, H, W, C]` → `[B·N, p·p·C]`, patches row-major, pixels (py, px, c) inside a patch. */
export const patchify = (images: tf.Tensor4D, p: number): tf.Tensor2D => {
  const [b, h, w, c] = images.shape;
  const gy = h / p;
  const gx = w / p;
  const blocks = tf.reshape(images, [b * gy, p, gx, p * c]);
  return tf.reshape(tf.transpose(blocks, [0, 2, 1, 3]), [b * gy * gx, p * p * c]);
};

interface BlockParams {
  readonly n1: [tf.Variable, tf.Variable];
  readonly qkv: [tf.Variable, tf.Variable];
  readonly proj: [tf.Variable, tf.Variable];
  readonly n2: [tf.Variable, tf.Variable];
  readonly fc1: [tf.Variable, tf.Variable];
  readonly fc2: [tf.Variable, tf.Variable];
}

/** Instantiates a ViT in `store`. */
export const instantiateVit = (s: VitSpec, store: ParamStore, rng: Rng, prefix = 'encoder.'): Backbone => {
  const grid = s.imageSize / s.patchSize;
  const tokens = grid * grid + 1;
  const hidden = Math.round(s.dim * s.mlpRatio);
  const linear = (name: string, fin: number, fout: number): [tf.Variable, tf.Variable] => [
    store.add(`${prefix}${name}.weight`, truncNormal([fin, fout], 0.02, rng)),
    store.add(`${prefix}${name}.bias`, zeros([fout])),
  ];
  const norm = (name: string): [tf.Variable, tf.Variable] => [store.add(`${prefix}${name}.weight`, ones([s.dim])), store.add(`${prefix}${name}.bias`, zeros([s.dim]))];
  const patchEmbed = linear('patchEmbed', s.patchSize * s.patchSize * s.channels, s.dim);
  const clsToken = store.add(`${prefix}clsToken`, truncNormal([1, 1, s.dim], 0.02, rng));
  const posEmbed = store.add(`${prefix}posEmbed`, truncNormal([1, tokens, s.dim], 0.02, rng));
  const maskToken = store.add(`${prefix}maskToken`, zeros([1, 1, s.dim]));
  const blocks: BlockParams[] = Array.from({ length: s.depth }, (_, i) => ({
    n1: norm(`blocks.${i}.norm1`),
    qkv: linear(`blocks.${i}.attn.qkv`, s.dim, 3 * s.dim),
    proj: linear(`blocks.${i}.attn.proj`, s.dim, s.dim),
    n2: norm(`blocks.${i}.norm2`),
    fc1: linear(`blocks.${i}.mlp.fc1`, s.dim, hidden),
    fc2: linear(`blocks.${i}.mlp.fc2`, hidden, s.dim),
  }));
  const finalNorm = norm('norm');

  const forward = (images: tf.Tensor4D, options: ForwardOptions = {}): Encoded => {
    const b = images.shape[0];
    let x = tf.reshape(dense(patchify(images, s.patchSize), ...patchEmbed), [b, grid * grid, s.dim]) as tf.Tensor3D;
    if (options.tokenMask !== undefined) {
      const m = tf.expandDims(options.tokenMask, 2);
      x = tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(m, maskToken)) as tf.Tensor3D;
    }
    x = tf.add(tf.concat([tf.broadcastTo(clsToken, [b, 1, s.dim]), x], 1), posEmbed) as tf.Tensor3D;
    for (const blk of blocks) {
      x = tf.add(x, selfAttention(layerNorm(x, ...blk.n1), ...blk.qkv, ...blk.proj, s.heads)) as tf.Tensor3D;
      x = tf.add(x, mlp(layerNorm(x, ...blk.n2), ...blk.fc1, ...blk.fc2)) as tf.Tensor3D;
    }
    x = layerNorm(x, ...finalNorm);
    return {
      cls: tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, s.dim]), [b, s.dim]) as tf.Tensor2D,
      patches: tf.slice(x, [0, 1, 0], [b, grid * grid, s.dim]) as tf.Tensor3D,
    };
  };

  return { architecture: vitArchitecture(s), dim: s.dim, imageSize: s.imageSize, patchSize: s.patchSize, grid, forward };
};

/** The factory of a ViT spec. */
export const vitFactory = (s: VitSpec): BackboneFactory => ({
  describe: `ViT D=${s.dim} depth=${s.depth} heads=${s.heads} patch=${s.patchSize} image=${s.imageSize}`,
  dim: s.dim,
  imageSize: s.imageSize,
  patchSize: s.patchSize,
  instantiate: (store, rng, prefix) => instantiateVit(s, store, rng, prefix),
});
