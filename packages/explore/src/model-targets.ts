/**
 * How many path targets each model's panel shows: its decoders' K, read
 * from the config it was trained with, or — for a baseline without decoders
 * — the largest K of the others, at least 2 (as the page lays the panels
 * out). The command computes the targets of the paths the page does not
 * warp at exactly these fractions.
 *
 * @since 0.1.0
 */

/** The K of a checkpoint's decoders from its config, 0 for a baseline (`reconstruction: off`). */
export const decoderCount = (config: unknown): number => {
  const r = (config as { reconstruction?: unknown } | null)?.reconstruction;
  const k = typeof r === 'object' && r !== null ? (r as { k?: unknown }).k : undefined;
  return typeof k === 'number' && Number.isInteger(k) && k > 0 ? k : 0;
};

/** The path targets each model shows: its K, or for a model without decoders the largest K of the others (at least 2), as the page draws them. */
export const shownTargets = (ks: ReadonlyArray<number>): number[] => ks.map((k) => (k > 0 ? k : Math.max(2, ...ks)));
