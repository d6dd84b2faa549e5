/** The conv4 decoder against the PyTorch reference decoder, upsampling per patch size, and L_rec by hand. */
import { Registry, Rng } from '@equissl/core';
import { ParamStore } from '@equissl/nn';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { fixtures, paramWave, wave } from '../../../tools/reference/fixtures.js';
import { type DecoderFactory, decoderPlugins, intermediateReconstruction, normalisePerImage } from '../src/index.js';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(Registry.empty.registerAll(decoderPlugins));

const factory = (channels: number, input: 'tokens' | 'pooled' = 'tokens'): DecoderFactory => {
  const r = registry.create('decoder', { name: 'conv4', channels, input });
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right as DecoderFactory;
};

describe('conv4 decoder', () => {
  it('matches the PyTorch reference Decoder (torch_reference.py) given the same weights', () => {
    const f = fixtures.decoder;
    const store = new ParamStore();
    const d = factory(f.channels).instantiate({ inDim: f.inDim, grid: f.grid, patchSize: f.patch, outChannels: 3 }, store, Rng.seeded(0), 'decoders.0.');
    if (E.isLeft(d)) throw new Error(d.left);
    for (const [name, v] of store.entries()) v.assign(tf.tensor(paramWave(name, v.shape), v.shape));
    const out = d.right.forward(tf.tensor3d(wave([2, 4, f.inDim], 0.23, -0.4), [2, 4, f.inDim]));
    expect(out.shape).toEqual([2, 8, 8, 3]);
    const diff = Array.from(out.dataSync()).reduce((m, v, i) => Math.max(m, Math.abs(v - f.output[i]!)), 0);
    expect(diff).toBeLessThan(1e-4);
  });

  it('reaches the image size for patch sizes 1 to 16 and refuses others', () => {
    for (const p of [1, 2, 4, 8, 16]) {
      const d = factory(4).instantiate({ inDim: 2, grid: 2, patchSize: p, outChannels: 3 }, new ParamStore(), Rng.seeded(0), 'd.');
      if (E.isLeft(d)) throw new Error(d.left);
      expect(d.right.forward(tf.zeros([1, 4, 2]) as tf.Tensor3D).shape).toEqual([1, 2 * p, 2 * p, 3]);
    }
    const bad = factory(4).instantiate({ inDim: 2, grid: 2, patchSize: 6, outChannels: 3 }, new ParamStore(), Rng.seeded(0), 'd.');
    expect(E.isLeft(bad) && bad.left).toBe('patch size 6 is not a power of two up to 16');
  });
});

describe('conv4 decoder with input: pooled', () => {
  it('lays the linear map of the mean token out channel-major on the grid, as the reference view(n, ch, g, g)', () => {
    const [ch, grid, inDim] = [4, 2, 3];
    const spec = { grid, patchSize: 2, outChannels: 3 };
    const pooledStore = new ParamStore();
    const pooled = factory(ch, 'pooled').instantiate({ ...spec, inDim }, pooledStore, Rng.seeded(0), 'd.');
    // a tokens decoder whose linear is the identity, fed by hand with what the pooled linear puts in each cell
    const tokensStore = new ParamStore();
    const tokens = factory(ch).instantiate({ ...spec, inDim: ch }, tokensStore, Rng.seeded(0), 'd.');
    if (E.isLeft(pooled) || E.isLeft(tokens)) throw new Error('instantiate');
    for (const [name, v] of pooledStore.entries()) v.assign(tf.tensor(paramWave(name, v.shape), v.shape));
    for (const [name, v] of tokensStore.entries()) if (!name.startsWith('d.linear')) v.assign(tf.tensor(paramWave(name, v.shape), v.shape));
    tokensStore.get('d.linear.weight')!.assign(tf.eye(ch));
    tokensStore.get('d.linear.bias')!.assign(tf.zeros([ch]));
    const input = [
      [1, -2, 0.5, 3, 0, -1, 2, 2, 2, -0.5, 1, 0],
      [0, 0, 1, 1, 1, 1, -1, 0, 2, 0.25, -3, 1],
    ];
    const w = pooledStore.get('d.linear.weight')!.arraySync() as number[][];
    const bias = pooledStore.get('d.linear.bias')!.arraySync() as number[];
    const cells = input.map((row) => {
      const mean = [0, 1, 2].map((j) => (row[j]! + row[3 + j]! + row[6 + j]! + row[9 + j]!) / 4);
      return Array.from({ length: grid * grid }, (_, p) =>
        Array.from({ length: ch }, (_, c) => mean.reduce((s, m, j) => s + m * w[j]![c * grid * grid + p]!, bias[c * grid * grid + p]!)),
      );
    });
    const fromPooled = pooled.right.forward(tf.tensor3d(input.flat(), [2, 4, inDim]));
    const byHand = tokens.right.forward(tf.tensor3d(cells.flat(2), [2, grid * grid, ch]));
    expect(fromPooled.shape).toEqual([2, 4, 4, 3]);
    const diff = Array.from(fromPooled.dataSync()).reduce((m, v, i) => Math.max(m, Math.abs(v - byHand.dataSync()[i]!)), 0);
    expect(diff).toBeLessThan(1e-5);
  });
});

describe('intermediate reconstruction', () => {
  it('L_rec is the mean over K of each decoder’s MSE, on [z1_equi ; z2_equi]', () => {
    const store = new ParamStore();
    const rec = intermediateReconstruction(factory(4), 2, { equiDim: 3, grid: 2, patchSize: 2, outChannels: 3 }, store, Rng.seeded(0));
    if (E.isLeft(rec)) throw new Error(rec.left);
    expect(store.names().filter((n) => n.endsWith('linear.weight'))).toEqual(['decoders.0.linear.weight', 'decoders.1.linear.weight']);
    expect(store.get('decoders.0.linear.weight')!.shape).toEqual([6, 4]);
    const z1 = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 1) as tf.Tensor3D;
    const z2 = tf.randomNormal([2, 4, 3], 0, 1, 'float32', 2) as tf.Tensor3D;
    const targets = [tf.zeros([2, 4, 4, 3]), tf.ones([2, 4, 4, 3])] as tf.Tensor4D[];
    const r = rec.right.compute(z1, z2, targets);
    const [m0, m1] = r.reconstructions.map((x, i) => tf.mean(tf.square(tf.sub(x, targets[i]!))).dataSync()[0]!);
    expect(r.perDecoder.map((x) => x.dataSync()[0])).toEqual([m0, m1]);
    expect(r.loss.dataSync()[0]).toBeCloseTo((m0! + m1!) / 2, 6);
  });
});

describe('normalised targets', () => {
  it('normalisePerImage gives each image zero mean and unit (biased) variance', () => {
    // image 0: pixels [0, 2, 4, 6] → mean 3, std sqrt(5) → [−3, −1, 1, 3]/sqrt(5); image 1 is constant → zeros
    const x = tf.tensor4d([0, 2, 4, 6, 5, 5, 5, 5], [2, 2, 2, 1]);
    const y = Array.from(normalisePerImage(x).dataSync());
    const s = Math.sqrt(5);
    [-3 / s, -1 / s, 1 / s, 3 / s, 0, 0, 0, 0].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
  });
});
