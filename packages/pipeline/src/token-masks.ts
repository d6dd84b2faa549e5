/**
 * Block-wise token masks for the losses that need `tokenMasks` (iBOT,
 * DINOv2), after BEiT's masking generator (Bao et al., ICLR 2022;
 * microsoft/unilm `beit/masking_generator.py`, as used by bytedance/ibot):
 * each image is masked with probability p; a masked image gets
 * round(r·N) of its N = g² patches masked, r ~ U(minRatio, maxRatio), by
 * placing random rectangles (area ≥ 4 patches, aspect ratio log-uniform in
 * [0.3, 1/0.3]) until the count is reached or ten placements in a row add
 * nothing. Every draw comes from the step's generator, so masks are
 * reproducible by seed and step.
 *
 * @since 0.1.0
 */
import type { Rng } from '@equissl/core';
import type { TokenMasking } from '@equissl/losses';
import * as tf from '@tensorflow/tfjs';

const minBlock = 4;
const logAspect = Math.log(0.3);

/** One block mask over a g × g grid with (about) `count` patches set, row-major. */
export const blockMask = (grid: number, count: number, rng: Rng): Uint8Array => {
  const mask = new Uint8Array(grid * grid);
  let masked = 0;
  while (masked < count) {
    let added = 0;
    for (let attempt = 0; attempt < 10 && added === 0; attempt++) {
      const room = count - masked;
      const area = rng.between(Math.min(minBlock, room), Math.max(minBlock, room));
      const aspect = Math.exp(rng.between(logAspect, -logAspect));
      const h = Math.round(Math.sqrt(area * aspect));
      const w = Math.round(Math.sqrt(area / aspect));
      if (h < 1 || w < 1 || h >= grid || w >= grid) continue;
      const top = rng.int(grid - h + 1);
      const left = rng.int(grid - w + 1);
      let fresh = 0;
      for (let y = top; y < top + h; y++) for (let x = left; x < left + w; x++) fresh += mask[y * grid + x] === 0 ? 1 : 0;
      if (fresh === 0 || fresh > room) continue;
      for (let y = top; y < top + h; y++) for (let x = left; x < left + w; x++) mask[y * grid + x] = 1;
      added = fresh;
    }
    if (added === 0) break;
    masked += added;
  }
  return mask;
};

/** Masks `[B, g²]` (1 = masked) for a batch of `batch` images. */
export const sampleTokenMasks = (batch: number, grid: number, m: TokenMasking, rng: Rng): tf.Tensor2D => {
  const n = grid * grid;
  const out = new Float32Array(batch * n);
  for (let b = 0; b < batch; b++) {
    if (!rng.bernoulli(m.probability)) continue;
    const ratio = rng.between(m.minRatio, m.maxRatio);
    out.set(blockMask(grid, Math.round(ratio * n), rng), b * n);
  }
  return tf.tensor2d(out, [batch, n]);
};
