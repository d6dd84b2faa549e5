/**
 * `procedural`: generated images with natural-image-like structure and a clear
 * orientation — the embedded default dataset (nothing to download).
 *
 * Each image is a dead-leaves composition under one light from above (the
 * whole scene is 1.3× brighter at the top than its mean and 0.7× at the
 * bottom, so every view has a clear "up"): a vertically shaded background
 * (lighter at the top, like sky over ground), several occluding "leaves"
 * (ellipses, rectangles, triangles, striped discs) of power-law sizes and
 * random colours, each shaded by one light from above, and a large foreground
 * object whose shape is the image's class (`ellipse`, `rectangle`, `triangle`,
 * `stripes`). Image `i` depends only on `(seed, split, i)`, so any count at
 * any size is reproducible and needs no memory until read.
 *
 * @since 0.1.0
 */
import { Rng, definePlugin, positiveInt, struct } from '@equissl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import * as t from 'io-ts';
import type { Dataset, DatasetSource } from './dataset.js';

/** The class of each procedural image: the shape of its foreground object. */
export const proceduralClasses = ['ellipse', 'rectangle', 'triangle', 'stripes'] as const;

type Rgb = readonly [number, number, number];

interface Leaf {
  /** Inside test in image coordinates (x right, y down, both in [0, 1]). */
  readonly inside: (x: number, y: number) => boolean;
  readonly colour: (x: number, y: number) => Rgb;
}

const randomColour = (rng: Rng): Rgb => {
  const base = rng.between(0.15, 0.9);
  const sat = rng.between(0.2, 0.8);
  return [0, 1, 2].map(() => Math.min(1, Math.max(0, base + sat * (rng.uniform() - 0.5)))) as unknown as Rgb;
};

/** Light from above: a shape is brighter at its top edge. */
const shaded = (c: Rgb, y: number, cy: number, size: number, amount: number): Rgb => {
  const f = 1 + amount * ((cy - y) / Math.max(size, 1e-3));
  return [Math.min(1, Math.max(0, c[0] * f)), Math.min(1, Math.max(0, c[1] * f)), Math.min(1, Math.max(0, c[2] * f))];
};

const leaf = (kind: (typeof proceduralClasses)[number], rng: Rng, cx: number, cy: number, size: number): Leaf => {
  const angle = rng.between(-Math.PI, Math.PI);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const local = (x: number, y: number): [number, number] => {
    const dx = x - cx;
    const dy = y - cy;
    return [cos * dx + sin * dy, -sin * dx + cos * dy];
  };
  const colour = randomColour(rng);
  const plain = (_x: number, y: number) => shaded(colour, y, cy, size, 0.35);
  const aspect = rng.between(0.35, 0.8);
  switch (kind) {
    case 'ellipse':
      return {
        inside: (x, y) => {
          const [u, v] = local(x, y);
          return (u / size) ** 2 + (v / (size * aspect)) ** 2 <= 1;
        },
        colour: plain,
      };
    case 'rectangle':
      return {
        inside: (x, y) => {
          const [u, v] = local(x, y);
          return Math.abs(u) <= size && Math.abs(v) <= size * aspect;
        },
        colour: plain,
      };
    case 'triangle':
      // an isosceles triangle pointing along +u: apex at (size, 0), base at u = -size/2
      return {
        inside: (x, y) => {
          const [u, v] = local(x, y);
          if (u < -size / 2 || u > size) return false;
          return Math.abs(v) <= ((size - u) / (1.5 * size)) * size * 0.8;
        },
        colour: plain,
      };
    case 'stripes': {
      const second = randomColour(rng);
      const period = size * rng.between(0.25, 0.5);
      return {
        inside: (x, y) => {
          const [u, v] = local(x, y);
          return u * u + v * v <= size * size;
        },
        colour: (x, y) => {
          const [u] = local(x, y);
          const s = 0.5 + 0.5 * Math.sin((2 * Math.PI * u) / period);
          const mixed: Rgb = [0, 1, 2].map((i) => colour[i]! * s + second[i]! * (1 - s)) as unknown as Rgb;
          return shaded(mixed, y, cy, size, 0.25);
        },
      };
    }
  }
};

/**
 * Renders image `index` of `(seed, split)` as `size × size × 3` floats in [0, 1],
 * returning its class.
 */
export const renderProcedural = (seed: number, split: string, index: number, size: number, out: Float32Array, offset = 0): number => {
  const rng = Rng.seeded(seed).fork(split).fork(index);
  const label = rng.int(proceduralClasses.length);
  const top = randomColour(rng);
  const bottom = randomColour(rng).map((c) => c * 0.6) as unknown as Rgb;
  const leaves: Leaf[] = [];
  const count = 4 + rng.int(7);
  for (let i = 0; i < count; i++) {
    const size = 0.08 * (0.35 / 0.08) ** rng.uniform();
    leaves.push(leaf(rng.pick(proceduralClasses), rng, rng.uniform(), rng.uniform(), size));
  }
  leaves.push(leaf(proceduralClasses[label]!, rng, rng.between(0.35, 0.65), rng.between(0.35, 0.65), rng.between(0.25, 0.4)));
  const noise = Rng.seeded(rng.nextUint32());
  const ss = size <= 64 ? 2 : 1;
  const n = size * ss;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const x = (px * ss + sx + 0.5) / n;
          const y = (py * ss + sy + 0.5) / n;
          let c: Rgb = [top[0] * (1 - y) + bottom[0] * y, top[1] * (1 - y) + bottom[1] * y, top[2] * (1 - y) + bottom[2] * y];
          for (let l = leaves.length - 1; l >= 0; l--) {
            const lf = leaves[l]!;
            if (lf.inside(x, y)) {
              c = lf.colour(x, y);
              break;
            }
          }
          r += c[0];
          g += c[1];
          b += c[2];
        }
      }
      const k = offset + (py * size + px) * 3;
      const grain = 0.02 * noise.normal();
      // one light from above for the whole scene: a strong, consistent "up" in every image
      const light = 1.3 - 0.6 * ((py + 0.5) / size);
      out[k] = Math.min(1, Math.max(0, (light * r) / (ss * ss) + grain));
      out[k + 1] = Math.min(1, Math.max(0, (light * g) / (ss * ss) + grain));
      out[k + 2] = Math.min(1, Math.max(0, (light * b) / (ss * ss) + grain));
    }
  }
  return label;
};

/** Config of the `procedural` dataset. */
export const ProceduralConfig = struct(
  'procedural',
  {
    /** Number of images. */
    count: positiveInt,
    /** Height and width in pixels. */
    size: positiveInt,
    /** Seed of the image generator (independent of the run's seed). */
    seed: t.number,
    /** `train` and `test` draw disjoint images. */
    split: t.union([t.literal('train'), t.literal('test')]),
  },
  { count: 2048, size: 32, seed: 0, split: 'train' },
);
export type ProceduralConfig = t.TypeOf<typeof ProceduralConfig>;

/** Opens the procedural dataset for a decoded config. */
export const openProcedural = (c: ProceduralConfig): Dataset => ({
  name: 'procedural',
  source: `procedural dead-leaves images (seed ${c.seed}, ${c.split})`,
  size: c.count,
  imageShape: [c.size, c.size, 3],
  classNames: proceduralClasses,
  dropped: 0,
  read: (indices) =>
    TE.fromIO(() => {
      const per = c.size * c.size * 3;
      const pixels = new Float32Array(indices.length * per);
      const labels = new Int32Array(indices.length);
      indices.forEach((index, i) => {
        labels[i] = renderProcedural(c.seed, c.split, index, c.size, pixels, i * per);
      });
      return { pixels, labels, indices, skipped: [] };
    }),
});

/** The `procedural` dataset plugin. */
export const procedural = definePlugin({
  kind: 'dataset',
  name: 'procedural',
  description: 'generated dead-leaves images with a clear orientation and 4 shape classes (embedded default, no files)',
  config: ProceduralConfig,
  create: (c) => E.right<never, DatasetSource>({ open: () => TE.right(openProcedural(c)) }),
});
