/** An untrained encoder saved as a checkpoint (the encoder's tensors only: what evaluation loads), for the evaluation tests. */
import type { NamedArray, Registry } from '@equissl/core';
import { buildEncoder, decodePretrainConfig, saveCheckpoint } from '@equissl/encoder';
import * as E from 'fp-ts/lib/Either.js';
import { join } from 'node:path';

/** Writes `dir/checkpoint.safetensors` for the config `given` (as given) at `step`, images of `imageShape`; returns its path. */
export const untrainedCheckpoint = async (dir: string, given: Record<string, unknown>, registry: Registry, imageShape: readonly [number, number, number], step = 0): Promise<string> => {
  const config = decodePretrainConfig(given);
  if (E.isLeft(config)) throw new Error(config.left.message);
  const encoder = buildEncoder(config.right, registry, imageShape);
  if (E.isLeft(encoder)) throw new Error(encoder.left.message);
  const tensors = new Map<string, NamedArray>([...encoder.right.store.entries()].map(([n, v]) => [`param/${n}`, { shape: v.shape, data: v.dataSync() as Float32Array }]));
  encoder.right.dispose();
  const file = join(dir, 'checkpoint.safetensors');
  const saved = await saveCheckpoint(file, tensors, { step, stream: { seed: [1, 2, 3, 4], epoch: 0, cursor: 0, skipped: 0 }, lossState: null, config: given, backend: 'cpu', imageShape })();
  if (E.isLeft(saved)) throw new Error(saved.left.message);
  return file;
};
