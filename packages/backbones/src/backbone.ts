/**
 * The backbone model every encoder plugin creates: a factory that, given a
 * parameter store and a seeded generator, defines its parameters and returns a
 * forward function from images to a pooled (cls) vector and patch tokens.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import type { ParamStore } from '@equissl/nn';
import type * as tf from '@tensorflow/tfjs';

/** What a forward pass returns. */
export interface Encoded {
  /** The pooled representation `[B, D]` (the cls token after the final norm). */
  readonly cls: tf.Tensor2D;
  /** Patch tokens `[B, N, D]`, row-major over the patch grid. */
  readonly patches: tf.Tensor3D;
}

/** Options of a forward pass. */
export interface ForwardOptions {
  /** `[B, N]` with 1 where a patch is masked (replaced by the learnable mask token, iBOT-style). */
  readonly tokenMask?: tf.Tensor2D;
}

/**
 * What a backbone says of its own architecture: `type` and every number a
 * program needs to rebuild it from its weights (`equissl export` writes it
 * into the exported file's metadata).
 */
export interface BackboneArchitecture {
  readonly type: string;
  readonly [field: string]: string | number;
}

/** An encoder whose parameters live in a {@link ParamStore}. */
export interface Backbone {
  /** Its architecture, as it describes itself. */
  readonly architecture: BackboneArchitecture;
  /** Feature width D. */
  readonly dim: number;
  readonly imageSize: number;
  readonly patchSize: number;
  /** Patches per side. */
  readonly grid: number;
  /** Encodes `[B, H, W, C]` images in [0, 1]. */
  readonly forward: (images: tf.Tensor4D, options?: ForwardOptions) => Encoded;
}

/** What a backbone plugin creates: the architecture, ready to be instantiated. */
export interface BackboneFactory {
  readonly describe: string;
  readonly dim: number;
  readonly imageSize: number;
  readonly patchSize: number;
  /** Defines the parameters under `prefix` in `store` (initialised from `rng`) and returns the model. */
  readonly instantiate: (store: ParamStore, rng: Rng, prefix?: string) => Backbone;
}
