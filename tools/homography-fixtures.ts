/** Test support: a homography suite result and the evaluation results that hold it, with hand-set numbers (the report tests of cli and lab). */
import type { EvaluationResults, HomographyResult } from '@equissl/eval';

/** `n` grey bytes, base64. */
export const grey = (n: number): string => Buffer.from(new Uint8Array(n).fill(128)).toString('base64');

/** A frozen-mode result with MCE `mce` (zero predictor 6, from-scratch CNN 5) and one example pair; `extra` overrides fields. */
export const homography = (mce: number, extra: Partial<HomographyResult> = {}): HomographyResult => ({
  mode: 'frozen',
  size: 4,
  rho: 1,
  trainPairs: 16,
  testPairs: 8,
  steps: 3,
  mce,
  mceZero: 6,
  mceScratch: 5,
  examples: [{ context: grey(36), contextSize: 6, margin: 1, b: grey(16), offsets: [0, 0, 0, 0, 0, 0, 0, 0], predicted: [1, 0, 0, 0, 0, 0, 0, 0] }],
  ...extra,
});

/** Evaluation results at step 10 holding only `h`. */
export const results = (h: HomographyResult): EvaluationResults => ({ checkpoint: 'c.safetensors', step: 10, features: 'clsmean-full', data: 'd', homography: h });
