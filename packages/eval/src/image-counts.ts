/**
 * How many images a suite was asked for and how many it used: a suite that
 * gets fewer than asked (the data holds fewer) says so, and a score from
 * fewer than {@link minHeldOutImages} held-out images is flagged as not
 * reliable in the printed summary and in `report.md`. The counts are kept in
 * the results (`results.json`), so a reader can always tell what a number
 * rests on.
 *
 * @since 0.2.0
 */

/**
 * The fewest held-out (test) images a score is trusted from. A score on n
 * held-out images is an average over n draws: an accuracy near 50 % has a
 * standard error of √(0.25 / n), 0.07 at n = 50 (±0.14 at 95 %), and R² on
 * as few points moves as much between θ draws and regressor seeds. Below 50
 * even the gaps this project reports (0.1 – 0.5 in R², several points of
 * accuracy) cannot be told from that noise, so such scores are flagged, not
 * refused: tiny evaluations (tests, smoke runs) still run and say what they
 * rest on.
 */
export const minHeldOutImages = 50;

/** The images one suite used: asked for, used (fewer when the data holds fewer), and how the used ones were split. */
export interface ImageCounts {
  /** Images asked for, in all. */
  readonly asked: number;
  /** Images used, in all (`train + test`). */
  readonly used: number;
  /** Used images the head was fitted on. */
  readonly train: number;
  /** Used images held out and scored. */
  readonly test: number;
  /** Where a suite asks for its train and test images apart (the probes): the train images asked for. */
  readonly askedTrain?: number;
  /** Where a suite asks for its train and test images apart: the test images asked for. */
  readonly askedTest?: number;
}

/** The counts of a suite that takes the first `asked` of `available` images and fits on the first `trainFraction` of them. */
export const splitCounts = (asked: number, available: number, trainFraction: number): ImageCounts => {
  const used = Math.min(asked, available);
  const train = Math.floor(trainFraction * used);
  return { asked, used, train, test: used - train };
};

/** The counts of a suite that asks for its train and test images apart, and got `train` and `test`. */
export const pairCounts = (asked: { readonly train: number; readonly test: number }, used: { readonly train: number; readonly test: number }): ImageCounts => ({
  asked: asked.train + asked.test,
  used: used.train + used.test,
  train: used.train,
  test: used.test,
  askedTrain: asked.train,
  askedTest: asked.test,
});

/** Whether the suite used fewer images than it was asked for. */
export const fewerThanAsked = (c: ImageCounts): boolean => c.used < c.asked;

/** Whether its score rests on fewer than {@link minHeldOutImages} held-out images. */
export const tooFewHeldOut = (c: ImageCounts): boolean => c.test < minHeldOutImages;

/** "36 of 4096 asked (28 to fit, 8 held out)", or per split for a suite that asks per split. */
export const describeCounts = (c: ImageCounts): string =>
  c.askedTrain !== undefined && c.askedTest !== undefined
    ? `${c.train} of ${c.askedTrain} train images asked, ${c.test} of ${c.askedTest} test images asked`
    : `${c.used} of ${c.asked} images asked (${c.train} to fit, ${c.test} held out)`;

/** What is wrong with the counts, for a score named `score` ("R²", "accuracy"): fewer images than asked, too few held out; empty when nothing is. */
export const countFlags = (c: ImageCounts, score: string): string[] => [
  ...(fewerThanAsked(c) ? ['the data holds fewer images than asked'] : []),
  ...(tooFewHeldOut(c) ? [`${score} from fewer than ${minHeldOutImages} held-out images is not reliable`] : []),
];

/** The printed line of a suite's counts (`what: …`) when something is flagged, else none. */
export const countsSummary = (what: string, c: ImageCounts | undefined, score: string): string[] => {
  if (c === undefined) return [];
  const flags = countFlags(c, score);
  return flags.length === 0 ? [] : [`${what}: ${describeCounts(c)}; ${flags.join('; ')}`];
};

/** The report's line of one entry's counts, flags in bold. */
export const countsMarkdown = (label: string, c: ImageCounts, score: string): string => {
  const flags = countFlags(c, score);
  return `- ${label}: ${describeCounts(c)}${flags.length === 0 ? '' : ` — **${flags.join('; ')}**`}`;
};
