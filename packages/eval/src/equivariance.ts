/**
 * The equivariance suite (SIE; the paper's Table 2): for each family — by
 * default rotation, colour, blur, translation; any transform plugin of the
 * registry when named (`families.ts`) — draw θ for held-out images x, encode
 * x and g_θ(x) with the frozen encoder, concatenate the two feature vectors,
 * train the MLP regressor to predict θ on a train split, and report R² on a
 * test split (SIE's scalar R² and R² per parameter). Besides the main
 * readout, further readouts (cls, cls + mean patch, flattened tokens; full,
 * invariant or equivariant channels) can be scored for some families with a
 * closed-form ridge regressor, to show where in the representation θ is kept,
 * and some (the halves of the split) with the main regressor too, so that
 * both readouts say it.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, Rng, configError } from '@equissl/core';
import type { Dataset } from '@equissl/data';
import { type Regressor, r2PerDimension, r2Scalar } from '@equissl/heads';
import { type Encoder, type Readout, encodeAllReadouts, encodeBatch } from '@equissl/encoder';
import { paramsTensor, shownParams } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { defaultFamilies, resolveFamilies } from './families.js';
import { asRegressor } from './head-kind.js';
import { type ImageCounts, pairCounts, splitCounts } from './image-counts.js';

/** The share of the suite's images its regressors are fitted on; the rest are held out and scored. */
export const equivarianceTrainFraction = 0.8;

/** One family's result. */
export interface FamilyResult {
  readonly task: string;
  readonly paramNames: ReadonlyArray<string>;
  /** R² from the suite's main readout (`SuiteOptions.part`). */
  readonly r2: number;
  readonly r2PerDimension: ReadonlyArray<number>;
  /** R² from each further readout asked for this family (`SuiteOptions.readouts`), all with the closed-form `ridge` regressor so that they compare with each other. */
  readonly byReadout?: Readonly<Partial<Record<Readout, number>>>;
  /** R² from the readouts of `SuiteOptions.mlpReadouts` with the main regressor (SIE's MLP): the halves of the split beside the main readout. */
  readonly byReadoutMlp?: Readonly<Partial<Record<Readout, number>>>;
}

/** Options of {@link equivarianceSuite}. */
export interface SuiteOptions {
  /**
   * Images of the scored data (its first `images`): 80 % fit the regressors
   * and 20 % are scored ({@link equivarianceTrainFraction}), or, with
   * {@link fitImages}, all of them are scored.
   */
  readonly images: number;
  /**
   * Images of the fitting data (the evaluation data's train split; its first
   * `fitImages`) the regressors are fitted on, so that a regressor can be
   * given more images than the scored split holds; every one of `images` is
   * then held out and scored.
   */
  readonly fitImages?: number;
  /** The main readout, scored for every family. */
  readonly part: Readout;
  /** Further readouts scored for the families in `readoutTasks` (default: rotation), to show where the information lives. */
  readonly readouts?: ReadonlyArray<Readout>;
  /** Readouts also scored with the main regressor for the families in `readoutTasks` (the main readout's own score is reused, not refitted). */
  readonly mlpReadouts?: ReadonlyArray<Readout>;
  readonly readoutTasks?: ReadonlyArray<string>;
  readonly seed: number;
  /** The regressor of the main readout (SIE's MLP by default; a `tokens` main readout always uses `ridge`, the MLP being too slow on N·d inputs). */
  readonly regressor: unknown;
  /** The families scored, as transform plugin slots (default {@link defaultFamilies}). */
  readonly families?: ReadonlyArray<unknown>;
  /** Of those, only the families with these task labels (or plugin names). */
  readonly tasks?: ReadonlyArray<string>;
  readonly onTask?: (task: string, index: number, total: number) => void;
}

/**
 * The images the suite uses: `o.images` of `dataset` split 80/20, or, with
 * `o.fitImages` and a fitting dataset `fit`, that many of `fit` before all
 * `o.images` of `dataset`.
 */
export const equivarianceCounts = (o: Pick<SuiteOptions, 'images' | 'fitImages'>, dataset: Dataset, fit?: Dataset): ImageCounts =>
  o.fitImages !== undefined && fit !== undefined
    ? pairCounts({ train: o.fitImages, test: o.images }, { train: Math.min(o.fitImages, fit.size), test: Math.min(o.images, dataset.size) })
    : splitCounts(o.images, dataset.size, equivarianceTrainFraction);

/** The first `n` images of `d` as pixels. */
const firstImages = (d: Dataset, n: number) => d.read(Array.from({ length: n }, (_, i) => i));

/**
 * Runs the suite on `dataset` (held-out images); with `o.fitImages`, the
 * regressors are fitted on images of `fit` (the evaluation data's train split).
 */
export const equivarianceSuite = async (model: Encoder, dataset: Dataset, registry: Registry, o: SuiteOptions, fit?: Dataset): Promise<E.Either<EquisslError, FamilyResult[]>> => {
  const chosen = resolveFamilies(registry, o.families ?? defaultFamilies, o.tasks, dataset.imageShape);
  if (E.isLeft(chosen)) return chosen;
  if (o.fitImages !== undefined && fit === undefined) {
    return E.left(configError('fitImages', 'the suite was asked to fit its regressors on the training split, but no training split was given; pass the train split\'s dataset (`fit`, or `fitData` on worker threads) or leave fitImages out'));
  }
  if (fit !== undefined && o.fitImages !== undefined && fit.imageShape.join('×') !== dataset.imageShape.join('×')) {
    return E.left({ _tag: 'ShapeMismatch', tensor: 'fitting images', expected: dataset.imageShape.join('×'), actual: [...fit.imageShape], message: `fitting images: ${fit.source} gives ${fit.imageShape.join('×')} images, the scored ${dataset.source} ${dataset.imageShape.join('×')}; give both splits one image size` });
  }
  const counts = equivarianceCounts(o, dataset, fit);
  const fitted = fit !== undefined && o.fitImages !== undefined ? await firstImages(fit, counts.train)() : E.right(undefined);
  if (E.isLeft(fitted)) return fitted;
  const scored = await firstImages(dataset, fitted.right === undefined ? counts.used : counts.test)();
  if (E.isLeft(scored)) return scored;
  // fitted images first, then the scored ones: the regressors fit on the first `counts.train` rows
  const pixels = fitted.right === undefined ? scored.right.pixels : concatPixels(fitted.right.pixels, scored.right.pixels);
  const [h, w, c] = dataset.imageShape;
  const mlpFactory = registry.create('head', o.regressor, 'regressor');
  if (E.isLeft(mlpFactory)) return mlpFactory;
  const ridgeFactory = registry.create('head', { name: 'ridge' }, 'regressor');
  if (E.isLeft(ridgeFactory)) return ridgeFactory;
  const headFor = (r: Readout) => asRegressor((r.startsWith('tokens-') ? ridgeFactory.right : mlpFactory.right).create(), 'regressor');
  const x = tf.tensor4d(pixels, [counts.used, h, w, c]);
  const nTrain = counts.train;
  const results: FamilyResult[] = [];
  const readoutTasks = o.readoutTasks ?? ['rotation'];
  // every readout any family asks for comes from one forward pass; f(x) is the same for every family
  const readoutsOf = (task: string): Readout[] => [...new Set([o.part, ...(readoutTasks.includes(task) ? [...(o.readouts ?? []), ...(o.mlpReadouts ?? [])] : [])])];
  const allNeeded = [...new Set(chosen.right.flatMap((f) => readoutsOf(f.task)))];
  const fxAll = encodeAllReadouts(model, x, allNeeded);
  const fxOf = (r: Readout): tf.Tensor2D => fxAll[allNeeded.indexOf(r)]!;
  try {
    for (const [i, { task, family }] of chosen.right.entries()) {
      o.onTask?.(task, i, chosen.right.length);
      const main = headFor(o.part);
      if (E.isLeft(main)) return main;
      const rng = Rng.seeded(o.seed).fork('equivariance').fork(task);
      const thetas = Array.from({ length: x.shape[0] }, () => family.sample(rng));
      const shownNames = shownParams(family, c);
      const shown = shownNames.map((name) => family.paramNames.indexOf(name));
      const targets = paramsTensor(thetas.map((th) => shown.map((k) => th[k]!)), shown.length);
      const extra = readoutTasks.includes(task) ? (o.readouts ?? []) : [];
      const extraMlp = readoutTasks.includes(task) ? (o.mlpReadouts ?? []) : [];
      const needed = readoutsOf(task);
      // g_θ(x) chunk by chunk: a transformed copy of every image at once outgrows the wasm heap on RGB sets (colour jitter at 20,480 crops)
      const fgxAll = encodeAllReadouts(model, x, needed, encodeBatch, (chunk, s) => family.apply(chunk, thetas.slice(s, s + chunk.shape[0])));
      const fgxOf = (r: Readout): tf.Tensor2D => fgxAll[needed.indexOf(r)]!;
      try {
        const scored = scoreReadout(fxOf(o.part), fgxOf(o.part), targets, nTrain, main.right, rng.fork('head'));
        const byReadout: Partial<Record<Readout, number>> = {};
        for (const r of extra) {
          const ridge = asRegressor(ridgeFactory.right.create(), 'readouts');
          if (E.isLeft(ridge)) return ridge;
          byReadout[r] = scoreReadout(fxOf(r), fgxOf(r), targets, nTrain, ridge.right, rng.fork('head').fork(r)).r2;
        }
        const byReadoutMlp: Partial<Record<Readout, number>> = {};
        for (const r of extraMlp) {
          if (r === o.part) {
            byReadoutMlp[r] = scored.r2;
            continue;
          }
          const head = headFor(r);
          if (E.isLeft(head)) return head;
          byReadoutMlp[r] = scoreReadout(fxOf(r), fgxOf(r), targets, nTrain, head.right, rng.fork('head').fork(`mlp ${r}`)).r2;
        }
        results.push({
          task,
          paramNames: shownNames,
          r2: scored.r2,
          r2PerDimension: r2PerDimension(scored.targets, scored.predictions, shown.length),
          ...(extra.length > 0 ? { byReadout } : {}),
          ...(extraMlp.length > 0 ? { byReadoutMlp } : {}),
        });
      } finally {
        tf.dispose([targets, ...fgxAll]);
      }
    }
  } finally {
    tf.dispose([x, ...fxAll]);
  }
  return E.right(results);
};

const concatPixels = (a: Float32Array, b: Float32Array): Float32Array => {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** R² of θ from one readout of [f(x) ; f(g_θ x)]: the head is fitted on the first `nTrain` pairs and scored on the rest, then disposed. */
const scoreReadout = (
  fx: tf.Tensor2D,
  fgx: tf.Tensor2D,
  targets: tf.Tensor2D,
  nTrain: number,
  head: Regressor,
  rng: Rng,
): { r2: number; targets: Float32Array; predictions: Float32Array } => {
  const pairs = tf.concat([fx, fgx], 1) as tf.Tensor2D;
  const split = <T extends tf.Tensor>(t: T) => [tf.slice(t, 0, nTrain), tf.slice(t, nTrain)] as [T, T];
  const [trX, teX] = split(pairs);
  const [trY, teY] = split(targets);
  try {
    head.fit(trX, trY, rng);
    const pred = head.predict(teX);
    const t = teY.dataSync() as Float32Array;
    const p = pred.dataSync() as Float32Array;
    pred.dispose();
    return { r2: r2Scalar(t, p), targets: t, predictions: p };
  } finally {
    head.dispose();
    tf.dispose([pairs, trX, teX, trY, teY]);
  }
};
