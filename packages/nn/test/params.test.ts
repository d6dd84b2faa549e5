/** ParamStore: names, counts, save/load round trip, and the errors for a missing or misshapen tensor. */
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { ParamStore } from '../src/index.js';

describe('ParamStore', () => {
  it('round-trips values by name and counts parameters', () => {
    const a = new ParamStore();
    a.add('enc.w', tf.tensor2d([[1, 2], [3, 4]]));
    a.add('enc.b', tf.tensor1d([5, 6]));
    expect(a.names()).toEqual(['enc.w', 'enc.b']);
    expect(a.count()).toBe(6);
    expect(a.count('enc.b')).toBe(2);
    const b = new ParamStore();
    b.add('enc.w', tf.zeros([2, 2]));
    b.add('enc.b', tf.zeros([2]));
    expect(E.isRight(b.load(a.toArrays(), 'w.safetensors'))).toBe(true);
    expect(b.get('enc.w')!.arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(() => a.add('enc.w', tf.zeros([1]))).toThrow('parameter "enc.w" is defined twice');
  });

  it('names a missing tensor and a shape mismatch', () => {
    const a = new ParamStore();
    a.add('w', tf.zeros([2, 3]));
    const missing = a.load(new Map(), 'ckpt.safetensors');
    expect(E.isLeft(missing) && missing.left.message).toBe('ckpt.safetensors: has no tensor "w"; was it saved by another model configuration?');
    const wrong = a.load(new Map([['w', { shape: [3, 2], data: new Float32Array(6) }]]), 'ckpt.safetensors');
    expect(E.isLeft(wrong) && wrong.left.message).toBe('ckpt.safetensors: w: expected shape [2, 3], got [3, 2]');
  });
});
