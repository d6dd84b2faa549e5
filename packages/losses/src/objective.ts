/**
 * The interface every SSL loss plugin implements.
 *
 * A loss declares what it needs from the training step (`needs`) and the
 * step prepares exactly that, nothing else. It threads its state explicitly:
 * `build` defines its trainable parameters (projectors, heads, predictors)
 * and returns the initial state; `compute(state, inputs)` returns the loss,
 * its named terms and the next state. Stateless losses use `null`; a state
 * must be plain JSON (numbers, arrays, objects), since checkpoints store it.
 *
 * A loss that needs a `teacher` is built twice: once in the student's
 * parameters and once in the teacher's, an exponential moving average of the
 * student's backbone, neck and loss parameters that never receives
 * gradients. Each step the teacher's copy runs `teach` on the teacher's
 * features of the unmasked views; what it returns reaches the student's
 * `compute` as `inputs.teacher`.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import type { ParamStore } from '@equissl/nn';
import type * as tf from '@tensorflow/tfjs';

// -------------------------------------------------------------------------------------
// needs
// -------------------------------------------------------------------------------------

/**
 * What a loss can ask the step to prepare besides the pooled invariant
 * embeddings `z1`, `z2`:
 *
 * - `patchTokens`: the invariant part of the patch tokens (`tokens1`, `tokens2`);
 * - `equivariantPart`: the pooled equivariant part (`e1`, `e2`);
 * - `teacher`: an EMA teacher (see {@link SslLoss.teacherMomentum}) whose `teach` output arrives as `teacher`;
 * - `tokenMasks`: block-wise patch masks (`masks1`, `masks2`), applied to the student's views only;
 * - `transformParams`: θ of view 2's transformation, scaled per parameter (`transformParams`);
 * - `alignedPairs`: images 2i and 2i + 1 of a batch share one transformation draw, and each view's crop, colour
 *   jitter and grayscale draws.
 */
export type LossNeed = 'patchTokens' | 'equivariantPart' | 'teacher' | 'tokenMasks' | 'transformParams' | 'alignedPairs';

/** Every need, in the order listings show them. */
export const lossNeeds: ReadonlyArray<LossNeed> = ['patchTokens', 'equivariantPart', 'teacher', 'tokenMasks', 'transformParams', 'alignedPairs'];

// -------------------------------------------------------------------------------------
// inputs and results
// -------------------------------------------------------------------------------------

/** The two views' features, as a loss (or its teacher) sees them; `[B, …]` for the whole batch. */
export interface ViewFeatures {
  /** Invariant part of view 1's pooled (cls) token, `[B, dim]`. */
  readonly z1: tf.Tensor2D;
  /** Invariant part of view 2's pooled (cls) token, `[B, dim]`. */
  readonly z2: tf.Tensor2D;
  /** Invariant part of view 1's patch tokens `[B, N, dim]` (`patchTokens`). */
  readonly tokens1?: tf.Tensor3D;
  /** Invariant part of view 2's patch tokens `[B, N, dim]` (`patchTokens`). */
  readonly tokens2?: tf.Tensor3D;
  /** Equivariant part of view 1's pooled token `[B, equiDim]` (`equivariantPart`). */
  readonly e1?: tf.Tensor2D;
  /** Equivariant part of view 2's pooled token `[B, equiDim]` (`equivariantPart`). */
  readonly e2?: tf.Tensor2D;
}

/** What the step hands a loss's `compute`. */
export interface LossInputs<T = unknown> extends ViewFeatures {
  /** The optimizer step (for schedules such as temperatures). */
  readonly step: number;
  /** What the teacher's `teach` returned for this batch (`teacher`). */
  readonly teacher?: T;
  /** `[B, N]`, 1 where view 1's patch was masked (`tokenMasks`). */
  readonly masks1?: tf.Tensor2D;
  /** `[B, N]`, 1 where view 2's patch was masked (`tokenMasks`). */
  readonly masks2?: tf.Tensor2D;
  /** `[B, P]`: (θ − identity) / scale of view 2's transformation (`transformParams`). */
  readonly transformParams?: tf.Tensor2D;
}

/** What a loss returns. */
export interface LossResult<S> {
  readonly loss: tf.Scalar;
  /** Named unweighted terms and diagnostics, for logs (`invariance`, `teacherEntropy` …). */
  readonly terms: Readonly<Record<string, tf.Scalar>>;
  readonly state: S;
}

// -------------------------------------------------------------------------------------
// model
// -------------------------------------------------------------------------------------

/** The widths a loss is built for. */
export interface LossShape {
  /** Width of the invariant features (`z1`, `tokens1`). */
  readonly dim: number;
  /** Width of the equivariant part (`e1`); 0 when the split leaves none. */
  readonly equiDim: number;
  /** Patch tokens per image. */
  readonly tokens: number;
  /** Length P of `transformParams`. */
  readonly transformDim: number;
}

/**
 * Block-wise token masking (iBOT, DINOv2): each image of a view is masked
 * with `probability`; a masked image hides a fraction of its patches drawn
 * from U(minRatio, maxRatio), in rectangular blocks (BEiT's generator).
 */
export interface TokenMasking {
  readonly probability: number;
  readonly minRatio: number;
  readonly maxRatio: number;
}

/** A loss with its parameters defined: its initial state and its computation. */
export interface BoundLoss<S = unknown, T = unknown> {
  readonly initialState: S;
  // method signatures (not function-typed properties) so that a loss of any state type is a `BoundLoss` in the registry
  compute(state: S, inputs: LossInputs<T>): LossResult<S>;
  /** The teacher's side (losses that need `teacher`): targets from the teacher's features, computed without gradients. */
  teach?(state: S, features: ViewFeatures, step: number): T;
}

/** What a loss plugin creates. */
export interface SslLoss<S = unknown, T = unknown> {
  readonly name: string;
  readonly needs: ReadonlyArray<LossNeed>;
  /**
   * The smallest batch the loss can compute on (default 2: variances,
   * covariances, batch norm and negatives need two samples). A config with
   * a smaller `batchSize` is refused before training.
   */
  readonly minBatch?: number;
  /** The equivariant share of the split when the config leaves `equiFraction` unset (default 0.5; the iBOT / DINOv2 heads: 0.25). */
  readonly equiFraction?: number;
  /**
   * With `teacher`: the EMA momentum at step 0, raised to 1 along a cosine
   * over the run (iBOT 0.996, DINOv2 0.992).
   */
  readonly teacherMomentum?: number;
  /** With `tokenMasks`: how the step masks each view's patches. */
  readonly masking?: TokenMasking;
  /**
   * Defines parameters under `prefix` (initialised from `rng`) and returns
   * the bound loss. The pipeline checks the shape against `needs` first (a
   * loss that needs `equivariantPart` gets `equiDim > 0`).
   */
  readonly build: (shape: LossShape, store: ParamStore, rng: Rng, prefix: string) => BoundLoss<S, T>;
}

/** The momentum of the teacher at `step` of `steps`: m = 1 − (1 − m0)·(cos(π·step/steps) + 1)/2. */
export const teacherMomentumAt = (base: number, step: number, steps: number): number =>
  1 - ((1 - base) * (Math.cos((Math.PI * Math.min(step, steps)) / Math.max(1, steps)) + 1)) / 2;

/** Throws a message naming the loss and the missing input: a pipeline that gives a loss less than it declared is a bug. */
export const required = <X>(loss: string, field: string, value: X | undefined): X => {
  if (value === undefined) throw new Error(`${loss}: the step did not supply "${field}"; declare the need that provides it`);
  return value;
};
