/**
 * R² of θ from `equissl eval`'s report, when there is one beside the
 * checkpoint (`eval/results.json`): the page shows it beside the R² of its
 * own small regressor (eval's comes from the MLP on thousands of pairs). A
 * missing or unreadable report is simply not shown.
 *
 * @since 0.1.0
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** R² per family from eval/results.json beside `checkpoint`, or undefined. */
export const evalR2 = (checkpoint: string): { file: string; r2: Record<string, number> } | undefined => {
  const file = join(dirname(checkpoint), 'eval', 'results.json');
  if (!existsSync(file)) return undefined;
  try {
    const entries = JSON.parse(readFileSync(file, 'utf8')) as ReadonlyArray<{ checkpoint?: string; equivariance?: ReadonlyArray<{ task?: unknown; r2?: unknown }> }>;
    if (!Array.isArray(entries)) return undefined;
    const entry = entries.find((e) => typeof e.checkpoint === 'string' && resolve(e.checkpoint) === resolve(checkpoint)) ?? entries[0];
    const r2: Record<string, number> = {};
    for (const f of entry?.equivariance ?? []) if (typeof f.task === 'string' && typeof f.r2 === 'number') r2[f.task] = f.r2;
    return Object.keys(r2).length > 0 ? { file, r2 } : undefined;
  } catch {
    return undefined;
  }
};
