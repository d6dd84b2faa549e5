/**
 * The files of an explore site and their shapes, shared by the command that
 * writes them and the page that reads them (types only: the page imports
 * this module too).
 *
 *   index.html, explore.js, explore.css   the page (bundled at build time)
 *   explore.json                          {@link SiteManifest}
 *   samples.bin                           float32 NHWC sample images in [0, 1]
 *   paths/<i>.bin                         a {@link StripFamily}'s precomputed images
 *   models/<i>/model.json, *.bin          `equissl export --format tfjs --decoders`
 *   models/<i>/regressor.json             {@link RegressorFile}
 *   models/<i>/curves.json                {@link CurvesFile}
 *
 * @since 0.1.0
 */

/** The format tag of explore.json. */
export const siteFormat = 'equissl-explore/2';

/** How pixels from outside the image are filled by a path's warp. */
export type Fill = 'constant' | 'reflect' | 'nearest' | 'wrap';

/** What one component of an affine family's θ is to the warp: the angle in degrees, or the shift along x or y in pixels. */
export type WarpPart = 'angle' | 'tx' | 'ty';

/** What every family of the page has. */
interface FamilyBase {
  /** The plugin name (`rotation`, `gaussianBlur`, a plugin of the user's). */
  readonly name: string;
  /** Its name in `equissl eval`'s results (the family's `label`: `blur` for `gaussianBlur`), else the plugin name. */
  readonly label: string;
  /** The plugin's one-sentence description. */
  readonly description: string;
  /** θ's components (`angleDeg`, `sigmaPx`, …). */
  readonly paramNames: ReadonlyArray<string>;
  /** Whether the first checkpoint was trained on this path. */
  readonly own: boolean;
}

/**
 * An affine family (rotation, translation, SE(2)) the page warps itself, at
 * any θ and on any image (an uploaded photo too): θ = s · direction for the
 * slider's value s ∈ [−max, max].
 */
export interface LiveFamily extends FamilyBase {
  readonly kind: 'live';
  /** What each component of θ is to the warp. */
  readonly warp: ReadonlyArray<WarpPart>;
  /** θ per unit of the slider (its first component is 1: the slider sets θ's first parameter). */
  readonly direction: ReadonlyArray<number>;
  /** The parameter the slider sets (`angleDeg`, `txPx`) and its unit. */
  readonly param: string;
  readonly unit: string;
  /** The range of the slider's parameter in training. */
  readonly max: number;
  readonly fill: Fill;
}

/**
 * Any other family: the command computed its images with the family's own
 * `apply` (Node, `@equissl/transforms` or the user's plugin) at `points`
 * along the path from the identity to one θ drawn from its range, for the
 * first `samples` sample images; the slider steps through the points.
 *
 * `file` holds float32 NHWC images in [sample][point][slot] order: slot 0 is
 * g_{θ_j}(x) for point j's θ_j, slot 1 + q the target
 * g_{interpolate(θ_j, fractions[q])}(x).
 */
export interface StripFamily extends FamilyBase {
  readonly kind: 'strip';
  readonly file: string;
  readonly samples: number;
  /** The drawn θ the strip ends at. */
  readonly theta: ReadonlyArray<number>;
  /** The slider's stops: t along the path and θ_j = interpolate(theta, t). */
  readonly points: ReadonlyArray<{ readonly t: number; readonly theta: ReadonlyArray<number> }>;
  /** The path fractions of the targets stored per point: k/(K+1) for every k ≤ K of every model's K. */
  readonly fractions: ReadonlyArray<number>;
}

/** A path family the page offers. */
export type FamilySpec = LiveFamily | StripFamily;

/** A registered family the page does not offer, and why. */
export interface SkippedFamily {
  readonly name: string;
  readonly reason: string;
}

/** One checkpoint of the site. */
export interface ModelEntry {
  /** What the panel is titled (`method`, `baseline`, or the file name). */
  readonly label: string;
  readonly checkpoint: string;
  readonly step: number;
  /** The path targets shown: the model's K, or (for a model without decoders) the largest K of the others, at least 2. */
  readonly targets: number;
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
  /** The registered transform families: the first checkpoint's own path first, then the affine ones the page warps, then the others. */
  readonly families: ReadonlyArray<FamilySpec>;
  /** Registered families left out (their plugin could not be created with its defaults for these images, or its `apply` failed on them). */
  readonly skipped: ReadonlyArray<SkippedFamily>;
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
