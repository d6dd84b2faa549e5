/**
 * A frozen encoder loaded from a pretraining checkpoint, and the features the
 * evaluations read from it: the cls token and the mean patch token,
 * concatenated (`[B, 2·d]`), of the full representation by default, or of its
 * equivariant or invariant part alone.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, splitFeatures } from '@equissl/core';
import { type PretrainModel, buildModel, decodePretrainConfig, readCheckpoint } from '@equissl/pipeline';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { pipe } from 'fp-ts/lib/function.js';

/** Which channels the features come from. */
export type FeaturePart = 'full' | 'equi' | 'inv';

/** A frozen encoder. */
export interface FrozenEncoder {
  readonly model: PretrainModel;
  readonly file: string;
  readonly imageShape: readonly [number, number, number];
  /** The config the checkpoint was trained with (as given). */
  readonly config: unknown;
  readonly step: number;
}

/** Loads the encoder (and the rest of the model) of a checkpoint. */
export const loadEncoder = (file: string, registry: Registry): TE.TaskEither<EquisslError, FrozenEncoder> =>
  pipe(
    readCheckpoint(file),
    TE.mapLeft((e): EquisslError => e),
    TE.flatMapEither((ckpt) =>
      pipe(
        decodePretrainConfig(ckpt.state.config),
        E.flatMap((config) => buildModel(config, registry, ckpt.state.imageShape)),
        E.flatMap((model) =>
          pipe(
            model.store.load(ckpt.tensors, file, 'param/'),
            E.map((): FrozenEncoder => ({ model, file, imageShape: ckpt.state.imageShape, config: ckpt.state.config, step: ckpt.state.step })),
            E.mapLeft((e): EquisslError => {
              model.dispose();
              return e;
            }),
          ),
        ),
      ),
    ),
  );

/** Features `[B, 2·d_part]` = [cls ; mean patch token] of `images` (no gradient). */
export const encode = (model: PretrainModel, images: tf.Tensor4D, part: FeaturePart = 'full'): tf.Tensor2D =>
  tf.tidy(() => {
    const out = model.backbone.forward(images);
    const pick = <T extends tf.Tensor>(t: T, name: string): T => {
      if (part === 'full') return t;
      const s = splitFeatures(t, model.dEqui, name);
      if (E.isLeft(s)) throw new Error(s.left.message);
      return part === 'equi' ? s.right.equi : s.right.inv;
    };
    return tf.concat([pick(out.cls, 'cls token'), tf.mean(pick(out.patches, 'patch tokens'), 1)], 1) as tf.Tensor2D;
  });

/** Encodes `images` in chunks of `batch` (bounded memory). */
export const encodeAll = (model: PretrainModel, images: tf.Tensor4D, part: FeaturePart, batch = 128): tf.Tensor2D => {
  const n = images.shape[0];
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < n; s += batch) {
    const chunk = tf.slice(images, [s, 0, 0, 0], [Math.min(batch, n - s), -1, -1, -1]) as tf.Tensor4D;
    parts.push(encode(model, chunk, part));
    chunk.dispose();
  }
  const all = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return all;
};
