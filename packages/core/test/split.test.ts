/** Feature split: values of both halves, gradient flow through both, and the shape error. */
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { equivariantChannels, splitFeatures } from '../src/index.js';

describe('splitFeatures', () => {
  it('takes the first d − dEqui channels as invariant and the rest as equivariant', () => {
    const z = tf.tensor3d([[[1, 2, 3, 4], [5, 6, 7, 8]]]);
    const r = splitFeatures(z, 1);
    if (E.isLeft(r)) throw new Error(r.left.message);
    expect(r.right.inv.arraySync()).toEqual([[[1, 2, 3], [5, 6, 7]]]);
    expect(r.right.equi.arraySync()).toEqual([[[4], [8]]]);
  });

  it('passes gradients to the right channels', () => {
    const z = tf.tensor2d([[1, 2, 3, 4]]);
    const g = tf.grad((x: tf.Tensor) => {
      const s = splitFeatures(x, 2);
      if (E.isLeft(s)) throw new Error('split');
      return tf.add(tf.sum(s.right.inv), tf.mul(3, tf.sum(s.right.equi)));
    })(z);
    expect(g.arraySync()).toEqual([[1, 1, 3, 3]]);
  });

  it('names the tensor when dEqui does not fit', () => {
    const r = splitFeatures(tf.zeros([2, 4]), 5, 'patchTokens');
    expect(E.isLeft(r) && r.left.message).toBe('patchTokens: expected shape [..., d] with d >= dEqui = 5, got [2, 4]');
  });

  it('computes the default fractions', () => {
    expect(equivariantChannels(384, 0.5)).toBe(192);
    expect(equivariantChannels(384, 0.25)).toBe(96);
  });
});
