/**
 * The equivariance suite (SIE; the paper's Table 2): for each family —
 * rotation, colour, blur, translation — draw θ for held-out images x, encode
 * x and g_θ(x) with the frozen encoder, concatenate the two feature vectors,
 * train the MLP regressor to predict θ on a train split, and report R² on a
 * test split (SIE's scalar R² and R² per parameter).
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, Rng } from '@equissl/core';
import type { Dataset } from '@equissl/data';
import { type HeadFactory, type Regressor, r2PerDimension, r2Scalar } from '@equissl/heads';
import type { PretrainModel } from '@equissl/pipeline';
import { type TransformFamily, paramsTensor, withImageSize } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { type FeaturePart, encodeAll } from './encoder.js';

/** The suite's families: the name in the report and the transform plugin. */
export const suiteFamilies = [
  { task: 'rotation', transform: 'rotation' },
  { task: 'colour', transform: 'colorJitter' },
  { task: 'blur', transform: 'gaussianBlur' },
  { task: 'translation', transform: 'translation' },
] as const;

/** One family's result. */
export interface FamilyResult {
  readonly task: string;
  readonly paramNames: ReadonlyArray<string>;
  readonly r2: number;
  readonly r2PerDimension: ReadonlyArray<number>;
}

/** Options of {@link equivarianceSuite}. */
export interface SuiteOptions {
  /** Images used (the first `images` of the dataset); 80 % train, 20 % test. */
  readonly images: number;
  readonly part: FeaturePart;
  readonly seed: number;
  readonly regressor: unknown;
  readonly tasks?: ReadonlyArray<string>;
  readonly onTask?: (task: string, index: number, total: number) => void;
}

/** Runs the suite on `dataset` (held-out images). */
export const equivarianceSuite = async (model: PretrainModel, dataset: Dataset, registry: Registry, o: SuiteOptions): Promise<E.Either<EquisslError, FamilyResult[]>> => {
  const n = Math.min(o.images, dataset.size);
  const raw = await dataset.read(Array.from({ length: n }, (_, i) => i))();
  if (E.isLeft(raw)) return raw;
  const [h, w, c] = dataset.imageShape;
  const x = tf.tensor4d(raw.right.pixels, [raw.right.indices.length, h, w, c]);
  const fx = encodeAll(model, x, o.part);
  const headFactory = registry.create('head', o.regressor, 'regressor');
  if (E.isLeft(headFactory)) return headFactory;
  const nTrain = Math.floor(0.8 * x.shape[0]);
  const results: FamilyResult[] = [];
  const chosen = suiteFamilies.filter((f) => o.tasks === undefined || o.tasks.includes(f.task));
  try {
    for (const [i, f] of chosen.entries()) {
      o.onTask?.(f.task, i, chosen.length);
      const created = registry.create('transform', withImageSize({ name: f.transform }, h), `families.${f.task}`);
      if (E.isLeft(created)) return created;
      const family = created.right as TransformFamily;
      const rng = Rng.seeded(o.seed).fork('equivariance').fork(f.task);
      const thetas = Array.from({ length: x.shape[0] }, () => family.sample(rng));
      const gx = family.apply(x, thetas);
      const fgx = encodeAll(model, gx, o.part);
      gx.dispose();
      const pairs = tf.concat([fx, fgx], 1) as tf.Tensor2D;
      fgx.dispose();
      const targets = paramsTensor(thetas, family.paramNames.length);
      const split = <T extends tf.Tensor>(t: T) => [tf.slice(t, 0, nTrain), tf.slice(t, nTrain)] as [T, T];
      const [trX, teX] = split(pairs);
      const [trY, teY] = split(targets);
      const head = (headFactory.right as HeadFactory).create() as Regressor;
      head.fit(trX, trY, rng.fork('head'));
      const pred = head.predict(teX);
      const t = teY.dataSync();
      const p = pred.dataSync();
      results.push({ task: f.task, paramNames: family.paramNames, r2: r2Scalar(t, p), r2PerDimension: r2PerDimension(t, p, family.paramNames.length) });
      head.dispose();
      tf.dispose([pairs, targets, trX, teX, trY, teY, pred]);
    }
  } finally {
    tf.dispose([x, fx]);
  }
  return E.right(results);
};
