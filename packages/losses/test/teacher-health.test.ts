/** The teacher-health verdict from a run's metrics lines, and the summary line `equissl pretrain` prints. */
import { describe, expect, it } from 'vitest';
import { entropyMargin, teacherHealthLine, teacherHealthOf } from '../src/index.js';

const logK = Math.log(256);
/** `n` metrics lines whose teacher entropy, marginal entropy and KL follow the given functions of the step. */
const run = (n: number, entropy: (i: number) => number, marginal: (i: number) => number, kl: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => ({ step: i, loss: 1, 'ssl.teacherEntropy': entropy(i), 'ssl.teacherMarginalEntropy': marginal(i), 'ssl.kl': kl(i) }));

describe('teacherHealthOf', () => {
  it('is undefined for a loss that logs no teacher', () => {
    expect(teacherHealthOf([{ step: 0, loss: 1 }], 256)).toBeUndefined();
  });

  it('tells a teacher that trains from a uniform one and from one prototype, over the first and last tenth of the steps', () => {
    // 30 steps: tenths of 3 steps; entropy 5.5 → 2.5 by 0.1 a step
    const trains = teacherHealthOf(run(30, (i) => 5.5 - 0.1 * i, () => 5, (i) => 0.3 - 0.01 * i), 256)!;
    expect(trains.verdict).toBe('trains');
    expect(trains.entropy.first).toBeCloseTo(5.4, 12);
    expect(trains.entropy.last).toBeCloseTo(2.7, 12);
    expect(trains.logK).toBeCloseTo(logK, 12);
    expect(teacherHealthOf(run(30, () => logK - 0.01, () => logK, () => 0.01), 256)!.verdict).toBe('uniform teacher');
    expect(teacherHealthOf(run(30, () => 0.1, () => 0.2, () => 0.01), 256)!.verdict).toBe('one prototype');
  });

  it('prints one line with the numbers and the margins', () => {
    const h = teacherHealthOf(run(10, (i) => 5.5 - 0.2 * i, () => 5, () => 0.01), 256)!;
    expect(teacherHealthLine(h)).toBe(
      `teacher: trains (entropy 5.50 → 3.70 nats of log K 5.55; marginal 5.00 → 5.00; KL 0.010 → 0.010; healthy: entropy ${entropyMargin} nats below log K, marginal above ${entropyMargin})`,
    );
  });
});
