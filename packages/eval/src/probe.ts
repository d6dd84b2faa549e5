/**
 * The invariant tasks: linear probe and k-NN top-1 accuracy of frozen
 * features on a labelled train/test pair of datasets.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, Rng, configError } from '@equissl/core';
import type { Dataset } from '@equissl/data';
import { accuracy } from '@equissl/heads';
import { type Encoder, type Readout, encodeAll } from '@equissl/encoder';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { asClassifier } from './head-kind.js';
import { type ImageCounts, pairCounts } from './image-counts.js';

/** Features and labels of the first `limit` images of a labelled dataset. */
export const labelledFeatures = async (
  model: Encoder,
  dataset: Dataset,
  limit: number,
  part: Readout,
): Promise<E.Either<EquisslError, { features: tf.Tensor2D; labels: Int32Array; classes: number }>> => {
  if (dataset.classNames === undefined) return E.left(configError('data', `${dataset.source} has no labels; use a labelled set (idx, cifar-binary, image-folder with class sub-folders, procedural)`));
  const n = Math.min(limit, dataset.size);
  const [h, w, c] = dataset.imageShape;
  const parts: tf.Tensor2D[] = [];
  const labels: number[] = [];
  for (let s = 0; s < n; s += 256) {
    const raw = await dataset.read(Array.from({ length: Math.min(256, n - s) }, (_, i) => s + i))();
    if (E.isLeft(raw)) {
      tf.dispose(parts);
      return raw;
    }
    const images = tf.tensor4d(raw.right.pixels, [raw.right.indices.length, h, w, c]);
    parts.push(encodeAll(model, images, part));
    images.dispose();
    labels.push(...raw.right.labels!);
  }
  const features = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return E.right({ features, labels: Int32Array.from(labels), classes: dataset.classNames.length });
};

/** Frozen features and labels of a train and a test set, encoded once for every head scored on them. */
export interface ProbeFeatures {
  readonly train: { readonly features: tf.Tensor2D; readonly labels: Int32Array; readonly classes: number };
  readonly test: { readonly features: tf.Tensor2D; readonly labels: Int32Array };
  /** The images asked for and encoded: fewer than asked where a split holds fewer. */
  readonly counts: ImageCounts;
  readonly dispose: () => void;
}

/** Encodes the first `trainImages` of `train` and `testImages` of `test`. */
export const probeFeatures = async (
  model: Encoder,
  train: Dataset,
  test: Dataset,
  o: { readonly trainImages: number; readonly testImages: number; readonly part: Readout },
): Promise<E.Either<EquisslError, ProbeFeatures>> => {
  const tr = await labelledFeatures(model, train, o.trainImages, o.part);
  if (E.isLeft(tr)) return tr;
  const te = await labelledFeatures(model, test, o.testImages, o.part);
  if (E.isLeft(te)) {
    tr.right.features.dispose();
    return te;
  }
  const counts = pairCounts({ train: o.trainImages, test: o.testImages }, { train: tr.right.labels.length, test: te.right.labels.length });
  return E.right({ train: tr.right, test: te.right, counts, dispose: () => tf.dispose([tr.right.features, te.right.features]) });
};

/** Top-1 accuracy on `features.test` of the head plugin `head` trained on `features.train`. */
export const probeAccuracy = (registry: Registry, head: unknown, features: ProbeFeatures, seed: number): E.Either<EquisslError, number> => {
  const factory = registry.create('head', head, 'head');
  if (E.isLeft(factory)) return factory;
  const classifier = asClassifier(factory.right.create(), 'head');
  if (E.isLeft(classifier)) return classifier;
  try {
    classifier.right.fit(features.train.features, features.train.labels, features.train.classes, Rng.seeded(seed).fork('probe'));
    return E.right(accuracy(features.test.labels, classifier.right.predict(features.test.features)));
  } finally {
    classifier.right.dispose();
  }
};
