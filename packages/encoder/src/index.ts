/**
 * @equissl/encoder — what a pretraining run leaves behind and what reads it:
 * the run config (one io-ts codec with defaults), the checkpoint file, the
 * encoder (backbone → neck → split) built from a config or loaded from a
 * checkpoint, and the feature readouts evaluations take from it.
 *
 * @since 0.1.0
 */
export * from './config.js';
export * from './checkpoint.js';
export * from './encoder.js';
export * from './readout.js';
export * from './spec.js';
