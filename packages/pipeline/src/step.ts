/**
 * One training step of the method, the one way through — the same function
 * for a single process and for every data-parallel replica:
 *
 *   images → views v1 = A1(x), u = A2(x) (own crops, or one shared crop) → v2 = g_θ(u), targets u_k = g(kθ/(K+1))(u)
 *   → encoder on [v1; v2] (masked, for losses that need tokenMasks) → neck
 *   → split [z_inv | z_equi] → what the loss declared it needs (tokens, θ,
 *     the equivariant part, the EMA teacher's targets)
 *   → L_ssl + λ · L_rec([z1_equi ; z2_equi] → û_k vs u_k)
 *   → gradients → (all-reduce) → AdamW → EMA teacher update.
 *
 * A {@link Collective} is all that differs between one process and a
 * replica: how the loss's inputs are gathered across the batch and how
 * gradients are summed. The augmentation draws of step s come from
 * `Rng.seeded(seed).fork('augment').fork(s)` (forked by rank in replicas), so
 * a resumed run draws exactly what an uninterrupted one would. A non-finite
 * term stops before the update, naming the term and the step.
 *
 * @since 0.1.0
 */
import { type NonFiniteLoss, Rng, nonFiniteLoss, splitFeatures } from '@equissl/core';
import { type LossInputs, type ViewFeatures, teacherMomentumAt } from '@equissl/losses';
import { augmentPair, samplePath, scaledParams } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type { AdamW } from './adamw.js';
import type { PretrainConfig } from '@equissl/encoder';
import { type PretrainModel, updateTeacher } from './model.js';
import { warmupCosine } from './schedule.js';
import { sampleTokenMasks } from './token-masks.js';

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
  /** `[B, N]` patch masks of v1 and v2 (1 = masked), when the loss needs `tokenMasks`. */
  readonly masks?: readonly [tf.Tensor2D, tf.Tensor2D];
}

/** Every tensor of prepared views, for disposal. */
export const viewTensors = (v: StepViews): tf.Tensor[] => [v.v1, v.u, v.v2, ...v.targets, ...(v.masks ?? [])];

/** The generator of step `step`'s augmentation draws. */
export const stepRng = (seed: number, step: number): Rng => Rng.seeded(seed).fork('augment').fork(step);

/**
 * Builds v1, u, v2 = g_θ(u) and the K targets for a batch. An `augment`
 * family transforms v2 after the path, v2 = a(g_θ(u)); the targets stay
 * exact points of the path from u, so no untracked transformation is baked
 * into what the decoders must produce.
 */
export const makeViews = (model: PretrainModel, config: PretrainConfig, images: tf.Tensor4D, rng: Rng): StepViews => {
  const aligned = model.sslLoss.needs.includes('alignedPairs');
  const [v1, u] = augmentPair(images, config.views, rng, aligned);
  const k = model.reconstruction?.k ?? 0;
  const path = samplePath(model.family, u, rng, k, aligned);
  let v2 = path.transformed;
  if (model.augment !== undefined) {
    const family = model.augment;
    v2 = family.apply(path.transformed, Array.from({ length: u.shape[0] }, () => family.sample(rng)));
    path.transformed.dispose();
  }
  const masking = model.sslLoss.needs.includes('tokenMasks') ? model.sslLoss.masking : undefined;
  const b = u.shape[0];
  const masks = masking === undefined ? undefined : ([sampleTokenMasks(b, model.backbone.grid, masking, rng), sampleTokenMasks(b, model.backbone.grid, masking, rng)] as const);
  return { v1, u, v2, targets: path.targets, thetas: path.thetas, ...(masks === undefined ? {} : { masks }) };
};

/**
 * What differs between one process and a data-parallel replica. `gather`
 * turns each `[b, …]` tensor of this process's shard into the whole batch's
 * `[B, …]` (its own rows still on the gradient tape, the others constants), so
 * batch-level losses see the whole batch; `allReduce` sums the gradients of
 * all replicas and says whether any had a non-finite term.
 */
export interface Collective {
  /** Replicas (1 for a single process). */
  readonly world: number;
  /** Every tensor of `parts` (this shard's rows) concatenated over the replicas along the batch, key by key. */
  readonly gather: <P extends GatherParts<P>>(parts: P) => P;
  readonly allReduce: (grads: tf.NamedTensorMap, bad: boolean) => { grads: tf.NamedTensorMap; anyBad: boolean };
}

/** What {@link Collective.gather} exchanges: an object of named tensors (or absent ones) whose first axis is the batch. */
export type GatherParts<P> = { readonly [K in keyof P]: tf.Tensor | undefined };

/** The collective of a single process: the shard is the batch. */
export const singleProcess: Collective = { world: 1, gather: (parts) => ({ ...parts }), allReduce: (grads, bad) => ({ grads, anyBad: bad }) };

/** The loss's features of encoded `[v1; v2]` (`b` images each): what its needs ask for, split into the two views. */
const viewFeatures = (model: PretrainModel, enc: { cls: tf.Tensor2D; patches: tf.Tensor3D }, b: number): ViewFeatures => {
  const needs = model.sslLoss.needs;
  const split = <T extends tf.Tensor>(x: T) => tf.split(x, [b, b], 0) as [T, T];
  const pooled = splitFeatures(enc.cls, model.dEqui, 'cls token');
  if (E.isLeft(pooled)) throw new Error(pooled.left.message);
  const [z1, z2] = split(pooled.right.inv);
  const [e1, e2] = needs.includes('equivariantPart') ? split(pooled.right.equi) : [];
  let tokens: [tf.Tensor3D, tf.Tensor3D] | [] = [];
  if (needs.includes('patchTokens')) {
    const t = splitFeatures(enc.patches, model.dEqui, 'patch tokens');
    if (E.isLeft(t)) throw new Error(t.left.message);
    tokens = split(t.right.inv);
  }
  return { z1, z2, ...(e1 && e2 ? { e1, e2 } : {}), ...(tokens.length === 2 ? { tokens1: tokens[0], tokens2: tokens[1] } : {}) };
};

/**
 * The teacher's targets for prepared views (undefined without a teacher):
 * the EMA teacher encodes the unmasked views, its features are gathered over
 * the batch and its copy of the loss turns them into targets. No gradients.
 */
export const teacherTargets = (model: PretrainModel, views: StepViews, lossState: unknown, step: number, collective: Collective = singleProcess): unknown => {
  const teacher = model.teacher;
  if (teacher === undefined) return undefined;
  return tf.tidy(() => {
    const b = views.v1.shape[0];
    const features = collective.gather(viewFeatures(model, teacher.encode(tf.concat([views.v1, views.v2], 0) as tf.Tensor4D), b));
    return teacher.loss.teach!(lossState, features, step) as tf.TensorContainer;
  });
};

/** Forward pass and every loss term for prepared views (inside a tape or not). */
export const computeLosses = (
  model: PretrainModel,
  views: StepViews,
  lossState: unknown,
  step: number,
  collective: Collective = singleProcess,
  teacher: unknown = teacherTargets(model, views, lossState, step, collective),
): { total: tf.Scalar; terms: Record<string, tf.Scalar>; lossState: unknown; reconstructions: tf.Tensor4D[] } => {
  const b = views.v1.shape[0];
  const needs = model.sslLoss.needs;
  const masks = views.masks === undefined ? undefined : (tf.concat([...views.masks], 0) as tf.Tensor2D);
  const enc = model.neck(model.backbone.forward(tf.concat([views.v1, views.v2], 0) as tf.Tensor4D, masks === undefined ? {} : { tokenMask: masks }));
  if (needs.includes('tokenMasks') && views.masks === undefined) throw new Error(`loss "${model.lossName}" needs token masks, but the views have none`);
  const own: Omit<LossInputs, 'step' | 'teacher'> = {
    ...viewFeatures(model, enc, b),
    ...(needs.includes('tokenMasks') && views.masks !== undefined ? { masks1: views.masks[0], masks2: views.masks[1] } : {}),
    ...(needs.includes('transformParams') ? { transformParams: scaledParams(model.family, views.thetas) } : {}),
  };
  const inputs: LossInputs = { ...collective.gather(own), step, ...(teacher === undefined ? {} : { teacher }) };
  const ssl = model.loss.compute(lossState, inputs);
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
    // each replica's reconstruction loss covers its shard: the sum over replicas is the batch's
    total = tf.add(total, tf.mul(model.reconstructionWeight / collective.world, rec.loss)) as tf.Scalar;
    reconstructions = rec.reconstructions;
  }
  terms['total'] = total;
  return { total, terms, lossState: ssl.state, reconstructions };
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
  collective: Collective = singleProcess,
): { grads: tf.NamedTensorMap; terms: Record<string, number>; lossState: unknown } => {
  const teacher = teacherTargets(model, views, lossState, step, collective);
  let kept: Record<string, tf.Scalar> = {};
  let next: unknown = lossState;
  try {
    const { grads } = tf.variableGrads(() => {
      const r = computeLosses(model, views, lossState, step, collective, teacher);
      kept = Object.fromEntries(Object.entries(r.terms).map(([k, v]) => [k, tf.keep(v)]));
      next = r.lossState;
      return r.total;
    }, model.store.variables());
    const terms = Object.fromEntries(Object.entries(kept).map(([k, v]) => [k, v.dataSync()[0]!]));
    return { grads, terms, lossState: next };
  } finally {
    tf.dispose(Object.values(kept));
    if (teacher !== undefined) tf.dispose(teacher as tf.TensorContainer);
  }
};

/** The most specific non-finite term — sub-terms (ssl.x, rec.k1) before their sums, total last — if any. */
export const firstNonFinite = (terms: Readonly<Record<string, number>>): [string, number] | undefined => {
  const specificity = (k: string) => (k === 'total' ? 2 : k.includes('.') ? 0 : 1);
  return Object.entries(terms)
    .sort(([a], [b]) => specificity(a) - specificity(b))
    .find(([, v]) => !Number.isFinite(v));
};

/** The global L2 norm of the gradients, and the parameter with the largest (or first non-finite) share. */
export const gradientNorm = (model: PretrainModel, grads: tf.NamedTensorMap): { value: number; largest: string } => {
  const present = model.store.entries().filter(([, v]) => grads[v.name] !== undefined);
  if (present.length === 0) return { value: 0, largest: '(none)' };
  const squares = tf.tidy(() => tf.stack(present.map(([, v]) => tf.sum(tf.square(grads[v.name]!)))));
  const sums = squares.dataSync();
  squares.dispose();
  let total = 0;
  let largest = 0;
  for (let i = 0; i < sums.length; i++) {
    total += sums[i]!;
    if (Number.isFinite(sums[largest]!) && !(sums[i]! <= sums[largest]!)) largest = i;
  }
  return { value: Math.sqrt(total), largest: present[largest]![0] };
};

/**
 * The step on prepared views: losses, gradients, all-reduce, AdamW and the
 * teacher's EMA update. Returns the metrics and the next loss state, or the
 * first non-finite term (no update is applied then, on any replica).
 */
export const stepOnViews = (
  model: PretrainModel,
  optimizer: AdamW,
  config: PretrainConfig,
  views: StepViews,
  step: number,
  lossState: unknown,
  collective: Collective = singleProcess,
): E.Either<NonFiniteLoss, { metrics: StepMetrics; lossState: unknown }> => {
  const o = config.optimizer;
  const lr = warmupCosine(step, config.steps, o.lr, o.minLr, o.warmupSteps);
  const { grads, terms, lossState: next } = lossGradients(model, views, lossState, step, collective);
  const bad = firstNonFinite(terms);
  const reduced = collective.allReduce(grads, bad !== undefined);
  if (reduced.grads !== grads) tf.dispose(Object.values(grads));
  if (reduced.anyBad) {
    tf.dispose(Object.values(reduced.grads));
    return E.left(bad === undefined ? nonFiniteLoss('(another replica)', step, Number.NaN) : nonFiniteLoss(bad[0], step, bad[1]));
  }
  // finite losses can still give gradients whose squares overflow the optimizer's moments: stop before they reach them
  const norm = gradientNorm(model, reduced.grads);
  if (!Number.isFinite(norm.value)) {
    tf.dispose(Object.values(reduced.grads));
    return E.left(nonFiniteLoss(`gradient norm (largest: ${norm.largest})`, step, norm.value));
  }
  terms['gradNorm'] = norm.value;
  optimizer.apply(reduced.grads, lr);
  tf.dispose(Object.values(reduced.grads));
  if (model.teacher !== undefined) updateTeacher(model, teacherMomentumAt(model.teacher.momentum, step, config.steps));
  return E.right({ metrics: { step, lr, loss: terms['total']!, terms }, lossState: next });
};

/** Runs step `step` on a batch of `images`: views (from `rng`, by default the step's), then {@link stepOnViews}. */
export const trainStep = (
  model: PretrainModel,
  optimizer: AdamW,
  config: PretrainConfig,
  images: tf.Tensor4D,
  step: number,
  lossState: unknown,
  collective: Collective = singleProcess,
  rng: Rng = stepRng(config.seed, step),
): E.Either<NonFiniteLoss, { metrics: StepMetrics; lossState: unknown }> => {
  // every op behind makeViews tidies its own intermediates: only the views themselves are new
  const views = makeViews(model, config, images, rng);
  try {
    return stepOnViews(model, optimizer, config, views, step, lossState, collective);
  } finally {
    tf.dispose(viewTensors(views));
  }
};
