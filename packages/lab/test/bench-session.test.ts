/** The benchmark's kernel table: sums by kernel, custom-gradient ops left out (their time is their kernels'), slowest first. */
import { describe, expect, it } from 'vitest';
import { kernelTable, tinyShape, referenceConfig, referenceShape } from '../src/bench/session.js';

describe('kernelTable', () => {
  it('sums calls and time per registered kernel, sorted by time, with the share of the wall time', () => {
    const records = [
      { name: 'MatMul', kernelTimeMs: 3 },
      { name: 'Add', kernelTimeMs: 1 },
      { name: 'selfAttention', kernelTimeMs: 9 }, // a custom-gradient op: its kernels are recorded on their own
      { name: 'MatMul', kernelTimeMs: 5 },
      { name: 'Exp', kernelTimeMs: 1 },
      { name: 'Add', kernelTimeMs: { error: 'no timer' } },
    ];
    expect(kernelTable(records, new Set(['MatMul', 'Add', 'Exp']), 20)).toEqual([
      { kernel: 'MatMul', calls: 2, totalMs: 8, percent: 40 },
      { kernel: 'Add', calls: 2, totalMs: 1, percent: 5 },
      { kernel: 'Exp', calls: 1, totalMs: 1, percent: 5 },
    ]);
  });

  it('no records, no rows', () => {
    expect(kernelTable([], new Set(['MatMul']), 0)).toEqual([]);
  });
});

describe('referenceConfig', () => {
  it('is the reference model by default, and the tiny one keeps its structure', () => {
    expect(referenceConfig(64).backbone).toEqual({ name: 'vit', imageSize: 32, patchSize: 4, dim: 192, depth: 6, heads: 3, mlpRatio: 4 });
    expect(referenceConfig(64, referenceShape)).toEqual(referenceConfig(64));
    const tiny = referenceConfig(4, tinyShape);
    expect(tiny.backbone.dim % tiny.backbone.heads).toBe(0);
    expect(tiny.reconstruction).toEqual({ weight: 1, k: 2, decoder: { name: 'conv4', channels: 16 } });
  });
});
