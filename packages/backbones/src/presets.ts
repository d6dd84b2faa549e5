/**
 * ViT presets as backbone plugins, a registry of small factories in the
 * manner of timm: `vit-micro` (CPU-sized), `vit-tiny` (DeiT-Ti), `vit-small`
 * (DeiT-S), and `vit` (every field given). Any preset field can be
 * overridden; image and patch size default to 32 and 4 (CIFAR-sized).
 *
 * @since 0.1.0
 */
import { definePlugin, pluginError, positive, positiveInt, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { BackboneFactory } from './backbone.js';
import { type VitSpec, vitFactory } from './vit.js';

const vitProps = {
  imageSize: positiveInt,
  patchSize: positiveInt,
  channels: positiveInt,
  dim: positiveInt,
  depth: positiveInt,
  heads: positiveInt,
  mlpRatio: positive,
};

const checked = (name: string, s: VitSpec): E.Either<ReturnType<typeof pluginError>, BackboneFactory> => {
  if (s.imageSize % s.patchSize !== 0) return E.left(pluginError('backbone', name, `imageSize ${s.imageSize} is not a multiple of patchSize ${s.patchSize}`));
  if (s.dim % s.heads !== 0) return E.left(pluginError('backbone', name, `dim ${s.dim} is not divisible by heads ${s.heads}`));
  return E.right(vitFactory(s));
};

const preset = <const N extends string>(name: N, description: string, defaults: VitSpec) =>
  definePlugin({
    kind: 'backbone',
    name,
    description,
    config: struct(name, vitProps, defaults),
    create: (c: t.TypeOf<t.TypeC<typeof vitProps>>) => checked(name, c),
  });

const small = { imageSize: 32, patchSize: 4, channels: 3, mlpRatio: 4 };

/** D=96, depth 4, 3 heads: trains in minutes on a CPU. */
export const vitMicro = preset('vit-micro', 'ViT D=96 depth 4 heads 3 (CPU-sized)', { ...small, dim: 96, depth: 4, heads: 3 });
/** DeiT-Tiny: D=192, depth 12, 3 heads. */
export const vitTiny = preset('vit-tiny', 'ViT-Ti: D=192 depth 12 heads 3', { ...small, dim: 192, depth: 12, heads: 3 });
/** DeiT-Small: D=384, depth 12, 6 heads. */
export const vitSmall = preset('vit-small', 'ViT-S: D=384 depth 12 heads 6', { ...small, dim: 384, depth: 12, heads: 6 });
/** A ViT with every field from the config (defaults: the benchmark's D=192 depth 6). */
export const vit = preset('vit', 'ViT with every field configurable (default D=192 depth 6 heads 3)', { ...small, dim: 192, depth: 6, heads: 3 });
