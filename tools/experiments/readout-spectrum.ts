/**
 * Where in the feature spectrum R²(rotation) lives, and whether SIE's MLP
 * regressor can reach it: for each finished run of a reproduce folder, the
 * rotation pairs [f(x) ; f(g_θ x)] of the equivariance suite (headline
 * readout `clsmean-full`, 2,048 test images, θ drawn from the run's seed as
 * the suite draws it, 80 % train / 20 % test), standardised on the train
 * rows, and
 *
 * - the share of variance in the 5 leading principal components and the
 *   effective rank (Σλ)² / Σλ² of the standardised train pairs;
 * - the test R² of least squares on the k leading components (k = 20, 50,
 *   100, all): how deep in the spectrum θ is kept;
 * - train and test R² of the suite's two regressors, SIE's MLP (Adam, 30
 *   epochs) and the closed-form ridge.
 *
 * A regressor trained by gradient steps fits the leading directions first;
 * when θ lives only in components that hold a fraction of a percent of the
 * variance, the MLP does not fit it even on its training rows while ridge,
 * solved exactly, does. Writes `spectrum.json` and `spectrum.md` into OUT.
 *
 *   node --conditions=@equissl/source --import tsx tools/experiments/readout-spectrum.ts \
 *     out/systems-photos out/readout-spectrum-photos data/scenes32 untrained,ibot,ours-ibot,dinov2 3
 */
import { Rng, selectBackend } from '@equissl/core';
import { openDataset } from '@equissl/data';
import { encodeAllReadouts, loadEncoder } from '@equissl/encoder';
import { type Regressor, r2Scalar } from '@equissl/heads';
import { standardRegistry } from '@equissl/standard';
import { type TransformFamily, paramsTensor } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const from = process.argv[2] ?? 'out/systems-photos';
const out = process.argv[3] ?? 'out/readout-spectrum-photos';
const dataDir = process.argv[4] ?? 'data/scenes32';
const rows = (process.argv[5] ?? 'untrained,ibot,ours-ibot,dinov2,ours-dinov2').split(',');
const seeds = Array.from({ length: Number(process.argv[6] ?? 3) }, (_, i) => i);
const images = 2048;
const depths = [20, 50, 100] as const;

const must = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
};

await selectBackend()();
const registry = must(standardRegistry());
const dataset = must(await openDataset(registry, { name: 'image-folder', dir: dataDir, split: 'test' }, 'data')());
const n = Math.min(images, dataset.size);
const nTrain = Math.floor(0.8 * n);
const raw = must(await dataset.read(Array.from({ length: n }, (_, i) => i))());
const x = tf.tensor4d(raw.pixels, [n, ...dataset.imageShape] as [number, number, number, number]);
const family = must(registry.create('transform', { name: 'rotation' }, 'rotation', { imageShape: dataset.imageShape })) as TransformFamily;

/** Least-squares test R² on the k leading principal components (orthogonal train scores: one projection per component). */
const r2OnLeading = (scores: Matrix, y: Float64Array, k: number): number => {
  const yMean = y.subarray(0, nTrain).reduce((s, v) => s + v, 0) / nTrain;
  const pred = new Float64Array(n - nTrain).fill(yMean);
  for (let j = 0; j < k; j++) {
    let py = 0;
    let pp = 0;
    for (let i = 0; i < nTrain; i++) {
      const p = scores.get(i, j);
      py += p * (y[i]! - yMean);
      pp += p * p;
    }
    if (pp < 1e-12) continue;
    for (let i = nTrain; i < n; i++) pred[i - nTrain]! += (scores.get(i, j) * py) / pp;
  }
  return r2Scalar(Float32Array.from(y.subarray(nTrain)), Float32Array.from(pred));
};

type Result = { row: string; seed: number; top5: number; effectiveRank: number; leading: Record<string, number>; ridge: { train: number; test: number }; mlp: { train: number; test: number } };
const results: Result[] = [];
mkdirSync(out, { recursive: true });
for (const row of rows) {
  for (const seed of seeds) {
    const checkpoint = join(from, row, `seed${seed}`, 'checkpoint.safetensors');
    if (!existsSync(checkpoint)) continue;
    const encoder = must(await loadEncoder(checkpoint, registry)());
    const rng = Rng.seeded(seed).fork('equivariance').fork('rotation');
    const thetas = Array.from({ length: n }, () => family.sample(rng));
    const gx = family.apply(x, thetas);
    const targets = paramsTensor(thetas.map((t) => [t[0]!]), 1);
    const [fx] = encodeAllReadouts(encoder.encoder, x, ['clsmean-full']);
    const [fgx] = encodeAllReadouts(encoder.encoder, gx, ['clsmean-full']);
    const pairs = tf.concat([fx!, fgx!], 1) as tf.Tensor2D;
    const d = pairs.shape[1];
    const split = <T extends tf.Tensor>(t: T) => [tf.slice(t, 0, nTrain), tf.slice(t, nTrain)] as [T, T];
    const [trX, teX] = split(pairs);
    const [trY, teY] = split(targets);
    // principal components of the standardised train pairs
    const { mean, variance } = tf.moments(trX, 0);
    const z = tf.tidy(() => tf.div(tf.sub(pairs, mean), tf.add(tf.sqrt(variance), 1e-8)));
    const Z = new Matrix(Array.from({ length: n }, (_, i) => Array.from(z.dataSync().subarray(i * d, (i + 1) * d))));
    const Ztr = Z.subMatrix(0, nTrain - 1, 0, d - 1);
    const eig = new EigenvalueDecomposition(Ztr.transpose().mmul(Ztr).div(nTrain), { assumeSymmetric: true });
    const order = eig.realEigenvalues.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]);
    const lambdas = order.map(([v]) => Math.max(v, 0));
    const total = lambdas.reduce((s, v) => s + v, 0);
    const V = new Matrix(d, d);
    order.forEach(([, i], j) => V.setColumn(j, eig.eigenvectorMatrix.getColumn(i)));
    const scores = Z.mmul(V);
    const y = Float64Array.from(targets.dataSync());
    const leading = Object.fromEntries([...depths, d].map((k) => [k === d ? 'all' : String(k), r2OnLeading(scores, y, k)]));
    const fit = (slot: unknown) => {
      const head = (must(registry.create('head', slot, 'regressor')) as { create: () => Regressor }).create();
      head.fit(trX, trY, rng.fork('head'));
      const score = (features: tf.Tensor2D, truth: tf.Tensor2D) => {
        const p = head.predict(features);
        const r2 = r2Scalar(truth.dataSync() as Float32Array, p.dataSync() as Float32Array);
        p.dispose();
        return r2;
      };
      const r = { train: score(trX, trY), test: score(teX, teY) };
      head.dispose();
      return r;
    };
    const result: Result = {
      row,
      seed,
      top5: lambdas.slice(0, 5).reduce((s, v) => s + v, 0) / total,
      effectiveRank: total ** 2 / lambdas.reduce((s, v) => s + v * v, 0),
      leading,
      ridge: fit({ name: 'ridge' }),
      mlp: fit({ name: 'mlp' }),
    };
    results.push(result);
    console.log(JSON.stringify(result));
    tf.dispose([gx, targets, fx!, fgx!, pairs, trX, teX, trY, teY, mean, variance, z]);
    encoder.encoder.dispose();
  }
}
x.dispose();

const f = (v: number) => v.toFixed(3);
const lines = [
  `# R²(rotation) through the feature spectrum (\`${from}\`, clsmean-full, ${n} test images)`,
  '',
  '| row | seed | variance in 5 leading PCs | effective rank | R² on 20 PCs | 50 | 100 | all | ridge train / test | MLP train / test |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...results.map((r) => `| ${r.row} | ${r.seed} | ${f(r.top5)} | ${r.effectiveRank.toFixed(1)} | ${f(r.leading['20']!)} | ${f(r.leading['50']!)} | ${f(r.leading['100']!)} | ${f(r.leading['all']!)} | ${f(r.ridge.train)} / ${f(r.ridge.test)} | ${f(r.mlp.train)} / ${f(r.mlp.test)} |`),
];
writeFileSync(join(out, 'spectrum.json'), JSON.stringify(results, null, 2));
writeFileSync(join(out, 'spectrum.md'), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
