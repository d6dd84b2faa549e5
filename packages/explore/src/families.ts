/**
 * The path families the page offers — rotation and translation — with the
 * ranges and fill they had in training: a checkpoint whose path is one of
 * them lends it its config (`maxDegrees`, `maxPixels`, `fill`); the other
 * gets the plugin's defaults for the image size. The checkpoint's own family
 * comes first (the page selects it at start).
 *
 * @since 0.1.0
 */
import { type EquisslError, type Registry, normaliseSlot } from '@equissl/core';
import type { TransformFamily } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';
import type { FamilySpec, Fill } from './manifest.js';

/** The families the page supports, in the order it lists them. */
export const pageFamilies = ['rotation', 'translation'] as const;

/** A family as the page shows it, and as the regressor draws it. */
export interface ExploreFamily {
  readonly spec: FamilySpec;
  readonly family: TransformFamily;
}

const units: Record<(typeof pageFamilies)[number], { param: string; unit: string }> = {
  rotation: { param: 'angleDeg', unit: '°' },
  translation: { param: 'txPx', unit: 'px' },
};

/** The page's families for a checkpoint trained on path `pathSlot` with images of `imageShape`. */
export const exploreFamilies = (registry: Registry, pathSlot: unknown, imageShape: readonly [number, number, number]): E.Either<EquisslError, ExploreFamily[]> => {
  const own = normaliseSlot(pathSlot) as { name?: unknown } | undefined;
  const ownName = typeof own?.name === 'string' ? own.name : undefined;
  const order = [...pageFamilies].sort((a, b) => Number(b === ownName) - Number(a === ownName));
  const out: ExploreFamily[] = [];
  for (const name of order) {
    const slot = name === ownName ? own : { name };
    const decoded = registry.decode('transform', slot, name === ownName ? 'path' : `families.${name}`);
    if (E.isLeft(decoded)) return decoded;
    const created = registry.create('transform', slot, name === ownName ? 'path' : `families.${name}`, { imageShape });
    if (E.isLeft(created)) return created;
    const family = created.right as TransformFamily;
    const fill = ((decoded.right.config as { fill?: Fill }).fill ?? 'constant') as Fill;
    out.push({ spec: { name, ...units[name], max: family.scale?.[0] ?? 1, fill }, family });
  }
  return E.right(out);
};
