/**
 * The run's curves for the page's chart: the total loss and its `ssl` and
 * `rec` terms per step, from the metrics.jsonl `equissl pretrain` writes
 * beside the checkpoint. A missing or unreadable log is no error — the page
 * says why there is no chart — and lines that are not steps (resume events,
 * a line cut by a crash) are skipped.
 *
 * @since 0.1.0
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { CurvePoint, CurvesFile } from './manifest.js';

/** The curves of the run that wrote `checkpoint`. */
export const readCurves = (checkpoint: string): CurvesFile => {
  const file = join(dirname(checkpoint), 'metrics.jsonl');
  if (!existsSync(file)) return { points: [], note: `no metrics.jsonl beside ${checkpoint}` };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { points: [], note: `cannot read ${file} (${e instanceof Error ? e.message : String(e)})` };
  }
  const points: CurvePoint[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const num = (k: string) => (typeof row[k] === 'number' && Number.isFinite(row[k]) ? (row[k] as number) : undefined);
    const step = num('step');
    const loss = num('loss');
    if (step === undefined || loss === undefined || row['event'] !== undefined) continue;
    const ssl = num('ssl');
    const rec = num('rec');
    points.push({ step, loss, ...(ssl === undefined ? {} : { ssl }), ...(rec === undefined ? {} : { rec }) });
  }
  return points.length > 0 ? { points } : { points, note: `${file} holds no steps yet` };
};
