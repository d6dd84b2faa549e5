/**
 * One training step of equissl, written down for the PyTorch side to repeat
 * (python/equissl_torch, `python3 -m equissl_torch.equivalence`):
 *
 *   DIR/init/checkpoint.safetensors    the model as initialised from the config's seed (step 0)
 *   DIR/views.safetensors              the first batch (`images`) and step 0's views: v1, u, v2, targets.<k> (NHWC), thetas
 *   DIR/step1/checkpoint.safetensors   parameters and AdamW moments after one step on those views
 *   DIR/metrics.json                   that step's loss terms, learning rate and gradient norm
 *
 * The views are drawn as `equissl pretrain` draws step 0's (`stepRng(seed, 0)`,
 * forked by rank with `workers` > 1, each replica its shard of the batch), so
 * the PyTorch side can both take its step on these exact views and check
 * that it draws the same views itself.
 *
 *   node --conditions=@equissl/source --import tsx tools/torch-equivalence.ts CONFIG.yaml DIR [WORKERS]
 */
import { type NamedArray, Rng, backendPreference, encodeSafetensors, selectBackend, writeFileAtomic } from '@equissl/core';
import { BatchStream, openDataset } from '@equissl/data';
import { decodePretrainConfig, pluginUses, saveCheckpoint } from '@equissl/encoder';
import { type StepViews, buildModel, localTrainer, makeViews, parallelTrainer, saveUntrained, stepRng } from '@equissl/pipeline';
import { standardRegistry } from '@equissl/standard';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';

const must = <A>(e: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
};

/** The views of `workers` replicas for one batch: each shard drawn from stepRng(seed, 0).fork(rank), concatenated in rank order. */
const stepViews = (model: Parameters<typeof makeViews>[0], config: Parameters<typeof makeViews>[1], images: tf.Tensor4D, workers: number): StepViews => {
  if (workers === 1) return makeViews(model, config, images, stepRng(config.seed, 0));
  const shards = tf.split(images, workers, 0) as tf.Tensor4D[];
  const parts = shards.map((s, r) => makeViews(model, config, s, stepRng(config.seed, 0).fork(r)));
  const cat = (f: (v: StepViews) => tf.Tensor4D) => tf.concat(parts.map(f), 0) as tf.Tensor4D;
  const views: StepViews = {
    v1: cat((v) => v.v1),
    u: cat((v) => v.u),
    v2: cat((v) => v.v2),
    targets: parts[0]!.targets.map((_, k) => cat((v) => v.targets[k]!)),
    thetas: parts.flatMap((v) => v.thetas),
  };
  tf.dispose([...shards, ...parts.flatMap((v) => [v.v1, v.u, v.v2, ...v.targets])]);
  return views;
};

const array = (t: tf.Tensor): NamedArray => ({ shape: t.shape, data: t.dataSync() as Float32Array });

/** Writes the step-0 checkpoint, the views and the step-1 state of `input` (a pretraining config) into `dir`. */
export const writeStepCase = async (input: Record<string, unknown>, dir: string, workers = 1): Promise<Record<string, number>> => {
  const registry = must(standardRegistry());
  const given = { ...input, workers };
  const config = must(decodePretrainConfig(given));
  must(await saveUntrained(given, registry, join(dir, 'init'))());
  const dataset = must(await openDataset(registry, config.data, 'data')());
  const model = must(buildModel(config, registry, dataset.imageShape));
  const stream = new BatchStream(dataset, { batchSize: config.batchSize, rng: Rng.seeded(config.seed).fork('data') });
  const batch = must(await stream.next());
  if (batch === undefined) throw new Error('no batch');
  const views = stepViews(model, config, batch.images, workers);
  const tensors = new Map<string, NamedArray>([
    ['images', array(batch.images)],
    ['v1', array(views.v1)],
    ['u', array(views.u)],
    ['v2', array(views.v2)],
    ...views.targets.map((t, k): [string, NamedArray] => [`targets.${k}`, array(t)]),
    ['thetas', { shape: [views.thetas.length, views.thetas[0]!.length], data: Float32Array.from(views.thetas.flat()) }],
  ]);
  must(await writeFileAtomic(join(dir, 'views.safetensors'), encodeSafetensors(tensors, { workers: String(workers) }))());
  const trainer = workers === 1 ? localTrainer(model, config) : must(await parallelTrainer(registry, config, model, dataset.imageShape, workers, backendPreference()));
  try {
    const metrics = must(await trainer.stepOnViews(views, 0));
    const state = await trainer.exportState();
    const saved = { step: 1, stream: stream.state(), lossState: trainer.lossState(), config: given, backend: tf.getBackend(), imageShape: dataset.imageShape, encoder: model.spec, plugins: pluginUses(config, registry) };
    must(await saveCheckpoint(join(dir, 'step1', 'checkpoint.safetensors'), state, saved)());
    const out = { lr: metrics.lr, ...metrics.terms };
    must(await writeFileAtomic(join(dir, 'metrics.json'), `${JSON.stringify(out, null, 2)}\n`)());
    return out;
  } finally {
    await trainer.dispose();
    tf.dispose([batch.images, ...(batch.labels ? [batch.labels] : []), views.v1, views.u, views.v2, ...views.targets]);
    model.dispose();
  }
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, dir, workers] = process.argv.slice(2);
  if (file === undefined || dir === undefined) {
    process.stderr.write('usage: tools/torch-equivalence.ts CONFIG.yaml DIR [WORKERS]\n');
    process.exit(2);
  }
  must(await selectBackend('wasm')());
  const terms = await writeStepCase(YAML.parse(readFileSync(file, 'utf8')) ?? {}, dir, Number(workers ?? 1));
  process.stdout.write(`${JSON.stringify(terms)}\n`);
}
