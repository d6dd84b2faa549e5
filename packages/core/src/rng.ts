/**
 * A seeded, splittable random number generator (xoshiro128**).
 *
 * Reproducibility comes from giving each consumer its own stream:
 * `rng.fork('data')` derives an independent generator from the current state
 * and a label without advancing the parent, so the data order does not change
 * when an augmentation draws one number more. The whole state is four 32-bit
 * integers and round-trips through {@link Rng.state}/{@link Rng.fromState}
 * (checkpoints store it).
 *
 * @since 0.1.0
 */

/** The serialisable state of an {@link Rng}. */
export type RngState = readonly [number, number, number, number];

const splitmix32 = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
};

const hashString = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** xoshiro128** with fork/split for independent streams. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | undefined = undefined;

  private constructor(state: RngState) {
    [this.s0, this.s1, this.s2, this.s3] = state.map((x) => x >>> 0) as unknown as RngState;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A generator seeded from an integer (any 32-bit value; the same seed gives the same numbers). */
  static seeded(seed: number): Rng {
    const next = splitmix32(seed);
    return new Rng([next(), next(), next(), next()]);
  }

  /** A generator continuing exactly from a saved state. */
  static fromState(state: RngState): Rng {
    return new Rng(state);
  }

  /** The current state (four uint32). */
  state(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /** A uniformly random uint32. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal;
      this.spareNormal = undefined;
      return v;
    }
    const u = 1 - this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty array. */
  pick<A>(items: ReadonlyArray<A>): A {
    return items[this.int(items.length)]!;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<A>(items: ReadonlyArray<A>): A[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** A shuffled permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }

  /** An independent generator derived from this state and `label`; this generator does not advance. */
  fork(label: string | number): Rng {
    const h = typeof label === 'number' ? label >>> 0 : hashString(label);
    const next = splitmix32((this.s0 ^ Math.imul(h, 0x9e3779b1) ^ rotl(this.s2, 13)) >>> 0);
    const mix = splitmix32((this.s1 ^ this.s3 ^ h) >>> 0);
    return new Rng([next() ^ mix(), next() ^ mix(), next(), mix()]);
  }

  /** An independent generator; this generator advances (use for a sequence of children). */
  split(): Rng {
    return Rng.seeded(this.nextUint32()).fork(this.nextUint32());
  }

  /** A seed for a tfjs random op (tf.randomNormal …), drawn from this stream. */
  tfSeed(): number {
    return this.nextUint32() % 2147483647;
  }
}
