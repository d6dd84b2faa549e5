/** The homography heads and the Mean Corner Error, against hand-computed values. */
import { Rng } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { HomographyHeadConfig, HomographyNetConfig, avgPool2, cornerErrors, homographyNet, meanCornerError, tokenHomographyHead, tokenStats } from '../src/index.js';

describe('meanCornerError', () => {
  it('averages the four corner distances per pair, then the pairs', () => {
    const truth = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1];
    // pair 0: corner TL off by (3, 4) → 5, others exact → 5/4; pair 1: every corner off by (−1, 0) → 1
    const predicted = [3, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1];
    expect(cornerErrors(truth, predicted)).toEqual([1.25, 1]);
    expect(meanCornerError(truth, predicted)).toBeCloseTo(1.125, 12);
    // the zero predictor on offsets (6, 8) at every corner: 10 px
    expect(meanCornerError([6, 8, 6, 8, 6, 8, 6, 8], new Float32Array(8))).toBe(10);
    expect(meanCornerError([], [])).toBeNaN();
  });
});

describe('avgPool2', () => {
  it('averages 2×2 blocks and drops an odd last row and column', () => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const p = avgPool2(x);
    expect(p.shape).toEqual([1, 1, 1, 1]);
    expect(p.dataSync()[0]).toBe((1 + 2 + 4 + 5) / 4);
    tf.dispose([x, p]);
  });
});

describe('homography heads', () => {
  it('the token head maps two [B, N, D] token sets to [B, 8] and trains (its gradient reaches every variable)', () => {
    const c = HomographyHeadConfig.decode({ channels: 4 });
    if (E.isLeft(c)) throw new Error('config');
    expect(c.right).toEqual({ layers: 3, channels: 4 });
    const a = tf.randomNormal([2, 16, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const b = tf.randomNormal([2, 16, 3], 0, 1, 'float32', 2) as tf.Tensor3D;
    const stats = tokenStats([a, b]);
    // statistics over the 64 token rows: the standardised tokens have mean 0 per channel
    const m = tf.tidy(() => tf.mean(tf.div(tf.sub(tf.concat([a, b], 1), stats.mean), stats.std), [0, 1]));
    Array.from(m.dataSync()).forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-5));
    const head = tokenHomographyHead(3, 4, c.right, stats, Rng.seeded(0));
    const out = head.forward(a, b);
    expect(out.shape).toEqual([2, 8]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.square(head.forward(a, b))) as tf.Scalar, head.variables());
    expect(Object.keys(grads)).toHaveLength(2 * 3 + 2);
    tf.dispose([a, b, m, out, ...Object.values(grads)]);
    head.dispose();
  });

  it('the from-scratch CNN maps [B, S, S, 2] pairs to [B, 8] (16 px: three poolings to 2×2)', () => {
    const c = HomographyNetConfig.decode({});
    if (E.isLeft(c)) throw new Error('config');
    expect(c.right.channels).toEqual([16, 32, 32, 64]);
    const net = homographyNet(16, c.right, Rng.seeded(0));
    // 4 convolutions and the dense layer, each a weight and a bias; the dense layer reads 2·2·64
    expect(net.variables()).toHaveLength(10);
    expect(net.variables()[8]!.shape).toEqual([256, 8]);
    const x = tf.fill([3, 16, 16, 2], 0.5) as tf.Tensor4D;
    const out = net.forward(x);
    expect(out.shape).toEqual([3, 8]);
    tf.dispose([x, out]);
    net.dispose();
  });
});
