/** Readouts of a frozen encoder: cls, [cls ; mean patch], flattened tokens; parts are channel slices of the split representation (after the neck). */
import { standardRegistry } from './registry.js';
import { buildEncoder, decodePretrainConfig, encode, encodeAll, encodeAllReadouts } from '../src/index.js';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';

const model = (extra: Record<string, unknown> = {}) => {
  const registry = standardRegistry();
  const config = decodePretrainConfig({ backbone: { name: 'vit', dim: 8, depth: 1, heads: 2 }, equiFraction: 0.25, data: { name: 'procedural', size: 16 }, ...extra });
  if (E.isLeft(registry) || E.isLeft(config)) throw new Error('setup');
  const m = buildEncoder(config.right, registry.right, [16, 16, 3]);
  if (E.isLeft(m)) throw new Error(m.left.message);
  return m.right;
};

describe('encode', () => {
  it('concatenates the cls token and the mean patch token; parts are channel slices of them', () => {
    const m = model();
    const x = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const full = encode(m, x, 'clsmean-full');
    const equi = encode(m, x, 'clsmean-equi');
    const inv = encode(m, x, 'clsmean-inv');
    expect([full.shape, equi.shape, inv.shape]).toEqual([[3, 16], [3, 4], [3, 12]]);
    const out = m.backbone.forward(x);
    const expected = tf.concat([out.cls, tf.mean(out.patches, 1)], 1);
    expect(tf.max(tf.abs(tf.sub(full, expected))).dataSync()[0]).toBeLessThan(1e-6);
    // d = 8, d_equi = 2: equi = [cls[6:8] ; mean[6:8]], inv = [cls[0:6] ; mean[0:6]]
    const cols = (t: tf.Tensor2D, from: number, n: number) => tf.slice(t, [0, from], [3, n]);
    expect(Array.from(equi.dataSync())).toEqual(Array.from(tf.concat([cols(full, 6, 2), cols(full, 14, 2)], 1).dataSync()));
    expect(Array.from(inv.dataSync())).toEqual(Array.from(tf.concat([cols(full, 0, 6), cols(full, 8, 6)], 1).dataSync()));
    m.dispose();
  });

  it('encodes in chunks with the same result and no leaked tensors', () => {
    const m = model();
    const x = tf.randomUniform([5, 16, 16, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const chunked = encodeAll(m, x, 'clsmean-full', 2);
    expect(tf.memory().numTensors).toBe(before + 1);
    const whole = encode(m, x, 'clsmean-full');
    expect(tf.max(tf.abs(tf.sub(chunked, whole))).dataSync()[0]).toBeLessThan(1e-5);
    m.dispose();
  });

  it('reads the cls token alone and the flattened patch tokens', () => {
    const m = model();
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const out = m.backbone.forward(x);
    // 16-px images, patch 4: 16 tokens of width 8
    const tokens = encode(m, x, 'tokens-full');
    expect(tokens.shape).toEqual([2, 128]);
    expect(Array.from(tokens.dataSync())).toEqual(Array.from(out.patches.dataSync()));
    expect(Array.from(encode(m, x, 'cls-full').dataSync())).toEqual(Array.from(out.cls.dataSync()));
    // equi of the tokens: the last 2 channels of every token, token by token
    const equi = encode(m, x, 'tokens-equi').arraySync() as number[][];
    const p = out.patches.arraySync() as number[][][];
    expect(equi[1]!.slice(0, 4)).toEqual([p[1]![0]![6]!, p[1]![0]![7]!, p[1]![1]![6]!, p[1]![1]![7]!]);
    m.dispose();
  });

  it('reads the parts after the linear neck and the full features before it', () => {
    const m = model({ neck: 'linear' });
    const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const out = m.backbone.forward(x);
    expect(Array.from(encode(m, x, 'cls-full').dataSync())).toEqual(Array.from(out.cls.dataSync()));
    const w = m.store.get('neck.weight')!;
    const b = m.store.get('neck.bias')!;
    const z = tf.add(tf.matMul(out.cls, w), b);
    const inv = encode(m, x, 'cls-inv');
    expect(tf.max(tf.abs(tf.sub(inv, tf.slice(z, [0, 0], [2, 6])))).dataSync()[0]).toBeLessThan(1e-5);
    m.dispose();
  });

  it('the forward-only path (no tape) gives the training path\'s features within 1e-5 and keeps no activations', () => {
    const m = model({ neck: 'linear' });
    const x = tf.randomUniform([6, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    // the training path: the backbone under a gradient tape, as in a training step (the custom-gradient ops save their activations)
    let taped: tf.Tensor2D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const out = m.backbone.forward(x);
      taped = tf.keep(tf.concat([out.cls, tf.mean(out.patches, 1)], 1) as tf.Tensor2D);
      return tf.sum(tf.square(out.cls)) as tf.Scalar;
    });
    tf.dispose([value, ...Object.values(grads)]);
    const before = tf.memory().numTensors;
    const [forwardOnly, inv] = encodeAllReadouts(m, x, ['clsmean-full', 'cls-inv'], 4);
    // the two readouts are all that is left: no saved activation survives the forward-only pass
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(tf.max(tf.abs(tf.sub(forwardOnly!, taped!))).dataSync()[0]).toBeLessThan(1e-5);
    expect(inv!.shape).toEqual([6, 6]);
    m.dispose();
  });

  it('encodes what `before` makes of each chunk, given the index of its first image, and leaves no chunk behind', () => {
    const m = model();
    const x = tf.randomUniform([7, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const scale = [0.5, 1, 1.5, 2, 2.5, 3, 3.5];
    // image i scaled by scale[i]: the chunk's images must line up with their own factors
    const scaled = (chunk: tf.Tensor4D, start: number) => tf.mul(chunk, tf.tensor4d(scale.slice(start, start + chunk.shape[0]), [chunk.shape[0], 1, 1, 1])) as tf.Tensor4D;
    const whole = encodeAll(m, scaled(x, 0), 'clsmean-full');
    const before = tf.memory().numTensors;
    const [chunked] = encodeAllReadouts(m, x, ['clsmean-full'], 3, scaled);
    expect(tf.memory().numTensors).toBe(before + 1);
    // equal up to float rounding (a BLAS may block a 3-image matmul otherwise than a 7-image one); a chunk scaled
    // by another image's factor would differ by a third or more
    const w = whole.dataSync();
    const c = chunked!.dataSync();
    expect(c.length).toBe(w.length);
    expect(Math.max(...Array.from(c, (v, i) => Math.abs(v - w[i]!)))).toBeLessThan(1e-5);
    m.dispose();
  });
});
