/** Colour jitter against torchvision's formulas on a worked example, hue round trip, and blur against hand-computed kernels. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  adjustHue,
  colorJitterFamily,
  gaussianBlurBatch,
  gaussianBlurFamily,
  gaussianMatrix,
  hsvToRgb,
  rgbToHsv,
} from '../src/index.js';
import { expectClose, ramp } from './helpers.js';

// [1, 2, 2, 3]: pixels (0.2, 0.5, 0.8) (0.9, 0.1, 0.3) / (0.6, 0.6, 0.2) (0.05, 0.4, 0.45)
const worked = () => tf.tensor4d([0.2, 0.5, 0.8, 0.9, 0.1, 0.3, 0.6, 0.6, 0.2, 0.05, 0.4, 0.45], [1, 2, 2, 3]);

describe('colorJitter', () => {
  it('matches torchvision’s brightness → contrast → saturation → hue on a worked example', () => {
    // computed independently with torchvision's _functional_tensor formulas written out per pixel
    // (adjust_brightness 1.2, adjust_contrast 0.7, adjust_saturation 1.3, adjust_hue 0.05)
    const expected = [0.254162, 0.385202, 0.909362, 0.971591, 0.192631, 0.170791, 0.532237, 0.663277, 0.226477, 0.126507, 0.377667, 0.563307];
    const family = colorJitterFamily({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    expectClose(family.apply(worked(), [[0.2, -0.3, 0.3, 0.05]]), expected, 2e-5);
  });

  it('is the identity at θ = 0 and at t = 0 of the path', () => {
    const family = colorJitterFamily({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
    expectClose(family.apply(worked(), [family.interpolate([0.3, 0.2, -0.1, 0.08], 0)]), worked(), 0);
  });

  it('HSV conversion round-trips and matches Python’s colorsys for one pixel', () => {
    const [h, s, v] = rgbToHsv(worked());
    expectClose(h.slice([0, 0, 0, 0], [1, 1, 1, 1]), [0.5833333]);
    expectClose(s.slice([0, 0, 0, 0], [1, 1, 1, 1]), [0.75]);
    expectClose(v.slice([0, 0, 0, 0], [1, 1, 1, 1]), [0.8]);
    expectClose(hsvToRgb(h, s, v), worked(), 1e-6);
  });

  it('hue shifted by h then by −h returns the image', () => {
    const there = adjustHue(worked(), [0.1]);
    expect(Math.abs(there.sub(worked()).abs().max().dataSync()[0]!)).toBeGreaterThan(0.05);
    expectClose(adjustHue(there, [-0.1]), worked(), 1e-5);
  });
});

describe('gaussianBlur', () => {
  it('is the identity for σ = 0 and σ → 0', () => {
    const img = ramp(6, 3);
    expectClose(gaussianBlurBatch(img, [0]), img, 0);
    expectClose(gaussianBlurBatch(img, [1e-3]), img, 1e-7);
  });

  it('spreads a delta as the normalised Gaussian (σ = 1, radius 3)', () => {
    const w = [-3, -2, -1, 0, 1, 2, 3].map((k) => Math.exp(-(k * k) / 2));
    const z = w.reduce((a, b) => a + b, 0);
    const row = Array.from(gaussianMatrix(1, 7).subarray(3 * 7, 4 * 7));
    expectClose(tf.tensor1d(row), w.map((x) => x / z), 1e-7);
  });

  it('reflects at the border without repeating the edge (torch "reflect")', () => {
    // x = δ at index 0 (n = 5): out[i] = w(i) for i ≤ 3 via i + k = 0; out[4] = 0
    const w = [0, 1, 2, 3].map((k) => Math.exp(-(k * k) / 2));
    const z = [-3, -2, -1, 0, 1, 2, 3].map((k) => Math.exp(-(k * k) / 2)).reduce((a, b) => a + b, 0);
    const m = gaussianMatrix(1, 5);
    const column0 = [0, 1, 2, 3, 4].map((i) => m[i * 5]!);
    expectClose(tf.tensor1d(column0), [...w.map((x) => x / z), 0], 1e-7);
  });

  it('keeps a constant image constant and blurs each image with its own σ', () => {
    const flat = tf.fill([1, 5, 5, 3], 0.3) as tf.Tensor4D;
    expectClose(gaussianBlurBatch(flat, [1.5]), flat, 1e-6);
    const delta = tf.buffer([2, 5, 5, 1]);
    delta.set(1, 0, 2, 2, 0);
    delta.set(1, 1, 2, 2, 0);
    const out = gaussianBlurBatch(delta.toTensor() as tf.Tensor4D, [0, 1]).arraySync() as number[][][][];
    expect(out[0]![2]![2]![0]).toBeCloseTo(1, 6);
    // the centre of a 2-D blur of a centred delta is w0² (no reflected tap lands on it for n = 5, radius 3)
    const z3 = [-3, -2, -1, 0, 1, 2, 3].map((k) => Math.exp(-(k * k) / 2)).reduce((a, b) => a + b, 0);
    expect(out[1]![2]![2]![0]).toBeCloseTo((1 / z3) ** 2, 5);
  });

  it('samples σ in the paper’s [0.1, 2]', () => {
    const family = gaussianBlurFamily({ sigma: [0.1, 2] });
    expect(family.paramNames).toEqual(['sigmaPx']);
    expect(family.interpolate([1.5], 1 / 3)[0]).toBeCloseTo(0.5, 12);
  });
});
