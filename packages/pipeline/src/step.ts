/**
 * One training step of the method, the one way through:
 *
 *   images → views v1 = A1(x), u = A2(x) → v2 = g_θ(u), targets u_k = g(kθ/(K+1))(u)
 *   → encoder on [v1; v2] → neck → split [z_inv | z_equi]
 *   → L_ssl(cls_inv(v1), cls_inv(v2)) + λ · L_rec([z1_equi ; z2_equi] → û_k vs u_k)
 *   → gradients → AdamW.
 *
 * The augmentation draws of step s come from `Rng.seeded(seed).fork('augment').fork(s)`,
 * so a resumed run draws exactly what an uninterrupted one would.
 * A non-finite term stops before the update, naming the term and the step.
 *
 * @since 0.1.0
 */
import { type NonFiniteLoss, Rng, nonFiniteLoss, splitFeatures } from '@equissl/core';
import { augmentView, samplePath } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type { AdamW } from './adamw.js';
import type { PretrainConfig } from './config.js';
import type { PretrainModel } from './model.js';
import { warmupCosine } from './schedule.js';

/** What one step reports (plain numbers). */
export interface StepMetrics {
  readonly step: number;
  readonly lr: number;
  readonly loss: number;
  readonly terms: Readonly<Record<string, number>>;
}

/** The inputs of one step, derived from a batch. */
export interface StepViews {
  readonly v1: tf.Tensor4D;
  readonly u: tf.Tensor4D;
  readonly v2: tf.Tensor4D;
  readonly targets: ReadonlyArray<tf.Tensor4D>;
  readonly thetas: ReadonlyArray<ReadonlyArray<number>>;
}

/** The generator of step `step`'s augmentation draws. */
export const stepRng = (seed: number, step: number): Rng => Rng.seeded(seed).fork('augment').fork(step);

/**
 * Builds v1, u, v2 = g_θ(u) and the K targets for a batch. An `augment`
 * family transforms v2 after the path, v2 = a(g_θ(u)); the targets stay
 * exact points of the path from u, so no untracked transformation is baked
 * into what the decoders must produce.
 */
export const makeViews = (model: PretrainModel, config: PretrainConfig, images: tf.Tensor4D, rng: Rng): StepViews => {
  const v1 = augmentView(images, config.views, rng).images;
  const u = augmentView(images, config.views, rng).images;
  const k = model.reconstruction?.k ?? 0;
  const path = samplePath(model.family, u, rng, k);
  let v2 = path.transformed;
  if (model.augment !== undefined) {
    const family = model.augment;
    v2 = family.apply(path.transformed, Array.from({ length: u.shape[0] }, () => family.sample(rng)));
    path.transformed.dispose();
  }
  return { v1, u, v2, targets: path.targets, thetas: path.thetas };
};

/**
 * How a data-parallel replica sees the batch: `gather` returns the pooled
 * embeddings of the whole batch (its own shard still on the tape, the others
 * as constants), and its shard's reconstruction loss counts `recShare` of the
 * batch's. A single process gathers nothing and counts all.
 */
export interface ShardView {
  readonly gather: (z1: tf.Tensor2D, z2: tf.Tensor2D) => { z1: tf.Tensor2D; z2: tf.Tensor2D };
  readonly recShare: number;
}

const wholeBatch: ShardView = { gather: (z1, z2) => ({ z1, z2 }), recShare: 1 };

/** Forward pass and every loss term for prepared views (inside a tape or not). */
export const computeLosses = (
  model: PretrainModel,
  views: StepViews,
  lossState: unknown,
  step: number,
  shard: ShardView = wholeBatch,
): { total: tf.Scalar; terms: Record<string, tf.Scalar>; lossState: unknown; reconstructions: tf.Tensor4D[] } => {
  const b = views.v1.shape[0];
  const enc = model.neck(model.backbone.forward(tf.concat([views.v1, views.v2], 0) as tf.Tensor4D));
  const pooled = splitFeatures(enc.cls, model.dEqui, 'cls token');
  if (E.isLeft(pooled)) throw new Error(pooled.left.message);
  const [z1, z2] = tf.split(pooled.right.inv, [b, b], 0) as [tf.Tensor2D, tf.Tensor2D];
  const ssl = model.loss.compute(lossState, { ...shard.gather(z1, z2), step });
  const terms: Record<string, tf.Scalar> = { ssl: ssl.loss };
  for (const [name, value] of Object.entries(ssl.terms)) terms[`ssl.${name}`] = value;
  let total = ssl.loss;
  let reconstructions: tf.Tensor4D[] = [];
  if (model.reconstruction !== undefined) {
    const tokens = splitFeatures(enc.patches, model.dEqui, 'patch tokens');
    if (E.isLeft(tokens)) throw new Error(tokens.left.message);
    const [e1, e2] = tf.split(tokens.right.equi, [b, b], 0) as [tf.Tensor3D, tf.Tensor3D];
    const rec = model.reconstruction.compute(e1, e2, views.targets);
    terms['rec'] = rec.loss;
    rec.perDecoder.forEach((l, i) => (terms[`rec.k${i + 1}`] = l));
    total = tf.add(total, tf.mul(model.reconstructionWeight * shard.recShare, rec.loss)) as tf.Scalar;
    reconstructions = rec.reconstructions;
  }
  terms['total'] = total;
  return { total, terms, lossState: ssl.state, reconstructions };
};

/** Runs step `step` on `images`: views, losses, gradients, AdamW. Returns the metrics and the next loss state. */
export const trainStep = (
  model: PretrainModel,
  optimizer: AdamW,
  config: PretrainConfig,
  images: tf.Tensor4D,
  step: number,
  lossState: unknown,
): E.Either<NonFiniteLoss, { metrics: StepMetrics; lossState: unknown }> => {
  // every op behind makeViews tidies its own intermediates: only the views themselves are new
  const views = makeViews(model, config, images, stepRng(config.seed, step));
  try {
    return trainStepOnViews(model, optimizer, config, views, step, lossState);
  } finally {
    tf.dispose([views.v1, views.u, views.v2, ...views.targets]);
  }
};

/**
 * Losses and gradients for prepared views: every term as a number, the
 * gradients keyed by variable id (the caller disposes them), the next loss state.
 */
export const lossGradients = (
  model: PretrainModel,
  views: StepViews,
  lossState: unknown,
  step: number,
  shard: ShardView = wholeBatch,
): { grads: tf.NamedTensorMap; terms: Record<string, number>; lossState: unknown } => {
  let kept: Record<string, tf.Scalar> = {};
  let next: unknown = lossState;
  const { grads } = tf.variableGrads(() => {
    const r = computeLosses(model, views, lossState, step, shard);
    kept = Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, tf.keep(v)]));
    next = r.lossState;
    return r.total;
  }, model.store.variables());
  const terms = Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, v.dataSync()[0]!]));
  tf.dispose(Object.values(kept));
  return { grads, terms, lossState: next };
};

/** The most specific non-finite term — sub-terms (ssl.x, rec.k1) before their sums, total last — if any. */
export const firstNonFinite = (terms: Readonly<Record<string, number>>): [string, number] | undefined => {
  const specificity = (k: string) => (k === 'total' ? 2 : k.includes('.') ? 0 : 1);
  return Object.entries(terms)
    .sort(([a], [b]) => specificity(a) - specificity(b))
    .find(([, v]) => !Number.isFinite(v));
};

/** Losses, gradients and AdamW for prepared views (the part `equissl bench` times). */
export const trainStepOnViews = (
  model: PretrainModel,
  optimizer: AdamW,
  config: PretrainConfig,
  views: StepViews,
  step: number,
  lossState: unknown,
): E.Either<NonFiniteLoss, { metrics: StepMetrics; lossState: unknown }> => {
  const o = config.optimizer;
  const lr = warmupCosine(step, config.steps, o.lr, o.minLr, o.warmupSteps);
  const { grads, terms, lossState: next } = lossGradients(model, views, lossState, step);
  const bad = firstNonFinite(terms);
  if (bad !== undefined) {
    tf.dispose(Object.values(grads));
    return E.left(nonFiniteLoss(bad[0], step, bad[1]));
  }
  optimizer.apply(grads, lr);
  tf.dispose(Object.values(grads));
  return E.right({ metrics: { step, lr, loss: terms['total']!, terms }, lossState: next });
};
