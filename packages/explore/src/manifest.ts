/**
 * The files of an explore site and their shapes, shared by the command that
 * writes them and the page that reads them (types only: the page imports
 * this module too).
 *
 *   index.html, explore.js, explore.css   the page (bundled at build time)
 *   explore.json                          {@link SiteManifest}
 *   samples.bin                           float32 NHWC sample images in [0, 1]
 *   models/<i>/model.json, *.bin          `equissl export --format tfjs --decoders`
 *   models/<i>/regressor.json             {@link RegressorFile}
 *   models/<i>/curves.json                {@link CurvesFile}
 *
 * @since 0.1.0
 */

/** The format tag of explore.json. */
export const siteFormat = 'equissl-explore/1';

/** How pixels from outside the image are filled by a path's warp. */
export type Fill = 'constant' | 'reflect' | 'nearest' | 'wrap';

/** A path family the slider drives: θ = [s] (rotation) or [s, 0] (translation) for the slider's value s ∈ [−max, max]. */
export interface FamilySpec {
  readonly name: 'rotation' | 'translation';
  /** The parameter the slider sets (`angleDeg`, `txPx`) and its unit. */
  readonly param: string;
  readonly unit: string;
  /** The family's range in training. */
  readonly max: number;
  readonly fill: Fill;
}

/** One checkpoint of the site. */
export interface ModelEntry {
  /** What the panel is titled (`method`, `baseline`, or the file name). */
  readonly label: string;
  readonly checkpoint: string;
  readonly step: number;
  /** Relative URLs of its files. */
  readonly model: string;
  readonly regressor: string;
  readonly curves: string;
}

/** explore.json. */
export interface SiteManifest {
  readonly format: typeof siteFormat;
  /** `[H, W, C]` of every image the models read. */
  readonly imageShape: readonly [number, number, number];
  /** The sample images: `count` images of `imageShape` in `file`, from `source`. */
  readonly samples: { readonly file: string; readonly count: number; readonly source: string };
  /** How an uploaded photo is fitted to the training size (the data's `fit`, else `cover`: centre crop). */
  readonly upload: { readonly fit: 'cover' | 'fill' | 'contain' };
  /** The first is the checkpoint's own path family when the page supports it. */
  readonly families: ReadonlyArray<FamilySpec>;
  readonly models: ReadonlyArray<ModelEntry>;
}

/** A fitted θ regressor of one family: predicted θ = features · weights + bias, features = clsmean-full of [x ; g_θ x]. */
export interface FamilyRegressor {
  readonly paramNames: ReadonlyArray<string>;
  /** `[d][m]`: d = 4·D (two clsmean-full readouts), m = |θ|; the standardisation of the inputs is folded in. */
  readonly weights: ReadonlyArray<ReadonlyArray<number>>;
  readonly bias: ReadonlyArray<number>;
  /** R² on the held-out pairs (SIE's scalar R² over every parameter). */
  readonly r2: number;
  /** The held-out pairs' first parameter: truth and prediction (the page's scatter plot). */
  readonly test: { readonly truth: ReadonlyArray<number>; readonly predicted: ReadonlyArray<number> };
}

/** regressor.json. */
export interface RegressorFile {
  readonly readout: 'clsmean-full';
  readonly head: 'ridge';
  readonly trainPairs: number;
  readonly testPairs: number;
  readonly seed: number;
  readonly families: Readonly<Record<string, FamilyRegressor>>;
  /** R² per family from `equissl eval`'s results.json beside the checkpoint, when there is one. */
  readonly eval?: { readonly file: string; readonly r2: Readonly<Record<string, number>> };
}

/** One step of metrics.jsonl. */
export interface CurvePoint {
  readonly step: number;
  readonly loss: number;
  readonly ssl?: number;
  readonly rec?: number;
}

/** curves.json: the run's losses over steps, or why there are none. */
export interface CurvesFile {
  readonly points: ReadonlyArray<CurvePoint>;
  readonly note?: string;
}
