/**
 * The homography-estimation suite (S-COCO style, DeTone et al. 2016; the
 * paper's dense task): pairs (A, B) of S×S grey crops where B is A's
 * neighbourhood warped by a random perturbation of A's four corners by up
 * to ρ = `rhoFraction`·S pixels (default S/4: DeTone's ρ = 32 at 128 px);
 * both crops go through the encoder, and a small convolutional head on their
 * patch tokens, concatenated per token, regresses the 8 corner offsets
 * (offsets, not a displacement map; `@equissl/heads`' `tokenHomographyHead`).
 * The score is the Mean Corner Error in crop pixels on held-out pairs.
 *
 * Two modes: frozen (the tokens are encoded once and only the head trains)
 * and fine-tuned (the frozen mode first, then `finetuneSteps` of the same
 * head and the backbone together, the backbone at `finetuneLrScale` × the
 * head's learning rate, through its forward pass; the encoder's weights are
 * restored afterwards). References scored in the same run: the zero
 * predictor (MCE of zero offsets), a HomographyNet-style CNN trained from
 * scratch on the pixels with the same budget, and the untrained encoder
 * (the checkpoint's config, initialised with the evaluation seed) in the
 * same mode. Training pairs come from the train split, test pairs from the
 * test split. Everything is drawn from `Rng.seeded(seed).fork('homography')`.
 *
 * @since 0.2.0
 */
import { type EquisslError, type Registry, Rng, boundedNumber, decode, nonNegativeInt, positive, positiveInt, struct } from '@equissl/core';
import type { Dataset } from '@equissl/data';
import { HomographyHeadConfig, HomographyNetConfig, type ParamGroup, type TokenHomographyHead, fitMinibatches, homographyNet, meanCornerError, tokenHomographyHead, tokenStats } from '@equissl/heads';
import { type Encoder, type EncoderSpec, encoderFromSpec } from '@equissl/encoder';
import type { HomographyPair } from '@equissl/transforms';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type PairSet, greyImages, pairSet, stackedPairs } from './homography-pairs.js';

/** A reference scored beside the checkpoint. */
export const HomographyReference = t.union([t.literal('zero'), t.literal('scratch'), t.literal('untrained')]);
export type HomographyReference = t.TypeOf<typeof HomographyReference>;

/**
 * The suite's defaults, CPU-sized: 1,024 training and 256 test pairs, 300
 * Adam steps of 32 pairs at lr 1e-3 for every head (frozen: about a minute
 * per encoder for vit-micro on one core, the from-scratch CNN about as much;
 * fine-tuned: 300 more steps through the backbone, 6–7 minutes).
 */
export const homographyDefaults = {
  rhoFraction: 0.25,
  trainPairs: 1024,
  testPairs: 256,
  steps: 300,
  batchSize: 32,
  lr: 1e-3,
  finetune: false,
  finetuneSteps: 300,
  finetuneLrScale: 0.1,
  head: { layers: 3, channels: 32 },
  scratch: { channels: [16, 32, 32, 64] },
  references: ['zero', 'scratch', 'untrained'] as HomographyReference[],
  examples: 4,
};

/** The suite's settings; every field has a default ({@link homographyDefaults}). */
export const HomographyConfig = struct(
  'homography',
  {
    /** ρ / S: the largest corner offset as a fraction of the crop size (below 0.5). */
    rhoFraction: boundedNumber('number in (0, 0.5)', (n) => n > 0 && n < 0.5),
    trainPairs: positiveInt,
    testPairs: positiveInt,
    steps: positiveInt,
    batchSize: positiveInt,
    lr: positive,
    finetune: t.boolean,
    /** Fine-tuned only: the steps of head and backbone together, after the `steps` of the head alone. */
    finetuneSteps: positiveInt,
    finetuneLrScale: positive,
    head: HomographyHeadConfig,
    scratch: HomographyNetConfig,
    references: t.array(HomographyReference),
    /** Test pairs kept for the figure (with the checkpoint's predictions). */
    examples: nonNegativeInt,
  },
  homographyDefaults,
);
export type HomographyConfig = t.TypeOf<typeof HomographyConfig>;

/** One test pair for the figure: the source around A, B, and the true and predicted offsets. */
export interface HomographyExample {
  /** The source window around A, `contextSize²` grey pixels as base64 of uint8 (row-major); A's top-left pixel is at (margin, margin). */
  readonly context: string;
  readonly contextSize: number;
  readonly margin: number;
  /** B, S² grey pixels as base64 of uint8. */
  readonly b: string;
  readonly offsets: ReadonlyArray<number>;
  readonly predicted: ReadonlyArray<number>;
}

/** What the suite measured. */
export interface HomographyResult {
  readonly mode: 'frozen' | 'finetune';
  /** Fine-tuned only: the backbone's learning rate as a fraction of the head's. */
  readonly finetuneLrScale?: number;
  /** Fine-tuned only: the steps of head and backbone together (after `steps` of the head alone). */
  readonly finetuneSteps?: number;
  /** Crop size S and largest offset ρ, in pixels. */
  readonly size: number;
  readonly rho: number;
  readonly trainPairs: number;
  readonly testPairs: number;
  readonly steps: number;
  /** Mean Corner Error of the checkpoint's encoder with the head, in crop pixels (fine-tuned: after fine-tuning). */
  readonly mce: number;
  /** Fine-tuned only: the checkpoint's MCE after the first phase, the head on the frozen encoder. */
  readonly mceHeadOnly?: number;
  /** MCE of the zero predictor. */
  readonly mceZero: number;
  /** MCE of the CNN trained from scratch on pixels (when asked for). */
  readonly mceScratch?: number;
  /** MCE of the untrained encoder in the same mode (when asked for). */
  readonly mceUntrained?: number;
  readonly examples: ReadonlyArray<HomographyExample>;
}

/**
 * How the head (and, fine-tuned, the encoder) trained, in words for reports:
 * "encoder frozen, 300 steps" or "300 steps of the head on the frozen encoder,
 * then 300 steps of head and encoder together, the encoder at 0.1× the head's
 * learning rate".
 */
export const homographyTraining = (h: Pick<HomographyResult, 'mode' | 'steps' | 'finetuneSteps' | 'finetuneLrScale'>): string =>
  h.mode === 'finetune'
    ? `${h.steps} steps of the head on the frozen encoder, then ${h.finetuneSteps ?? '?'} steps of head and encoder together, the encoder at ${h.finetuneLrScale ?? 0.1}× the head's learning rate`
    : `encoder frozen, ${h.steps} steps`;

/** Options of {@link homographySuite}. */
export interface HomographyOptions {
  /** The suite's settings as given (decoded with {@link HomographyConfig}; missing fields take the defaults). */
  readonly config?: unknown;
  readonly seed: number;
  /** The encoder's input `[S, S, C]`. */
  readonly imageShape: readonly [number, number, number];
  /** The checkpoint's encoder spec, for the untrained reference (the same encoder initialised from the evaluation seed). */
  readonly encoderSpec?: EncoderSpec;
  readonly onProgress?: (what: string) => void;
}

/** `steps` Adam steps of {@link fitMinibatches} on `loss(batch indices)`, the loss reported every 50 steps and at the end. */
const fitSteps = (groups: ReadonlyArray<ParamGroup>, n: number, steps: number, batchSize: number, rng: Rng, loss: (idx: tf.Tensor1D) => tf.Scalar, report: (step: number, value: number) => void): void =>
  fitMinibatches(n, groups, loss, { schedule: { steps }, batchSize, rng, onStep: (step, value) => (step % 50 === 0 || step === steps ? report(step, value()) : undefined) });

/** The patch tokens `[n, N, D]` of `images` (no gradient), in chunks of `batch`. */
const patchTokens = (model: Encoder, images: tf.Tensor4D, batch = 128): tf.Tensor3D => {
  const n = images.shape[0];
  const parts: tf.Tensor3D[] = [];
  for (let s = 0; s < n; s += batch) parts.push(tf.tidy(() => model.backbone.forward(tf.slice(images, [s, 0, 0, 0], [Math.min(batch, n - s), -1, -1, -1])).patches));
  const all = tf.concat(parts, 0) as tf.Tensor3D;
  tf.dispose(parts);
  return all;
};

/** A pair set as tensors: encoder images of A and B, and the scaled targets (offsets / ρ). */
interface PairTensors {
  readonly set: PairSet;
  readonly a: tf.Tensor4D;
  readonly b: tf.Tensor4D;
  readonly targets: tf.Tensor2D;
}

const pairTensors = (set: PairSet, channels: number): PairTensors => ({
  set,
  a: greyImages(set.a, set.geometry.size, channels),
  b: greyImages(set.b, set.geometry.size, channels),
  targets: tf.tidy(() => tf.div(tf.tensor2d(set.offsets, [set.count, 8]), set.geometry.rho) as tf.Tensor2D),
});

/** Offsets in pixels, `[n, 8]` flat, from a scaled-offset predictor run in chunks of 64. */
const predictOffsets = (n: number, rho: number, predict: (start: number, size: number) => tf.Tensor2D): Float32Array => {
  const out = new Float32Array(n * 8);
  for (let s = 0; s < n; s += 64) {
    const p = tf.tidy(() => tf.mul(predict(s, Math.min(64, n - s)), rho));
    out.set(p.dataSync(), s * 8);
    p.dispose();
  }
  return out;
};

const slice = <T extends tf.Tensor>(x: T, start: number, size: number): T => tf.slice(x, start, size) as T;

/** What {@link scoreEncoder} predicted on the test pairs (offsets in pixels). */
interface EncoderPredictions {
  /** The final predictions: the head on the frozen encoder, or after fine-tuning. */
  readonly predicted: Float32Array;
  /** Fine-tuned only: the predictions after the first phase (the head on the frozen encoder). */
  readonly headOnly?: Float32Array;
}

/**
 * Trains the token head on an encoder and returns its test predictions.
 *
 * The head first trains for `steps` on the frozen encoder's tokens (encoded
 * once; the standardisation statistics come from all of them). Fine-tuned,
 * the same head then trains `finetuneSteps` more together with the backbone
 * (at `finetuneLrScale` × the head's learning rate, through the backbone's
 * forward pass): a head trained from its random start with the backbone
 * stayed at the zero predictor on natural photos (lab/notebook.md), while the
 * head-first order ("LP-FT", Kumar et al. 2022) starts fine-tuning from a
 * head that already uses the features. A fine-tuned encoder's weights are
 * put back as they were before it returns.
 */
const scoreEncoder = (model: Encoder, train: PairTensors, test: PairTensors, c: HomographyConfig, rng: Rng, log: (what: string) => void): EncoderPredictions => {
  const rho = train.set.geometry.rho;
  const { dim, grid } = model.backbone;
  const reportAs = (phase: string, steps: number) => (step: number, v: number) => log(`${phase}step ${step}/${steps}, loss ${v.toFixed(4)}`);
  const predictWith = (head: TokenHomographyHead, teA: tf.Tensor3D, teB: tf.Tensor3D) => predictOffsets(test.set.count, rho, (s, n) => head.forward(slice(teA, s, n), slice(teB, s, n)));
  log(`encoding ${train.set.count + test.set.count} pairs`);
  const [trA, trB, teA, teB] = [train.a, train.b, test.a, test.b].map((x) => patchTokens(model, x)) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
  const head = tokenHomographyHead(dim, grid, c.head, tokenStats([trA, trB]), rng.fork('head'));
  try {
    fitSteps([{ variables: head.variables(), lr: c.lr }], train.set.count, c.steps, c.batchSize, rng.fork('batches'), (idx) =>
      tf.tidy(() => tf.losses.meanSquaredError(tf.gather(train.targets, idx), head.forward(tf.gather(trA, idx), tf.gather(trB, idx))) as tf.Scalar), reportAs(c.finetune ? 'head on the frozen encoder: ' : '', c.steps));
    const headOnly = predictWith(head, teA, teB);
    if (!c.finetune) return { predicted: headOnly };
    log(`head on the frozen encoder: MCE ${meanCornerError(test.set.offsets, headOnly).toFixed(3)} px; fine-tuning the encoder with it`);
    const backbone = model.store.entries().filter(([name]) => name.startsWith('encoder.')).map(([, v]) => v);
    const saved = backbone.map((v) => v.clone());
    try {
      fitSteps(
        [
          { variables: head.variables(), lr: c.lr },
          { variables: backbone, lr: c.lr * c.finetuneLrScale },
        ],
        train.set.count,
        c.finetuneSteps,
        c.batchSize,
        rng.fork('finetune batches'),
        (idx) =>
          tf.tidy(() => {
            const ta = model.backbone.forward(tf.gather(train.a, idx) as tf.Tensor4D).patches;
            const tb = model.backbone.forward(tf.gather(train.b, idx) as tf.Tensor4D).patches;
            return tf.losses.meanSquaredError(tf.gather(train.targets, idx), head.forward(ta, tb)) as tf.Scalar;
          }),
        reportAs('fine-tuning: ', c.finetuneSteps),
      );
      const [tuA, tuB] = [test.a, test.b].map((x) => patchTokens(model, x)) as [tf.Tensor3D, tf.Tensor3D];
      try {
        return { predicted: predictWith(head, tuA, tuB), headOnly };
      } finally {
        tf.dispose([tuA, tuB]);
      }
    } finally {
      backbone.forEach((v, i) => v.assign(saved[i]!));
      tf.dispose(saved);
    }
  } finally {
    head.dispose();
    tf.dispose([trA, trB, teA, teB]);
  }
};

/** Trains the from-scratch CNN on the pixels and returns its test predictions (offsets in pixels). */
const scoreScratch = (train: PairSet, test: PairSet, c: HomographyConfig, rng: Rng, log: (what: string) => void): Float32Array => {
  const net = homographyNet(train.geometry.size, c.scratch, rng.fork('net'));
  const x = stackedPairs(train, 0, train.count);
  const y = tf.tidy(() => tf.div(tf.tensor2d(train.offsets, [train.count, 8]), train.geometry.rho) as tf.Tensor2D);
  try {
    fitSteps([{ variables: net.variables(), lr: c.lr }], train.count, c.steps, c.batchSize, rng.fork('batches'), (idx) =>
      tf.tidy(() => tf.losses.meanSquaredError(tf.gather(y, idx), net.forward(tf.gather(x, idx) as tf.Tensor4D)) as tf.Scalar), (step, v) => log(`step ${step}/${c.steps}, loss ${v.toFixed(4)}`));
    return predictOffsets(test.count, test.geometry.rho, (s, n) => net.forward(stackedPairs(test, s, n)));
  } finally {
    net.dispose();
    tf.dispose([x, y]);
  }
};

const base64Grey = (data: Float32Array): string => Buffer.from(Uint8Array.from(data, (v) => Math.round(255 * Math.min(1, Math.max(0, v))))).toString('base64');

/** A test pair with its prediction, for the figure. */
export const homographyExample = (pair: HomographyPair, margin: number, predicted: ArrayLike<number>): HomographyExample => ({
  context: base64Grey(pair.context.data),
  contextSize: pair.context.width,
  margin,
  b: base64Grey(pair.b),
  offsets: Array.from(pair.offsets),
  predicted: Array.from(predicted),
});

/** Runs the suite: pairs from `train` (head training) and `test` (scoring), the checkpoint's encoder `model`, and the references asked for. */
export const homographySuite = async (model: Encoder, train: Dataset, test: Dataset, registry: Registry, o: HomographyOptions): Promise<E.Either<EquisslError, HomographyResult>> => {
  const decoded = decode(HomographyConfig, o.config ?? {}, 'homography');
  if (E.isLeft(decoded)) return decoded;
  const c = decoded.right;
  const [size, , channels] = o.imageShape;
  const geometry = { size, rho: c.rhoFraction * size };
  const say = (what: string) => o.onProgress?.(`homography: ${what}`);
  const rng = Rng.seeded(o.seed).fork('homography');
  say(`drawing ${c.trainPairs} training pairs from ${train.source} and ${c.testPairs} test pairs from ${test.source} (S = ${size} px, ρ = ${geometry.rho} px, ${c.finetune ? 'fine-tuned' : 'frozen'} encoder)`);
  const trainSet = await pairSet(train, c.trainPairs, geometry, rng.fork('train'));
  if (E.isLeft(trainSet)) return trainSet;
  const testSet = await pairSet(test, c.testPairs, geometry, rng.fork('test'), c.examples);
  if (E.isLeft(testSet)) return testSet;
  const truth = testSet.right.offsets;
  const mceZero = meanCornerError(truth, new Float32Array(truth.length));
  say(`zero predictor: MCE ${mceZero.toFixed(3)} px`);
  const trainT = pairTensors(trainSet.right, channels);
  const testT = pairTensors(testSet.right, channels);
  try {
    const scoreWith = (m: Encoder, who: string): { mce: number; predicted: Float32Array; headOnly?: number } => {
      const scored = scoreEncoder(m, trainT, testT, c, rng.fork('head'), (what) => say(`${who}: ${what}`));
      const mce = meanCornerError(truth, scored.predicted);
      say(`${who}: MCE ${mce.toFixed(3)} px`);
      return { mce, predicted: scored.predicted, ...(scored.headOnly !== undefined ? { headOnly: meanCornerError(truth, scored.headOnly) } : {}) };
    };
    const { mce, predicted, headOnly } = scoreWith(model, 'checkpoint');
    let result: HomographyResult = {
      mode: c.finetune ? 'finetune' : 'frozen',
      ...(c.finetune ? { finetuneLrScale: c.finetuneLrScale, finetuneSteps: c.finetuneSteps, mceHeadOnly: headOnly } : {}),
      size,
      rho: geometry.rho,
      trainPairs: c.trainPairs,
      testPairs: c.testPairs,
      steps: c.steps,
      mce,
      mceZero,
      examples: testSet.right.kept.map((p, i) => homographyExample(p, Math.ceil(geometry.rho), predicted.subarray(8 * i, 8 * i + 8))),
    };
    if (c.references.includes('scratch')) {
      const mceScratch = meanCornerError(truth, scoreScratch(trainSet.right, testSet.right, c, rng.fork('scratch'), (what) => say(`from-scratch CNN: ${what}`)));
      say(`from-scratch CNN: MCE ${mceScratch.toFixed(3)} px`);
      result = { ...result, mceScratch };
    }
    if (c.references.includes('untrained') && o.encoderSpec !== undefined) {
      const untrained = encoderFromSpec(o.encoderSpec, registry, o.seed);
      if (E.isLeft(untrained)) return untrained;
      try {
        result = { ...result, mceUntrained: scoreWith(untrained.right, 'untrained encoder').mce };
      } finally {
        untrained.right.dispose();
      }
    }
    return E.right(result);
  } finally {
    tf.dispose([trainT.a, trainT.b, trainT.targets, testT.a, testT.b, testT.targets]);
  }
};
