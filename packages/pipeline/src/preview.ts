/**
 * A look at what the model reconstructs: for a few images, the first view v1,
 * the K intermediate targets u_k and the K reconstructions û_k (no gradient);
 * reconstructions of per-image normalised targets are mapped back to their
 * target's pixel scale.
 *
 * @since 0.1.0
 */
import { denormaliseLike } from '@equissl/decoders';
import * as tf from '@tensorflow/tfjs';
import type { PretrainConfig } from '@equissl/encoder';
import type { PretrainModel } from './model.js';
import { computeLosses, makeViews, stepRng } from './step.js';

/** Rows of images `[H, W, C]`: v1, u_1…u_K, û_1…û_K (the caller disposes them). */
export interface Preview {
  readonly columns: ReadonlyArray<string>;
  readonly rows: ReadonlyArray<ReadonlyArray<tf.Tensor3D>>;
}

/** Computes the preview for `images` with the augmentation draws of `step`. */
export const reconstructionPreview = (model: PretrainModel, config: PretrainConfig, images: tf.Tensor4D, lossState: unknown, step = 0): Preview =>
  tf.tidy(() => {
    const views = makeViews(model, config, images, stepRng(config.seed + 1, step));
    const { reconstructions } = computeLosses(model, views, lossState, step);
    const k = reconstructions.length;
    const columns = ['v1', ...Array.from({ length: k }, (_, i) => `u${i + 1}`), ...Array.from({ length: k }, (_, i) => `rec${i + 1}`), 'v2'];
    const pick = (t: tf.Tensor4D, i: number) => tf.squeeze(tf.slice(t, [i, 0, 0, 0], [1, -1, -1, -1]), [0]) as tf.Tensor3D;
    const rows = Array.from({ length: images.shape[0] }, (_, i) => [
      pick(views.v1, i),
      ...views.targets.map((t) => pick(t, i)),
      // normalised targets are shown on their target's pixel scale
      ...reconstructions.map((r, j) => pick(tf.clipByValue(model.reconstruction?.target === 'normalised' ? denormaliseLike(r, views.targets[j]!) : r, 0, 1) as tf.Tensor4D, i)),
      pick(views.v2, i),
    ]);
    return { columns, rows };
  });
