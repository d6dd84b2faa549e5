/**
 * The invariant tasks: linear probe and k-NN top-1 accuracy of frozen
 * features on a labelled train/test pair of datasets.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, Rng, configError } from '@equissl/core';
import type { Dataset } from '@equissl/data';
import { type Classifier, type HeadFactory, accuracy } from '@equissl/heads';
import type { PretrainModel } from '@equissl/pipeline';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { type FeaturePart, encodeAll } from './encoder.js';

/** Features and labels of the first `limit` images of a labelled dataset. */
export const labelledFeatures = async (
  model: PretrainModel,
  dataset: Dataset,
  limit: number,
  part: FeaturePart,
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

/** Top-1 accuracy of the head plugin `head` trained on `train` and scored on `test`. */
export const probeAccuracy = async (
  model: PretrainModel,
  registry: Registry,
  head: unknown,
  train: Dataset,
  test: Dataset,
  o: { readonly trainImages: number; readonly testImages: number; readonly part: FeaturePart; readonly seed: number },
): Promise<E.Either<EquisslError, number>> => {
  const factory = registry.create('head', head, 'head');
  if (E.isLeft(factory)) return factory;
  const tr = await labelledFeatures(model, train, o.trainImages, o.part);
  if (E.isLeft(tr)) return tr;
  const te = await labelledFeatures(model, test, o.testImages, o.part);
  if (E.isLeft(te)) {
    tr.right.features.dispose();
    return te;
  }
  const classifier = (factory.right as HeadFactory).create() as Classifier;
  classifier.fit(tr.right.features, tr.right.labels, tr.right.classes, Rng.seeded(o.seed).fork('probe'));
  const acc = accuracy(te.right.labels, classifier.predict(te.right.features));
  classifier.dispose();
  tf.dispose([tr.right.features, te.right.features]);
  return E.right(acc);
};
