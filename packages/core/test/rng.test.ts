/** The seeded RNG: determinism, independent forks, state round trip, distribution moments. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/index.js';

const draw = (r: Rng, n: number) => Array.from({ length: n }, () => r.nextUint32());

describe('Rng', () => {
  it('is deterministic by seed and differs across seeds', () => {
    expect(draw(Rng.seeded(42), 5)).toEqual(draw(Rng.seeded(42), 5));
    expect(draw(Rng.seeded(42), 5)).not.toEqual(draw(Rng.seeded(43), 5));
  });

  it('fork does not advance the parent and is stable per label', () => {
    const a = Rng.seeded(7);
    const f1 = draw(a.fork('data'), 4);
    const f2 = draw(a.fork('data'), 4);
    const g = draw(a.fork('augment'), 4);
    expect(f1).toEqual(f2);
    expect(f1).not.toEqual(g);
    expect(draw(a, 3)).toEqual(draw(Rng.seeded(7), 3));
  });

  it('round-trips its state', () => {
    const a = Rng.seeded(1);
    draw(a, 10);
    const b = Rng.fromState(a.state());
    expect(draw(a, 6)).toEqual(draw(b, 6));
  });

  it('has the moments of U(0,1) and N(0,1)', () => {
    const r = Rng.seeded(3);
    const n = 20000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    for (let i = 0; i < n; i++) {
      su += r.uniform();
      const z = r.normal();
      sn += z;
      sn2 += z * z;
    }
    expect(su / n).toBeCloseTo(0.5, 1);
    expect(sn / n).toBeCloseTo(0, 1);
    expect(sn2 / n).toBeCloseTo(1, 1);
  });

  it('permutation is a permutation', () => {
    const p = Array.from(Rng.seeded(5).permutation(100));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(p).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
