/**
 * @equissl/pipeline — the pretraining pipeline composed from plugins:
 * config, model, training step, AdamW with warm-up + cosine, checkpoints,
 * metrics, previews.
 *
 * @since 0.1.0
 */
export * from './schedule.js';
export * from './adamw.js';
export * from './model.js';
export * from './step.js';
export * from './token-masks.js';
export * from './run.js';
export * from './preview.js';
export * from './trainer.js';
export * from './parallel.js';
export * from './barrier.js';
