/** The shuffle4 decoder: token blocks land on their own patch, and its output against a hand-computed value. */
import { Registry, Rng } from '@equissl/core';
import { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { type DecoderFactory, decoderPlugins, tokensToImage } from '../src/index.js';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(Registry.empty.registerAll(decoderPlugins));

describe('shuffle4 decoder', () => {
  it('tokensToImage puts token (gy, gx)’s row-major p×p×c block at rows gy·p…, columns gx·p…', () => {
    // grid 2, patch 2, 1 channel: token t holds [10t, 10t+1, 10t+2, 10t+3]
    const blocks = tf.tensor3d([0, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33], [1, 4, 4]);
    const image = tokensToImage(blocks, 2, 2, 1);
    expect(image.shape).toEqual([1, 4, 4, 1]);
    expect(Array.from(image.dataSync())).toEqual([0, 1, 10, 11, 2, 3, 12, 13, 20, 21, 30, 31, 22, 23, 32, 33]);
  });

  it('maps [B, g², d] tokens to [B, g·p, g·p, 3], and with identity-like weights returns what the linear layer placed', () => {
    const r = registry.create('decoder', { name: 'shuffle4', channels: 1 });
    if (E.isLeft(r)) throw new Error(r.left.message);
    const store = new ParamStore();
    const d = (r.right as DecoderFactory).instantiate({ inDim: 4, grid: 2, patchSize: 2, outChannels: 1 }, store, Rng.seeded(0), 'd.');
    if (E.isLeft(d)) throw new Error(d.left);
    // linear = identity (4 → 2·2·1), each conv = centre tap 1, no bias: GELU thrice on the placed pixels
    store.get('d.linear.weight')!.assign(tf.eye(4));
    for (const [name, v] of store.entries()) {
      if (name.endsWith('bias')) v.assign(tf.zerosLike(v));
      if (/conv\d\.weight$/.test(name)) v.assign(tf.tensor4d([0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 3, 1, 1]));
    }
    const out = d.right.forward(tf.tensor3d([1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3], [1, 4, 4]));
    // exact GELU x·Φ(x); erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), for x ≥ 0
    const erf = (x: number) => {
      const t = 1 / (1 + 0.3275911 * x);
      return 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    };
    const gelu = (x: number) => (x === 0 ? 0 : 0.5 * x * (1 + erf(x / Math.SQRT2)));
    const g3 = (x: number) => gelu(gelu(gelu(x)));
    const expected = [g3(1), g3(2), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, g3(3)];
    Array.from(out.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 4));
  });
});
