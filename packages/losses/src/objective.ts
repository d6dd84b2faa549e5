/**
 * The interface every SSL loss plugin implements.
 *
 * A loss declares what it needs from the training step (`needs`), so the
 * pipeline prepares only that, and threads its state explicitly: `build`
 * defines its trainable parameters (projectors, heads) and returns the
 * initial state; `compute(state, inputs)` returns the loss, its named terms
 * and the next state. Stateless losses use `null` as their state.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import type { ParamStore } from '@equissl/nn';
import type * as tf from '@tensorflow/tfjs';

/** What a loss can ask the step to prepare besides the two embeddings. */
export type LossNeed = 'teacher' | 'tokenMasks' | 'transformParams' | 'alignedPairs';

/** What the step hands a loss. */
export interface LossInputs {
  /** Invariant pooled embedding of view 1, `[B, d]`. */
  readonly z1: tf.Tensor2D;
  /** Invariant pooled embedding of view 2, `[B, d]`. */
  readonly z2: tf.Tensor2D;
  /** The optimizer step (for schedules such as temperatures). */
  readonly step: number;
  /** θ of view 2's transformation, `[B, |θ|]` (when `transformParams` is needed). */
  readonly transformParams?: tf.Tensor2D;
}

/** What a loss returns. */
export interface LossResult<S> {
  readonly loss: tf.Scalar;
  /** Named unweighted terms, for logs (`invariance`, `variance` …). */
  readonly terms: Readonly<Record<string, tf.Scalar>>;
  readonly state: S;
}

/** A loss with its parameters defined: its initial state and its computation. */
export interface BoundLoss<S = unknown> {
  readonly initialState: S;
  readonly compute: (state: S, inputs: LossInputs) => LossResult<S>;
}

/** What a loss plugin creates. */
export interface SslLoss<S = unknown> {
  readonly name: string;
  readonly needs: ReadonlyArray<LossNeed>;
  /** Defines parameters under `prefix` for inputs of width `dim`. */
  readonly build: (dim: number, store: ParamStore, rng: Rng, prefix: string) => BoundLoss<S>;
}
