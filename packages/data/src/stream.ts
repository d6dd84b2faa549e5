/**
 * Seeded, shuffled batch streams over a {@link Dataset}.
 *
 * Epoch `e` visits the images in the order `rng.fork(e).permutation(size)`,
 * so the order depends only on the seed and the epoch, and the position is
 * two numbers ({@link StreamState}) that a checkpoint can store. Only the
 * images of the current batch are read: a dataset larger than memory works.
 * Corrupt images skipped by the dataset are replaced by the next ones in the
 * epoch, so batches keep their size; `skipped` counts them.
 *
 * @since 0.1.0
 */
import { Rng, type RngState, dataError } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';
import type { Dataset, ReadError } from './dataset.js';

/** A batch as tensors: images `[B, H, W, C]` in [0, 1], labels `[B]` int32 when known. */
export interface Batch {
  readonly images: tf.Tensor4D;
  readonly labels: tf.Tensor1D | undefined;
  readonly indices: ReadonlyArray<number>;
}

/** Where a stream is: enough to continue it exactly. */
export interface StreamState {
  readonly seed: RngState;
  readonly epoch: number;
  readonly cursor: number;
  readonly skipped: number;
}

/** Options of {@link BatchStream}. */
export interface StreamOptions {
  readonly batchSize: number;
  /** The stream's own generator (fork it from the run's RNG, e.g. `rng.fork('data')`). */
  readonly rng: Rng;
  /** Visit images in index order instead of shuffling (evaluation). */
  readonly shuffle?: boolean;
  /** Stop after this many epochs (default: never). */
  readonly epochs?: number;
  /** Drop the last incomplete batch of an epoch (default true when shuffling). */
  readonly dropLast?: boolean;
}

/** A resumable stream of batches. Each batch's tensors belong to the caller (dispose them). */
export class BatchStream {
  private readonly seed: RngState;
  private epoch = 0;
  private cursor = 0;
  private order: Int32Array;
  private skippedCount = 0;

  constructor(
    readonly dataset: Dataset,
    private readonly options: StreamOptions,
    state?: StreamState,
  ) {
    this.seed = state?.seed ?? options.rng.state();
    this.epoch = state?.epoch ?? 0;
    this.cursor = state?.cursor ?? 0;
    this.skippedCount = state?.skipped ?? 0;
    this.order = this.orderOf(this.epoch);
  }

  /** The position, for checkpoints. */
  state(): StreamState {
    return { seed: this.seed, epoch: this.epoch, cursor: this.cursor, skipped: this.skippedCount };
  }

  /** Corrupt images skipped so far. */
  get skipped(): number {
    return this.skippedCount;
  }

  /** The epoch of the next batch. */
  get currentEpoch(): number {
    return this.epoch;
  }

  private orderOf(epoch: number): Int32Array {
    const n = this.dataset.size;
    if (this.options.shuffle === false) return Int32Array.from({ length: n }, (_, i) => i);
    return Rng.fromState(this.seed).fork(epoch).permutation(n);
  }

  private nextEpoch(): void {
    this.epoch += 1;
    this.cursor = 0;
    this.order = this.orderOf(this.epoch);
  }

  /**
   * The next batch; `undefined` when the requested epochs are done.
   * Read errors are values; the position stays at the failing batch.
   */
  async next(): Promise<E.Either<ReadError, Batch | undefined>> {
    const { batchSize } = this.options;
    const dropLast = this.options.dropLast ?? this.options.shuffle !== false;
    const [h, w, c] = this.dataset.imageShape;
    const pixelsPer = h * w * c;
    const pixels: Float32Array[] = [];
    const labels: number[] = [];
    const indices: number[] = [];
    const start = { epoch: this.epoch, cursor: this.cursor, skipped: this.skippedCount };
    // epochs begun inside this call: reading one whole epoch without filling a batch means none ever will
    let boundaries = 0;
    let epochSkipStart = start.skipped;
    while (indices.length < batchSize) {
      if (this.options.epochs !== undefined && this.epoch >= this.options.epochs) break;
      if (this.cursor >= this.order.length) {
        if (indices.length > 0 && !dropLast) break;
        boundaries += 1;
        if (boundaries >= (start.cursor === 0 ? 1 : 2)) {
          const usable = indices.length;
          const skipped = this.skippedCount - epochSkipStart;
          this.epoch = start.epoch;
          this.cursor = start.cursor;
          this.skippedCount = start.skipped;
          this.order = this.orderOf(this.epoch);
          return E.left(
            dataError(
              this.dataset.source,
              `one epoch yields ${usable} usable image(s)${skipped > 0 ? ` (${skipped} skipped as corrupt)` : ''}, fewer than one batch of ${batchSize}; lower batchSize or add images`,
            ),
          );
        }
        if (indices.length > 0) {
          indices.length = 0;
          pixels.length = 0;
          labels.length = 0;
        }
        this.nextEpoch();
        epochSkipStart = this.skippedCount;
        continue;
      }
      const want = Array.from(this.order.subarray(this.cursor, Math.min(this.order.length, this.cursor + batchSize - indices.length)));
      const read = await this.dataset.read(want)();
      if (E.isLeft(read)) {
        this.epoch = start.epoch;
        this.cursor = start.cursor;
        this.skippedCount = start.skipped;
        this.order = this.orderOf(this.epoch);
        return read;
      }
      this.cursor += want.length;
      this.skippedCount += read.right.skipped.length;
      pixels.push(read.right.pixels);
      indices.push(...read.right.indices);
      if (read.right.labels !== undefined) labels.push(...read.right.labels);
    }
    if (indices.length === 0) return E.right(undefined);
    const flat = new Float32Array(indices.length * pixelsPer);
    let offset = 0;
    for (const p of pixels) {
      flat.set(p, offset);
      offset += p.length;
    }
    return E.right({
      images: tf.tensor4d(flat, [indices.length, h, w, c]),
      labels: this.dataset.classNames === undefined ? undefined : tf.tensor1d(labels, 'int32'),
      indices,
    });
  }

  /** Iterates batches until the requested epochs end or a read fails (the error is the last item). */
  async *[Symbol.asyncIterator](): AsyncGenerator<E.Either<ReadError, Batch>> {
    for (;;) {
      const r = await this.next();
      if (E.isLeft(r)) {
        yield r;
        return;
      }
      if (r.right === undefined) return;
      yield E.right(r.right);
    }
  }
}
