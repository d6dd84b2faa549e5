/** The one minibatch loop: which rows each step sees under both schedules, one Adam per group, against hand-computed values. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { fitMinibatches } from '../src/index.js';

/** The rows of every step, and the loss read at each. */
const record = (n: number, schedule: { epochs: number } | { steps: number }, batchSize: number, seed: number) => {
  const w = tf.variable(tf.scalar(0), true, `w${Math.random()}`);
  const rows: number[][] = [];
  fitMinibatches(n, [{ variables: [w], lr: 0.1 }], (idx) => {
    rows.push([...idx.dataSync()]);
    return tf.mul(w, 0) as tf.Scalar;
  }, { schedule, batchSize, rng: Rng.seeded(seed) });
  w.dispose();
  return rows;
};

describe('fitMinibatches', () => {
  it('epochs: every row once per epoch, the last batch short; the permutations are the generator\'s', () => {
    const rows = record(5, { epochs: 2 }, 2, 3);
    expect(rows.map((r) => r.length)).toEqual([2, 2, 1, 2, 2, 1]);
    const rng = Rng.seeded(3);
    const [p1, p2] = [[...rng.permutation(5)], [...rng.permutation(5)]];
    expect(rows.slice(0, 3).flat()).toEqual(p1);
    expect(rows.slice(3).flat()).toEqual(p2);
  });

  it('steps: full batches only, a fresh permutation when one cannot fill a batch', () => {
    const rows = record(5, { steps: 4 }, 2, 4);
    const rng = Rng.seeded(4);
    const [p1, p2] = [[...rng.permutation(5)], [...rng.permutation(5)]];
    // 5 rows give two batches of 2; the fifth row is left and the third step starts a new permutation
    expect(rows).toEqual([p1.slice(0, 2), p1.slice(2, 4), p2.slice(0, 2), p2.slice(2, 4)]);
  });

  it('one Adam per group at its own rate: the first step moves each variable by its lr (Adam\'s first step is lr · sign(g))', () => {
    const a = tf.variable(tf.scalar(1), true, 'fit-a');
    const b = tf.variable(tf.scalar(1), true, 'fit-b');
    const seen: number[] = [];
    fitMinibatches(4, [{ variables: [a], lr: 0.1 }, { variables: [b], lr: 0.01 }], () => tf.add(tf.square(a), tf.square(b)) as tf.Scalar, {
      schedule: { steps: 1 },
      batchSize: 4,
      rng: Rng.seeded(0),
      onStep: (step, value) => seen.push(step, value()),
    });
    expect(a.dataSync()[0]).toBeCloseTo(0.9, 5);
    expect(b.dataSync()[0]).toBeCloseTo(0.99, 5);
    // the loss of the step, before the update: 1² + 1²
    expect(seen).toEqual([1, 2]);
    tf.dispose([a, b]);
  });

  it('leaks no tensors', () => {
    const w = tf.variable(tf.zeros([3]), true, 'fit-w');
    const x = tf.randomNormal([10, 3], 0, 1, 'float32', 1) as tf.Tensor2D;
    const y = tf.randomNormal([10], 0, 1, 'float32', 2);
    const before = tf.memory().numTensors;
    fitMinibatches(10, [{ variables: [w], lr: 0.05 }], (idx) => tf.losses.meanSquaredError(tf.gather(y, idx), tf.squeeze(tf.matMul(tf.gather(x, idx), tf.reshape(w, [3, 1])))) as tf.Scalar, { schedule: { epochs: 3 }, batchSize: 4, rng: Rng.seeded(5) });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, x, y]);
  });
});
