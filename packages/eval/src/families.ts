/**
 * The families the equivariance suite scores, drawn from the registry: each
 * is a transform plugin slot (a name, or a name with settings), so a user's
 * registered family is scored by naming it. Its name in the results (the
 * `task`) is the family's `label` (`colour` for `colorJitter`, `blur` for
 * `gaussianBlur`), else its plugin name; the parameters a grey image cannot
 * show come from the family too (`invisibleOnGrey`).
 *
 * @since 0.2.0
 */
import { type EquisslError, type Registry, configError } from '@equissl/core';
import { type TransformFamily, familyLabel } from '@equissl/transforms';
import * as E from 'fp-ts/lib/Either.js';

/** The families scored by default: the paper's Table 2 (rotation, colour, blur, translation). */
export const defaultFamilies = ['rotation', 'colorJitter', 'gaussianBlur', 'translation'] as const;

/** One family of the suite, created from its slot. */
export interface ScoredFamily {
  /** The family's name in the results and the report. */
  readonly task: string;
  /** The transform plugin's name. */
  readonly plugin: string;
  readonly family: TransformFamily;
}

/** The family of slot `slot` (the `i`-th of the suite's `families`), created for images of `imageShape` where known. */
const createFamily = (registry: Registry, slot: unknown, i: number, imageShape?: readonly [number, number, number]): E.Either<EquisslError, ScoredFamily> => {
  const path = `families.${i}`;
  const decoded = registry.decode('transform', slot, path);
  if (E.isLeft(decoded)) return decoded;
  const family = registry.create('transform', slot, path, imageShape === undefined ? {} : { imageShape });
  if (E.isLeft(family)) return family;
  const plugin = decoded.right.plugin.name;
  return E.right({ task: familyLabel({ name: plugin, label: family.right.label }), plugin, family: family.right });
};

/** The first task label that two families share, if any. */
const repeatedTask = (families: ReadonlyArray<ScoredFamily>): string | undefined => families.map((f) => f.task).find((t, i, all) => all.indexOf(t) !== i);

/**
 * The suite's families from `slots`, in their order, keeping those named in
 * `tasks` (by task label or plugin name) when given. Two families with one
 * label, or a task no family has, are errors naming the setting.
 */
export const resolveFamilies = (
  registry: Registry,
  slots: ReadonlyArray<unknown>,
  tasks?: ReadonlyArray<string>,
  imageShape?: readonly [number, number, number],
): E.Either<EquisslError, ScoredFamily[]> => {
  const created: ScoredFamily[] = [];
  for (const [i, slot] of slots.entries()) {
    const f = createFamily(registry, slot, i, imageShape);
    if (E.isLeft(f)) return f;
    created.push(f.right);
  }
  const repeated = repeatedTask(created);
  if (repeated !== undefined) return E.left(configError('families', `two families are labelled '${repeated}'; score each family once`));
  if (tasks === undefined) return E.right(created);
  const unknown = tasks.filter((t) => !created.some((f) => f.task === t || f.plugin === t));
  if (unknown.length > 0) return E.left(configError('tasks', `no family ${unknown.map((t) => `'${t}'`).join(', ')} among the suite's families: ${created.map((f) => f.task).join(', ')}`));
  return E.right(created.filter((f) => tasks.includes(f.task) || tasks.includes(f.plugin)));
};
