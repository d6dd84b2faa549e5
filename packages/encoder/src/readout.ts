/**
 * The features read from an encoder ({@link Encoder}): what the evaluations,
 * the explorer and a user's own downstream code take as an image's features. A readout names which tokens and which channels:
 *
 * - tokens: `cls` (the cls token, `[B, d]`), `clsmean` (cls token and mean
 *   patch token concatenated, `[B, 2·d]`), `tokens` (every patch token,
 *   flattened, `[B, N·d]`: what the decoders read);
 * - part: `full` (the backbone's output), `inv` or `equi` (the invariant or
 *   equivariant channels of the split representation, i.e. after the neck).
 *
 * The default, `clsmean-full`, is the headline readout of `equissl eval` and
 * `equissl reproduce`.
 *
 * @since 0.1.0
 */
import { splitFeatures } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type { Encoder } from './encoder.js';

/** Which channels the features come from. */
export type FeaturePart = 'full' | 'equi' | 'inv';
/** Which tokens the features come from. */
export type TokenReadout = 'cls' | 'clsmean' | 'tokens';
/** A readout: `<tokens>-<part>`, e.g. `clsmean-full`. */
export type Readout = `${TokenReadout}-${FeaturePart}`;

/** Every readout, headline first. */
export const allReadouts: ReadonlyArray<Readout> = (['clsmean', 'cls', 'tokens'] as const).flatMap((tk) => (['full', 'inv', 'equi'] as const).map((p) => `${tk}-${p}` as Readout));
/** The readout behind the headline numbers. */
export const headlineReadout: Readout = 'clsmean-full';

/** The readout named `name`, if it is one. */
export const parseReadout = (name: string): Readout | undefined => (allReadouts as ReadonlyArray<string>).includes(name) ? (name as Readout) : undefined;

/** Whether an encoder has the channels a readout asks for (a baseline without equivariant channels has no `equi` part). */
export const readoutAvailable = (encoder: Encoder, readout: Readout): boolean => {
  const part = readout.split('-')[1] as FeaturePart;
  return part === 'full' || (part === 'equi' ? encoder.dEqui > 0 : encoder.dInv > 0);
};

/**
 * Images per forward pass when encoding a whole set: large batches amortise
 * the per-kernel overhead (2,048 images encoded ~10 % faster at 512 than at
 * 128 on wasm; docs/performance.md), and with no gradient tape recording
 * the custom-gradient ops save no activations, so memory stays that of one
 * forward pass.
 */
export const encodeBatch = 512;

/** The features of `images` for each of `readouts` from one forward pass (no gradient). */
export const encodeReadouts = (encoder: Encoder, images: tf.Tensor4D, readouts: ReadonlyArray<Readout>): tf.Tensor2D[] =>
  tf.tidy(() => {
    const backbone = encoder.backbone.forward(images);
    const needsNeck = readouts.some((r) => !r.endsWith('-full'));
    const split = needsNeck ? encoder.neck(backbone) : backbone;
    return readouts.map((readout) => {
      const [tokens, part] = readout.split('-') as [TokenReadout, FeaturePart];
      const out = part === 'full' ? backbone : split;
      const pick = <T extends tf.Tensor>(t: T, name: string): T => {
        if (part === 'full') return t;
        const s = splitFeatures(t, encoder.dEqui, name);
        if (E.isLeft(s)) throw new Error(s.left.message);
        return part === 'equi' ? s.right.equi : s.right.inv;
      };
      if (tokens === 'cls') return pick(out.cls, 'cls token');
      const patches = pick(out.patches, 'patch tokens');
      if (tokens === 'tokens') return tf.reshape(patches, [patches.shape[0], -1]) as tf.Tensor2D;
      return tf.concat([pick(out.cls, 'cls token'), tf.mean(patches, 1)], 1) as tf.Tensor2D;
    });
  });

/** The features of `images` for `readout` (no gradient): `[B, d_part]`, `[B, 2·d_part]` or `[B, N·d_part]`. */
export const encode = (encoder: Encoder, images: tf.Tensor4D, readout: Readout = headlineReadout): tf.Tensor2D => encodeReadouts(encoder, images, [readout])[0]!;

/**
 * Encodes `images` in chunks of `batch` (bounded memory) for every readout of `readouts`, one forward pass per chunk.
 * `before` maps each chunk (and the index of its first image) to the images encoded in its place, e.g. g_θ of the
 * chunk, so that a transformed copy of a large set never exists whole (its intermediate tensors are disposed).
 */
export const encodeAllReadouts = (
  encoder: Encoder,
  images: tf.Tensor4D,
  readouts: ReadonlyArray<Readout>,
  batch = encodeBatch,
  before?: (chunk: tf.Tensor4D, start: number) => tf.Tensor4D,
): tf.Tensor2D[] => {
  const n = images.shape[0];
  const parts: tf.Tensor2D[][] = readouts.map(() => []);
  for (let s = 0; s < n; s += batch) {
    const chunk = tf.slice(images, [s, 0, 0, 0], [Math.min(batch, n - s), -1, -1, -1]) as tf.Tensor4D;
    const input = before === undefined ? chunk : tf.tidy(() => before(chunk, s));
    encodeReadouts(encoder, input, readouts).forEach((f, i) => parts[i]!.push(f));
    tf.dispose(input === chunk ? [chunk] : [chunk, input]);
  }
  return parts.map((p) => {
    const all = tf.concat(p, 0) as tf.Tensor2D;
    tf.dispose(p);
    return all;
  });
};

/** Encodes `images` in chunks of `batch` (bounded memory). */
export const encodeAll = (encoder: Encoder, images: tf.Tensor4D, part: Readout, batch = encodeBatch): tf.Tensor2D => encodeAllReadouts(encoder, images, [part], batch)[0]!;
