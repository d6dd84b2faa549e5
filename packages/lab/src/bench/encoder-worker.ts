/**
 * The worker-thread side of the benchmark's `encode` mode on several workers
 * (see `bench.ts`): one copy of the reference model, which encodes its share
 * of the 2B images (fixed random, made once) with the backbone's forward pass
 * inside `tf.tidy`, no tape, on every `encode` request.
 *
 * @since 0.1.0
 */
import { type BackendPreference, selectBackend } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import { parentPort, workerData } from 'node:worker_threads';
import { buildModel } from '@equissl/pipeline';
import { type PretrainConfig } from '@equissl/encoder';
import { standardRegistry } from '@equissl/standard';

/** What the main thread gives each encoder worker. */
export interface EncoderData {
  readonly config: PretrainConfig;
  readonly backend: BackendPreference;
  /** Images this worker encodes per step. */
  readonly images: number;
  readonly seed: number;
}

/** Messages from the main thread. */
export type ToEncoder = { readonly type: 'encode' } | { readonly type: 'memory' } | { readonly type: 'close' };

/** Messages to the main thread (`done` carries this worker's `tf.memory().numTensors`). */
export type FromEncoder = { readonly type: 'ready' } | { readonly type: 'done'; readonly numTensors: number } | { readonly type: 'failed'; readonly message: string };

const run = async (): Promise<void> => {
  const port = parentPort!;
  const d = workerData as EncoderData;
  const post = (m: FromEncoder) => port.postMessage(m);
  const backend = await selectBackend(d.backend)();
  if (E.isLeft(backend)) return post({ type: 'failed', message: backend.left.message });
  const registry = standardRegistry();
  if (E.isLeft(registry)) return post({ type: 'failed', message: registry.left.message });
  const built = buildModel(d.config, registry.right, [32, 32, 3]);
  if (E.isLeft(built)) return post({ type: 'failed', message: built.left.message });
  const model = built.right;
  const images = tf.randomUniform([d.images, 32, 32, 3], 0, 1, 'float32', d.seed) as tf.Tensor4D;
  port.on('message', (m: ToEncoder) => {
    try {
      if (m.type === 'encode') {
        tf.tidy(() => {
          model.backbone.forward(images);
        });
        post({ type: 'done', numTensors: tf.memory().numTensors });
      } else if (m.type === 'memory') post({ type: 'done', numTensors: tf.memory().numTensors });
      else {
        images.dispose();
        model.dispose();
        port.close();
      }
    } catch (e) {
      post({ type: 'failed', message: e instanceof Error ? e.message : String(e) });
    }
  });
  post({ type: 'ready' });
};

await run();
