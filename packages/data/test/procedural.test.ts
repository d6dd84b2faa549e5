/** The procedural dataset: determinism, ranges, labels, splits, and its orientation cue. */
import { describe, expect, it } from 'vitest';
import { openProcedural, proceduralClasses, renderProcedural } from '../src/index.js';
import { unwrap } from './helpers.js';

const render = (seed: number, split: string, index: number, size = 16) => {
  const out = new Float32Array(size * size * 3);
  const label = renderProcedural(seed, split, index, size, out);
  return { out, label };
};

describe('procedural', () => {
  it('is deterministic in (seed, split, index) and differs otherwise', () => {
    expect(render(0, 'train', 3).out).toEqual(render(0, 'train', 3).out);
    expect(render(0, 'train', 3).out).not.toEqual(render(0, 'train', 4).out);
    expect(render(0, 'train', 3).out).not.toEqual(render(0, 'test', 3).out);
    expect(render(0, 'train', 3).out).not.toEqual(render(1, 'train', 3).out);
  });

  it('gives pixels in [0, 1] with real contrast and labels of the four classes', () => {
    const labels = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const { out, label } = render(0, 'train', i);
      labels.add(label);
      expect(Math.min(...out)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...out)).toBeLessThanOrEqual(1);
      expect(Math.max(...out) - Math.min(...out)).toBeGreaterThan(0.2);
    }
    expect([...labels].sort()).toEqual([0, 1, 2, 3]);
    expect(proceduralClasses).toHaveLength(4);
  });

  it('is lighter at the top than at the bottom on average (an orientation cue)', () => {
    const size = 16;
    let top = 0;
    let bottom = 0;
    for (let i = 0; i < 64; i++) {
      const { out } = render(2, 'train', i, size);
      for (let x = 0; x < size * 3; x++) {
        top += out[x]!;
        bottom += out[(size - 1) * size * 3 + x]!;
      }
    }
    expect(top).toBeGreaterThan(bottom * 1.15);
  });

  it('reads batches by index with the shape and labels of the config', async () => {
    const ds = openProcedural({ count: 10, size: 8, seed: 0, split: 'train' });
    const batch = unwrap(await ds.read([4, 1])());
    expect(batch.pixels).toHaveLength(2 * 8 * 8 * 3);
    expect(Array.from(batch.pixels.subarray(0, 192))).toEqual(Array.from(render(0, 'train', 4, 8).out));
    expect(Array.from(batch.labels!)).toEqual([render(0, 'train', 4, 8).label, render(0, 'train', 1, 8).label]);
  });
});
