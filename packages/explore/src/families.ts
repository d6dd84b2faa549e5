/**
 * The path families the page offers: every transform family registered in
 * the registry the command is given (the built-in ones and a user's own
 * plugins), the first checkpoint's own path first with the config it was
 * trained with (its range, its fill), every other with its plugin's defaults
 * for the image size. The affine ones the page warps itself come next
 * ({@link affineWarpOf}), then the others, whose images the command
 * computes. A family whose plugin cannot be created with its defaults is
 * left out with the reason; the checkpoint's own path must be created.
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, configError, normaliseSlot } from '@equissl/core';
import type { TransformFamily } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';
import { type AffineWarp, affineWarpOf } from './affine-families.js';
import type { Fill, SkippedFamily } from './manifest.js';

/** A family as the command draws it (regressor, strips) and the page shows it. */
export interface ExploreFamily {
  readonly name: string;
  /** The family's name in `equissl eval`'s results: its `label` where it has one, else its name. */
  readonly label: string;
  readonly description: string;
  /** Whether the first checkpoint was trained on this path. */
  readonly own: boolean;
  readonly family: TransformFamily;
  /** How the page warps it, for the affine families it draws itself. */
  readonly live?: { readonly warp: AffineWarp; readonly fill: Fill };
}

/** The families offered, and those left out. */
export interface ExploreFamilies {
  readonly families: ReadonlyArray<ExploreFamily>;
  readonly skipped: ReadonlyArray<SkippedFamily>;
}

/** The family's report name (the optional `label` of a TransformFamily), else its plugin name. */
export const familyLabelOf = (family: TransformFamily, name: string): string => {
  const label = (family as { label?: unknown }).label;
  return typeof label === 'string' && label !== '' ? label : name;
};

/** One family from its slot, or the error of its plugin. */
const createFamily = (registry: Registry, name: string, slot: unknown, path: string, own: boolean, imageShape: readonly [number, number, number]): E.Either<EquisslError, ExploreFamily> => {
  const decoded = registry.decode('transform', slot, path);
  if (E.isLeft(decoded)) return decoded;
  // a plugin's create is the plugin's own code: one that throws is an error value here
  const created = E.flatten(
    E.tryCatch(
      () => registry.create('transform', slot, path, { imageShape }),
      (e): EquisslError => configError(path, `the ${name} plugin failed to create its family (${e instanceof Error ? e.message : String(e)})`),
    ),
  );
  if (E.isLeft(created)) return created;
  const family = created.right as TransformFamily;
  const warp = affineWarpOf(decoded.right.plugin);
  const fill = ((decoded.right.config as { fill?: Fill } | null)?.fill ?? 'constant') as Fill;
  return E.right({
    name,
    label: familyLabelOf(family, name),
    description: decoded.right.plugin.description,
    own,
    family,
    ...(warp === undefined ? {} : { live: { warp, fill } }),
  });
};

/** The page's families for a checkpoint trained on path `pathSlot` with images of `imageShape`, from every transform of `registry`. */
export const exploreFamilies = (registry: Registry, pathSlot: unknown, imageShape: readonly [number, number, number]): E.Either<EquisslError, ExploreFamilies> => {
  const ownSlot = normaliseSlot(pathSlot) as { name?: unknown } | undefined;
  const ownName = typeof ownSlot?.name === 'string' ? ownSlot.name : undefined;
  const families: ExploreFamily[] = [];
  const skipped: SkippedFamily[] = [];
  if (ownName !== undefined) {
    const own = createFamily(registry, ownName, ownSlot, 'path', true, imageShape);
    if (E.isLeft(own)) return own;
    families.push(own.right);
  }
  for (const name of registry.names('transform')) {
    if (name === ownName) continue;
    const other = createFamily(registry, name, { name }, `families.${name}`, false, imageShape);
    if (E.isLeft(other)) skipped.push({ name, reason: other.left.message });
    else families.push(other.right);
  }
  const rank = (f: ExploreFamily) => (f.own ? 0 : f.live !== undefined ? 1 : 2);
  return E.right({ families: families.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f), skipped });
};
