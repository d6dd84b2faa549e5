/**
 * `knn`: weighted k-nearest-neighbour classification on L2-normalised
 * features (Wu et al. 2018, as in DINO): the k most cosine-similar training
 * features vote for their label with weight exp(similarity / τ).
 * Defaults k = 20, τ = 0.07.
 *
 * @since 0.1.0
 */
import { positive, positiveInt, struct } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import type * as t from 'io-ts';
import { type Classifier, defineHead } from './head.js';

export const KnnConfig = struct('knn', { k: positiveInt, temperature: positive, chunk: positiveInt }, { k: 20, temperature: 0.07, chunk: 256 });
export type KnnConfig = t.TypeOf<typeof KnnConfig>;

const normalise = (x: tf.Tensor2D): tf.Tensor2D => tf.div(x, tf.add(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;

/** A k-NN classifier (training keeps the normalised features). */
export const knnClassifier = (c: KnnConfig): Classifier => {
  let bank: { keysT: tf.Tensor2D; labels: Int32Array; classes: number } | undefined;
  return {
    kind: 'classifier',
    fit: (features, labels, numClasses) => {
      bank = { keysT: tf.tidy(() => tf.transpose(normalise(features))), labels: Int32Array.from(labels), classes: numClasses };
    },
    predict: (features) => {
      const b = bank!;
      const k = Math.min(c.k, b.labels.length);
      const out = new Int32Array(features.shape[0]);
      for (let start = 0; start < features.shape[0]; start += c.chunk) {
        const size = Math.min(c.chunk, features.shape[0] - start);
        const { values, indices } = tf.tidy(() => {
          const q = normalise(tf.slice(features, [start, 0], [size, -1]));
          const top = tf.topk(tf.matMul(q, b.keysT), k);
          return { values: top.values.dataSync(), indices: top.indices.dataSync() };
        });
        for (let i = 0; i < size; i++) {
          const votes = new Float64Array(b.classes);
          for (let j = 0; j < k; j++) votes[b.labels[indices[i * k + j]!]!]! += Math.exp(values[i * k + j]! / c.temperature);
          let best = 0;
          for (let cl = 1; cl < b.classes; cl++) if (votes[cl]! > votes[best]!) best = cl;
          out[start + i] = best;
        }
      }
      return out;
    },
    dispose: () => {
      if (bank) bank.keysT.dispose();
    },
  };
};

/** The `knn` head plugin. */
export const knn = defineHead('knn', 'weighted k-NN on cosine similarity (k = 20, τ = 0.07)', KnnConfig, knnClassifier);
