/**
 * SSL view augmentations (A1, A2): random resized crop, horizontal flip,
 * colour jitter, grayscale, Gaussian blur and solarize, batched, each with a
 * per-image probability. They return the parameters they drew, so a pipeline
 * (or a test) can see exactly what happened to every image.
 *
 * `pairing` says how the two views of an image relate: `independent` (the
 * default) draws each view's crop on its own; `shared-crop` gives the second
 * view the first's crop and flip, its photometric draws still its own, so the
 * pair differs by colour, blur (and, in the pipeline, the sampled
 * transformation) but shows the same content.
 *
 * Losses that need aligned pairs (STL) get `alignedPairs`: images 2i and
 * 2i + 1 then share each view's crop, colour jitter and grayscale draws, as
 * the `aligned_transform` of STL's data set does (jaemyung-u/stl,
 * `dataset.py`); their flip, blur and solarize stay their own.
 *
 * @since 0.1.0
 */
import { type Rng, interval, positiveInt, probability, nonNegative, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import { applyColorJitter } from './color-jitter.js';
import { adjustSaturation, solarize } from './color-ops.js';
import { gaussianBlurBatch } from './gaussian-blur.js';

export const JitterConfig = struct(
  'jitter',
  { p: probability, brightness: nonNegative, contrast: nonNegative, saturation: nonNegative, hue: nonNegative },
  { p: 0.8, brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 },
);

export const BlurConfig = struct('blur', { p: probability, sigma: interval }, { p: 0.2, sigma: [0.1, 1] });

const viewProps = {
  /** Output size (default: the input size). */
  size: t.union([positiveInt, t.undefined]),
  /** Fraction of the image area kept by the crop. */
  cropScale: interval,
  /** Aspect ratio range of the crop. */
  cropRatio: interval,
  flip: probability,
  jitter: JitterConfig,
  grayscale: probability,
  blur: BlurConfig,
  solarize: probability,
  /** How the second view's crop relates to the first's: drawn on its own, or the same box. */
  pairing: t.union([t.literal('independent'), t.literal('shared-crop')]),
};

/** The default view augmentations: SimCLR/VICReg-style, with crop scale and blur for 32-px images. */
export const viewDefaults: t.TypeOf<t.TypeC<typeof viewProps>> = {
  size: undefined,
  cropScale: [0.3, 1],
  cropRatio: [3 / 4, 4 / 3],
  flip: 0.5,
  jitter: { p: 0.8, brightness: 0.4, contrast: 0.4, saturation: 0.2, hue: 0.1 },
  grayscale: 0.2,
  blur: { p: 0.2, sigma: [0.1, 1] },
  solarize: 0,
  pairing: 'independent',
};

/** Config of one view's augmentations; missing fields take {@link viewDefaults}. */
export const ViewConfig = struct('views', viewProps, viewDefaults);
export type ViewConfig = t.TypeOf<typeof ViewConfig>;

/** What was drawn for one image. */
export interface ViewParams {
  /** Crop box `[y1, x1, y2, x2]` in normalised coordinates (before the flip). */
  readonly crop: readonly [number, number, number, number];
  readonly flip: boolean;
  /** Colour-jitter offsets `[b, c, s, h]` (zeros when not applied). */
  readonly jitter: readonly [number, number, number, number];
  readonly grayscale: boolean;
  /** Blur σ in pixels (0 when not applied). */
  readonly sigma: number;
  readonly solarize: boolean;
}

/** torchvision `RandomResizedCrop.get_params`, as a normalised box. */
export const sampleCrop = (rng: Rng, h: number, w: number, scale: readonly [number, number], ratio: readonly [number, number]): [number, number, number, number] => {
  const area = h * w;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  const box = (top: number, left: number, ch: number, cw: number): [number, number, number, number] => [
    top / Math.max(h - 1, 1),
    left / Math.max(w - 1, 1),
    (top + ch - 1) / Math.max(h - 1, 1),
    (left + cw - 1) / Math.max(w - 1, 1),
  ];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.between(scale[0], scale[1]);
    const aspect = Math.exp(rng.between(logRatio[0], logRatio[1]));
    const cw = Math.round(Math.sqrt(target * aspect));
    const ch = Math.round(Math.sqrt(target / aspect));
    if (cw > 0 && cw <= w && ch > 0 && ch <= h) return box(rng.int(h - ch + 1), rng.int(w - cw + 1), ch, cw);
  }
  // fallback: the central crop at the nearest allowed ratio
  const inRatio = w / h;
  const [cw, ch] =
    inRatio < ratio[0] ? [w, Math.round(w / ratio[0])] : inRatio > ratio[1] ? [Math.round(h * ratio[1]), h] : [w, h];
  return box(Math.floor((h - ch) / 2), Math.floor((w - cw) / 2), ch, cw);
};

/** Draws the parameters of one view for each of `count` images of size h × w. */
export const sampleViewParams = (rng: Rng, c: ViewConfig, count: number, h: number, w: number): ViewParams[] =>
  Array.from({ length: count }, () => {
    const crop = sampleCrop(rng, h, w, c.cropScale, c.cropRatio);
    const flip = rng.bernoulli(c.flip);
    const j = c.jitter;
    const jitter: [number, number, number, number] = rng.bernoulli(j.p)
      ? [rng.between(-j.brightness, j.brightness), rng.between(-j.contrast, j.contrast), rng.between(-j.saturation, j.saturation), rng.between(-j.hue, j.hue)]
      : [0, 0, 0, 0];
    const grayscale = rng.bernoulli(c.grayscale);
    const sigma = rng.bernoulli(c.blur.p) ? rng.between(c.blur.sigma[0], c.blur.sigma[1]) : 0;
    return { crop, flip, jitter, grayscale, sigma, solarize: rng.bernoulli(c.solarize) };
  });

/** Applies drawn view parameters to a batch: crop+flip → jitter → grayscale → blur → solarize. */
export const applyViewParams = (images: tf.Tensor4D, params: ReadonlyArray<ViewParams>, size?: number): tf.Tensor4D =>
  tf.tidy(() => {
    const [b, h, w] = images.shape;
    const boxes = params.flatMap(({ crop: [y1, x1, y2, x2], flip }) => (flip ? [y1, x2, y2, x1] : [y1, x1, y2, x2]));
    let x = tf.image.cropAndResize(images, tf.tensor2d(boxes, [b, 4]), tf.range(0, b, 1, 'int32'), [size ?? h, size ?? w], 'bilinear') as tf.Tensor4D;
    if (params.some((p) => p.jitter.some((v) => v !== 0))) x = applyColorJitter(x, params.map((p) => p.jitter));
    if (params.some((p) => p.grayscale)) x = adjustSaturation(x, params.map((p) => (p.grayscale ? 0 : 1)));
    if (params.some((p) => p.sigma > 0)) x = gaussianBlurBatch(x, params.map((p) => p.sigma));
    if (params.some((p) => p.solarize)) x = solarize(x, params.map((p) => p.solarize));
    return x;
  });

/**
 * Aligned pairs (STL): image 2i + 1 takes image 2i's crop, colour jitter and
 * grayscale draws; its flip, blur and solarize stay its own.
 */
export const alignPairs = (params: ReadonlyArray<ViewParams>): ViewParams[] =>
  params.map((p, i) => {
    const lead = params[i - 1];
    return i % 2 === 1 && lead !== undefined ? { ...p, crop: lead.crop, jitter: lead.jitter, grayscale: lead.grayscale } : p;
  });

/** How the draws of one view relate to others. */
export interface ViewLinks {
  /** Another view's parameters: each image keeps that view's crop and flip. */
  readonly sameCropAs?: ReadonlyArray<ViewParams>;
  /** Images 2i and 2i + 1 share crop, jitter and grayscale ({@link alignPairs}). */
  readonly alignedPairs?: boolean;
}

/**
 * Draws and applies one view of every image, linked to other draws as
 * `links` says; every other draw is this view's own (the same draws are made
 * either way).
 */
export const augmentView = (images: tf.Tensor4D, c: ViewConfig, rng: Rng, links: ViewLinks = {}): { images: tf.Tensor4D; params: ViewParams[] } => {
  const [b, h, w] = images.shape;
  const drawn = sampleViewParams(rng, c, b, h, w);
  const aligned = links.alignedPairs === true ? alignPairs(drawn) : drawn;
  const same = links.sameCropAs;
  const params = same === undefined ? aligned : aligned.map((p, i) => ({ ...p, crop: same[i]!.crop, flip: same[i]!.flip }));
  return { images: applyViewParams(images, params, c.size), params };
};

/**
 * The two views of every image (v1 and u, before any path transformation),
 * related as `c.pairing` says; with `alignedPairs` images 2i and 2i + 1 share
 * each view's crop, jitter and grayscale.
 */
export const augmentPair = (images: tf.Tensor4D, c: ViewConfig, rng: Rng, alignedPairs = false): readonly [tf.Tensor4D, tf.Tensor4D] => {
  const first = augmentView(images, c, rng, { alignedPairs });
  const second = augmentView(images, c, rng, { alignedPairs, ...(c.pairing === 'shared-crop' ? { sameCropAs: first.params } : {}) });
  return [first.images, second.images];
};
