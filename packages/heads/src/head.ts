/**
 * The two kinds of downstream head: classifiers (labels) and regressors
 * (continuous targets, e.g. transformation parameters θ), trained on frozen
 * features `[N, d]`. Heads own their tensors until `dispose`.
 *
 * @since 0.1.0
 */
import { type Plugin, type Rng, definePlugin } from '@equissl/core';
import type * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';

/** A classifier on frozen features. */
export interface Classifier {
  readonly kind: 'classifier';
  /** Trains on features `[N, d]` and labels in [0, numClasses). */
  readonly fit: (features: tf.Tensor2D, labels: Int32Array, numClasses: number, rng: Rng) => void;
  /** Predicted labels. */
  readonly predict: (features: tf.Tensor2D) => Int32Array;
  readonly dispose: () => void;
}

/** A regressor on frozen features. */
export interface Regressor {
  readonly kind: 'regressor';
  /** Trains on features `[N, d]` and targets `[N, m]`. */
  readonly fit: (features: tf.Tensor2D, targets: tf.Tensor2D, rng: Rng) => void;
  /** Predictions `[N, m]` (the caller disposes them). */
  readonly predict: (features: tf.Tensor2D) => tf.Tensor2D;
  readonly dispose: () => void;
}

/** What a head plugin creates: a fresh, untrained head each call. */
export interface HeadFactory<H extends Classifier | Regressor = Classifier | Regressor> {
  readonly create: () => H;
}

/**
 * A head plugin from its config codec and a function making one fresh head
 * from a decoded config: every `create` call of the factory trains from scratch.
 */
export const defineHead = <const N extends string, C, H extends Classifier | Regressor>(
  name: N,
  description: string,
  config: t.Decoder<unknown, C>,
  make: (config: C) => H,
): Plugin<'head', N, C, HeadFactory<H>> =>
  definePlugin({ kind: 'head', name, description, config, create: (c: C) => E.right({ create: () => make(c) }) });
