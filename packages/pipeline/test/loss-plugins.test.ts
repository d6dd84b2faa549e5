/**
 * The loss plugins with needs (sie, ibot, dinov2, stl) through the whole
 * pipeline: 2-worker pretraining, alone and with the reconstruction
 * objective, lowers the loss with every term finite, and a run resumed from
 * the uninterrupted run's checkpoint at step 30 reproduces its last 10 steps
 * bit for bit (teacher, centres, masks and θ included).
 */
import * as E from 'fp-ts/lib/Either.js';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pretrain } from '../src/index.js';
import { registry, tempOut, tinyConfig } from './helpers.js';

const steps = 40;
/** The step whose checkpoint the resumed run starts from. */
const resumeAt = 30;
const losses: Record<string, object> = {
  sie: { name: 'sie', projector: [32, 32] },
  ibot: { name: 'ibot', headHidden: 32, bottleneck: 16, prototypes: 64, teacherTempWarmupSteps: 10 },
  dinov2: { name: 'dinov2', headHidden: 32, bottleneck: 16, prototypes: 64, teacherTempWarmupSteps: 10 },
  stl: { name: 'stl', projector: [32, 16], transBackbone: [16, 16], transProjector: [16, 16] },
};

// STL's InfoNCE terms contrast the pairs of a replica: 16 images give each replica 4 aligned pairs (8 give 2,
// a loss too noisy over 40 steps to show a trend)
const config = (loss: object, rec: boolean) =>
  tinyConfig({
    steps,
    ...((loss as { name: string }).name === 'stl' ? { batchSize: 16 } : {}),
    workers: 2,
    equiFraction: 0.5,
    loss,
    path: { name: 'rotation', maxDegrees: 30 },
    optimizer: { lr: 2e-3, warmupSteps: 0 },
    ...(rec ? {} : { reconstruction: 'off' }),
  });

/** A run; `keepAt` copies its checkpoint of that step into another folder (where a resumed run starts from it). */
const run = async (input: unknown, out: string, resume: boolean, keepAt?: { step: number; out: string }) => {
  const seen: { step: number; loss: number; terms: Record<string, number> }[] = [];
  const r = await pretrain(input, registry, {
    out,
    resume,
    backend: 'wasm',
    onStep: (s) => seen.push({ step: s.step, loss: s.loss, terms: { ...s.terms } }),
    ...(keepAt === undefined ? {} : { onCheckpoint: (file: string, step: number) => step === keepAt.step && copyFileSync(file, join(keepAt.out, 'checkpoint.safetensors')) }),
  })();
  if (E.isLeft(r)) throw new Error(r.left.message);
  const params = r.right.model.store.toArrays();
  r.right.model.dispose();
  return { seen, params };
};

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe.each(Object.keys(losses))('%s through the pipeline (2 workers)', (name) => {
  it.each([false, true])('lowers its loss, stays finite and resumes bit for bit (reconstruction %s)', async (rec) => {
    const input = config(losses[name]!, rec);
    const halfway = tempOut();
    const whole = await run({ ...input, checkpointEvery: resumeAt }, tempOut(), false, { step: resumeAt, out: halfway });
    expect(whole.seen.map((s) => s.step)).toEqual(Array.from({ length: steps }, (_, i) => i));
    for (const s of whole.seen) for (const [k, v] of Object.entries(s.terms)) expect(Number.isFinite(v), `${k} at step ${s.step}`).toBe(true);
    // a teacher's centring flattens its sharp initial targets, which can raise the cross-entropy itself for a
    // while (its entropy part); the part the student lowers is the KL to the teacher, logged as ssl.kl
    const watched = name === 'ibot' || name === 'dinov2' ? 'ssl.kl' : 'ssl';
    const curve = whole.seen.map((s) => s.terms[watched]!);
    expect(mean(curve.slice(-5))).toBeLessThan(mean(curve.slice(0, 5)));
    if (rec) expect(mean(whole.seen.slice(-5).map((s) => s.terms['rec']!))).toBeLessThan(mean(whole.seen.slice(0, 5).map((s) => s.terms['rec']!)));

    const second = await run(undefined, halfway, true);
    expect(second.seen.map((s) => s.loss)).toEqual(whole.seen.slice(resumeAt).map((s) => s.loss));
    for (const [p, t] of whole.params) expect(Array.from(second.params.get(p)!.data), p).toEqual(Array.from(t.data));
  }, 300_000);
});
