/**
 * Learning-rate schedule: linear warm-up from 0 to `lr` over `warmupSteps`,
 * then cosine decay to `minLr` at `totalSteps` (as in DeiT/DINO).
 *
 * @since 0.1.0
 */

/** The learning rate of step `step` (0-based). */
export const warmupCosine = (step: number, totalSteps: number, lr: number, minLr: number, warmupSteps: number): number => {
  if (warmupSteps > 0 && step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, (step - warmupSteps) / span);
  return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * progress));
};
