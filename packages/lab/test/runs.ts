/** Test support: a reproduce run with given R²(rotation) and accuracies (the other families at `others`). */
import type { FamilyResult } from '@equissl/eval';
import type { ReproduceRun } from '../src/index.js';

/**
 * A run of `row` at `seed`: R²(rotation) `rot`, the other three families `others`, linear `linear`, k-NN 5 points
 * below; `rotation` adds to the rotation family's result (its readouts by ridge and by the MLP).
 */
export const run = (row: string, seed: number, rot: number, linear: number, others = 0.5, rotation: Partial<FamilyResult> = {}): ReproduceRun => ({
  row,
  seed,
  steps: 10,
  curve: [],
  results: {
    checkpoint: 'c',
    step: 10,
    features: 'clsmean-full',
    data: 'd',
    equivariance: ['rotation', 'colour', 'blur', 'translation'].map((task) => ({ task, paramNames: ['p'], r2: task === 'rotation' ? rot : others, r2PerDimension: [0], ...(task === 'rotation' ? rotation : {}) })),
    meanR2: (rot + 3 * others) / 4,
    linearAccuracy: linear,
    knnAccuracy: linear - 0.05,
  },
});
