/**
 * Mean Corner Error (MCE), the metric of homography estimation (DeTone et
 * al. 2016): for each pair, the mean over its four corners of the Euclidean
 * distance between the predicted and the true corner position, averaged over
 * pairs. Corner positions are the crop's corners plus the offsets, so the
 * distance is that between predicted and true offsets; in the offsets' units
 * (crop pixels).
 *
 * @since 0.2.0
 */
import { mean } from '@equissl/core';

/** The corner error of each pair: offsets are `[n, 8]` row-major (TL, TR, BR, BL; x then y). */
export const cornerErrors = (trueOffsets: ArrayLike<number>, predicted: ArrayLike<number>): number[] => {
  const n = trueOffsets.length / 8;
  return Array.from({ length: n }, (_, i) => {
    let sum = 0;
    for (let c = 0; c < 4; c++) {
      const k = 8 * i + 2 * c;
      sum += Math.hypot(predicted[k]! - trueOffsets[k]!, predicted[k + 1]! - trueOffsets[k + 1]!);
    }
    return sum / 4;
  });
};

/** MCE over `[n, 8]` offsets (NaN for n = 0). */
export const meanCornerError = (trueOffsets: ArrayLike<number>, predicted: ArrayLike<number>): number => mean(cornerErrors(trueOffsets, predicted));
