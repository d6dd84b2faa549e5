/**
 * The families the page warps itself: @equissl/transforms' `rotation`,
 * `translation` and `se2`, whose warp (`affineRow`) the page bundles. A
 * family is one of them when its registered plugin creates with that
 * plugin's own `create` (registries hold copies of plugin values, which
 * share it); any other plugin (a user's, even one named `rotation`) is
 * computed by the command instead, so nothing is shown that its own code
 * would not draw. Per family: what θ's components are to the warp, and the direction
 * the slider moves θ in (SE(2) turns and shifts along x together, reaching
 * both ranges' ends at once).
 *
 * @since 0.1.0
 */
import type { AnyPlugin } from '@equissl/core';
import { rotation, se2, translation } from '@equissl/transforms';
import type { WarpPart } from './manifest.js';

/** How the page warps an affine family. */
export interface AffineWarp {
  readonly warp: ReadonlyArray<WarpPart>;
  /** θ per unit of the slider, from the family's scale (its range per parameter). */
  readonly direction: (scale: ReadonlyArray<number>) => number[];
}

const affine = new Map<unknown, AffineWarp>([
  [rotation.create, { warp: ['angle'], direction: () => [1] }],
  [translation.create, { warp: ['tx', 'ty'], direction: () => [1, 0] }],
  [se2.create, { warp: ['angle', 'tx', 'ty'], direction: (s) => [1, (s[0] ?? 0) > 0 ? (s[1] ?? 0) / s[0]! : 0, 0] }],
]);

/** The page's warp of `plugin`, or undefined when the page cannot draw it. */
export const affineWarpOf = (plugin: AnyPlugin): AffineWarp | undefined => (plugin.kind === 'transform' ? affine.get(plugin.create) : undefined);

/** The unit of a warp part as the page prints it. */
export const warpUnit = (part: WarpPart): string => (part === 'angle' ? '°' : 'px');
