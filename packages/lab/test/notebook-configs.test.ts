/**
 * The configs of the experiments in lab/notebook.md (lab/configs/*.json):
 * each decodes, and differs from the reproduce config it started from only
 * where the notebook says.
 */
import { decodePretrainConfig } from '@equissl/encoder';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('lab/configs/*.json', () => {
  // the first reproduce config (procedural data, VICReg without projector on half of the cls token)
  const firstPreset = (c: { steps: number; seed: number; workers: number }) => {
    const shared = {
      seed: c.seed,
      steps: c.steps,
      batchSize: 32,
      workers: c.workers,
      data: { name: 'procedural', count: 8192, size: 32 },
      backbone: { name: 'vit-micro' },
      equiFraction: 0.5,
      loss: { name: 'vicreg', variant: 'sie' },
      augment: { name: 'all' },
      path: { name: 'rotation' },
      views: { flip: 0 },
      optimizer: { lr: 5e-4, minLr: 1e-5, weightDecay: 0.05, warmupSteps: Math.max(1, Math.round(c.steps / 20)) },
      checkpointEvery: 100,
    };
    return { baseline: { ...shared, reconstruction: 'off' }, method: { ...shared, reconstruction: { weight: 1, k: 2, decoder: { name: 'conv4', channels: 32 } } } };
  };
  // each experiment of lab/notebook.md: the reproduce config it started from, and what it changed
  const changes: Record<string, (c: Record<string, any>) => unknown> = {
    'baseline-full-vicreg.json': (c) => ({ reconstruction: c.reconstruction, equiFraction: c.equiFraction }),
    'baseline-no-crop.json': (c) => ({ reconstruction: c.reconstruction, cropScale: c.views.cropScale, workers: c.workers }),
    'method-lambda20.json': (c) => ({ weight: c.reconstruction.weight }),
    'method-lambda20-lr2e-3.json': (c) => ({ weight: c.reconstruction.weight, lr: c.optimizer.lr }),
    'method-no-crop.json': (c) => ({ weight: c.reconstruction.weight, cropScale: c.views.cropScale, workers: c.workers }),
    'method-pooled-decoder.json': (c) => ({ decoder: c.reconstruction.decoder }),
    'method-decoder-lr10.json': (c) => ({ weight: c.reconstruction.weight, decoderLrScale: c.optimizer.decoderLrScale }),
    'method-decoder-lr10-lambda10.json': (c) => ({ weight: c.reconstruction.weight, decoderLrScale: c.optimizer.decoderLrScale }),
    'method-1500-steps.json': (c) => ({ steps: c.steps, warmupSteps: c.optimizer.warmupSteps }),
    'baseline-1500-steps.json': (c) => ({ reconstruction: c.reconstruction, steps: c.steps, warmupSteps: c.optimizer.warmupSteps }),
    'method-at-init.json': (c) => ({ steps: c.steps, warmupSteps: c.optimizer.warmupSteps, lr: c.optimizer.lr, workers: c.workers }),
  };
  const expected: Record<string, unknown> = {
    'baseline-full-vicreg.json': { reconstruction: 'off', equiFraction: 0 },
    'baseline-no-crop.json': { reconstruction: 'off', cropScale: [1, 1], workers: 1 },
    'method-lambda20.json': { weight: 20 },
    'method-lambda20-lr2e-3.json': { weight: 20, lr: 2e-3 },
    'method-no-crop.json': { weight: 1, cropScale: [1, 1], workers: 1 },
    'method-pooled-decoder.json': { decoder: { name: 'conv4', channels: 32, input: 'pooled' } },
    'method-decoder-lr10.json': { weight: 1, decoderLrScale: 10 },
    'method-decoder-lr10-lambda10.json': { weight: 10, decoderLrScale: 10 },
    'method-1500-steps.json': { steps: 1500, warmupSteps: 75 },
    'baseline-1500-steps.json': { reconstruction: 'off', steps: 1500, warmupSteps: 75 },
    'method-at-init.json': { steps: 1, warmupSteps: 1, lr: 1e-12, workers: 1 },
  };

  it.each(Object.keys(changes))('%s decodes, and differs from reproduce’s config only where the notebook says', (name) => {
    const raw = JSON.parse(readFileSync(join(root, 'lab', 'configs', name), 'utf8'));
    const config = decodePretrainConfig(raw);
    if (config._tag === 'Left') throw new Error(config.left.message);
    expect(changes[name]!(raw)).toEqual(expected[name]);
    const base = firstPreset({ steps: 600, seed: 0, workers: 2 })[name.startsWith('method') ? 'method' : 'baseline'];
    const decodedBase = decodePretrainConfig(base);
    if (decodedBase._tag === 'Left') throw new Error(decodedBase.left.message);
    const strip = (c: Record<string, any>) => ({
      ...c,
      steps: 0,
      equiFraction: 0,
      reconstruction: 'off',
      workers: 0,
      views: { ...c.views, cropScale: 0, cropRatio: 0 },
      optimizer: { ...c.optimizer, lr: 0, warmupSteps: 0, decoderLrScale: 0 },
    });
    expect(strip(config.right)).toEqual(strip(decodedBase.right));
  });
});
