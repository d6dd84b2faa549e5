/**
 * The page's model code in Node against equissl's own model: a tiny method
 * checkpoint (linear neck, K = 2 conv4 decoders) exported through
 * `equissl export --format tfjs --decoders` and loaded the browser's way;
 * its features, split, decoders and predicted θ equal equissl's, its paths
 * equal @equissl/transforms' pixel for pixel, and the export's metadata
 * describes the decoders. A baseline's export says it has none.
 */
import { buildModel } from '@equissl/pipeline';
import { decodePretrainConfig, readCheckpoint } from '@equissl/encoder';
import { standardRegistry } from '@equissl/standard';
import type { TransformFamily } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { equiTokens, features, loadModel, noDecodersReason, reconstructions, decode } from '../page/model.js';
import { type PathFamily, applyPath, pathTargets, thetaOf } from '../page/paths.js';
import { exploreFamilies } from '../src/families.js';
import { liveSpec } from '../src/site-families.js';
import { equissl, tinyCheckpoint } from './run-explore.js';

const registry = E.getOrElseW(() => {
  throw new Error('registry');
})(standardRegistry());

const work = mkdtempSync(join(tmpdir(), 'equissl-explore-model-'));
const files = (async (url: string) => new Response(readFileSync(url))) as unknown as typeof fetch;
let method = '';
let baseline = '';

/** Image element k (flattened NHWC) = 0.5·sin(0.11·k + 0.2) + 0.5. */
const wave = (b: number) => tf.tensor4d(Float32Array.from({ length: b * 16 * 16 * 3 }, (_, k) => 0.5 * Math.sin(0.11 * k + 0.2) + 0.5), [b, 16, 16, 3]);
/** The page's description of the path `slot` (explore.json's entry, as the command writes it for a checkpoint trained on it). */
const pageFamily = (slot: unknown): PathFamily => {
  const found = exploreFamilies(registry, slot, [16, 16, 3]);
  if (E.isLeft(found)) throw new Error(found.left.message);
  const own = found.right.families[0]!;
  if (own.live === undefined) throw new Error(`${own.name} is not warped by the page`);
  return liveSpec({ ...own, live: own.live });
};
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

beforeAll(async () => {
  method = await tinyCheckpoint(join(work, 'method'), 'method', 2);
  baseline = await tinyCheckpoint(join(work, 'baseline'), 'baseline', 2);
});

describe('equissl export --format tfjs --decoders', () => {
  it('adds the decoders and their metadata; the page runs the encoder, the neck and the decoders as equissl does', async () => {
    const dir = join(work, 'method-tfjs');
    const r = equissl('export', method, '--format', 'tfjs', '--decoders', '--out', dir);
    expect(r.stderr).not.toContain('equissl:');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('neck linear, 2 decoders (rotation path) (step 2)');
    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);

    const m = await loadModel(join(dir, 'model.json'), files);
    expect(Object.keys(m.weights).filter((n) => n.startsWith('decoders.')).sort()).toEqual(
      [0, 1].flatMap((k) => ['linear', 'conv1', 'conv2', 'conv3', 'conv4'].flatMap((l) => [`decoders.${k}.${l}.bias`, `decoders.${k}.${l}.weight`])).sort(),
    );
    expect(m.weights['decoders.0.conv1.weight']!.shape).toEqual([3, 3, 8, 8]);
    expect(m.meta.reconstruction).toEqual({ k: 2, target: 'pixels', decoder: { name: 'conv4', channels: 8, input: 'tokens' }, inDim: 16, grid: 4, patchSize: 4, outChannels: 3 });
    expect(m.meta.path).toMatchObject({ name: 'rotation', config: { maxDegrees: 45, fill: 'constant' }, paramNames: ['angleDeg'], identity: [0], scale: [45] });
    expect(noDecodersReason(m)).toBeUndefined();

    // the whole training model (its decoders too), as the run left it
    const ckpt = await readCheckpoint(method)();
    if (E.isLeft(ckpt)) throw new Error(ckpt.left.message);
    const built = E.flatMap(decodePretrainConfig(ckpt.right.state.config), (c) => buildModel(c, registry, ckpt.right.state.imageShape));
    if (E.isLeft(built)) throw new Error(built.left.message);
    const model = built.right;
    const loaded = model.store.load(ckpt.right.tensors, method, 'param/');
    if (E.isLeft(loaded)) throw new Error(loaded.left.message);
    const x = wave(2);
    const rotation = pageFamily({ name: 'rotation' });
    const gx = applyPath(rotation, x, [30]);
    const targets = pathTargets(rotation, x, [30], 2);
    const fx = features(m, x);
    const fgx = features(m, gx);
    const ours = model.neck(model.backbone.forward(x));
    const plain = model.backbone.forward(x);
    expect(maxDiff(fx.cls, plain.cls)).toBeLessThan(1e-5);
    expect(maxDiff(fx.patches, plain.patches)).toBeLessThan(1e-5);
    expect(maxDiff(fx.neckPatches, ours.patches)).toBeLessThan(1e-5);
    expect(maxDiff(equiTokens(m, fx), tf.slice(ours.patches, [0, 0, model.dInv], [-1, -1, model.dEqui]))).toBeLessThan(1e-5);

    // the decoders on [z_equi(x) ; z_equi(g_θ x)], as the training step computes them
    const theirs = model.neck(model.backbone.forward(gx));
    const e = (t: tf.Tensor3D) => tf.slice(t, [0, 0, model.dInv], [-1, -1, model.dEqui]) as tf.Tensor3D;
    const rec = model.reconstruction!.compute(e(ours.patches), e(theirs.patches), targets);
    const input = tf.concat([equiTokens(m, fx), equiTokens(m, fgx)], 2) as tf.Tensor3D;
    for (const k of [0, 1]) expect(maxDiff(decode(m, k, input), rec.reconstructions[k]!)).toBeLessThan(1e-5);
    const shown = reconstructions(m, fx, fgx, targets);
    for (const k of [0, 1]) expect(maxDiff(shown[k]!, tf.clipByValue(rec.reconstructions[k]!, 0, 1))).toBeLessThan(1e-5);
    model.dispose();
  });

  it('a baseline is exported with reconstruction null and the page says why it shows none', async () => {
    const dir = join(work, 'baseline-tfjs');
    const r = equissl('export', baseline, '--format', 'tfjs', '--decoders', '--out', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no decoders (reconstruction: off)');
    const m = await loadModel(join(dir, 'model.json'), files);
    expect(Object.keys(m.weights).some((n) => n.startsWith('decoders.'))).toBe(false);
    expect(m.meta.reconstruction).toBeNull();
    expect(noDecodersReason(m)).toContain('trained with reconstruction: off');
    const x = wave(1);
    const f = features(m, x);
    expect(reconstructions(m, f, f, [])).toEqual([]);
  });
});

describe("the page's paths", () => {
  it.each([
    ['rotation', -33.5, [-33.5], { name: 'rotation' }],
    ['rotation, reflect', 20, [20], { name: 'rotation', fill: 'reflect' }],
    ['translation', 0.6, [0.6, 0], { name: 'translation' }],
    ['se2, nearest', 30, [30, (30 * 0.5) / 45, 0], { name: 'se2', maxPixels: 0.5, fill: 'nearest' }],
  ] as const)('%s, as explore.json describes it, equals @equissl/transforms pixel for pixel, targets included', (_, s, theta, slot) => {
    const created = registry.create('transform', slot, 'path', { imageShape: [16, 16, 3] });
    if (E.isLeft(created)) throw new Error(created.left.message);
    const family = created.right as TransformFamily;
    const spec = pageFamily(slot);
    expect(spec).toMatchObject({ kind: 'live', name: slot.name, own: true, fill: 'fill' in slot ? slot.fill : 'constant' });
    for (const [a, b] of thetaOf(spec, s).map((v, i) => [v, theta[i]!])) expect(a).toBeCloseTo(b!, 12);
    const x = wave(2);
    expect(maxDiff(applyPath(spec, x, theta), family.apply(x, [theta, theta]))).toBeLessThan(1e-6);
    const ours = pathTargets(spec, x, theta, 2);
    [1, 2].forEach((k, i) => expect(maxDiff(ours[i]!, family.apply(x, [family.interpolate(theta, k / 3), family.interpolate(theta, k / 3)]))).toBeLessThan(1e-6));
  });
});
