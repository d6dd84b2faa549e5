/**
 * Summarises a run's memory from its metrics.jsonl: the distinct tensor
 * counts after the first step (one value means nothing leaks per step) and
 * the resident memory per window of 200 steps (min / median / max, MB).
 *
 *   node --import tsx tools/memory-summary.ts out/mem2000/metrics.jsonl
 */
import { readFileSync } from 'node:fs';

interface Line {
  readonly step: number;
  readonly tensors?: number;
  readonly rssMB?: number;
}

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: memory-summary <metrics.jsonl>\n');
  process.exit(2);
}
const lines = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Line)
  .filter((l) => l.rssMB !== undefined);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const tensors = [...new Set(lines.filter((l) => l.step > 1).map((l) => l.tensors))];
process.stdout.write(`steps ${lines.length}; tensors after step 1: ${tensors.join(', ')} (${tensors.length} distinct)\n`);
process.stdout.write(`rss MB: median ${median(lines.map((l) => l.rssMB!)).toFixed(0)}\nsteps        min  median   max\n`);
for (let from = 0; from < lines.length; from += 200) {
  const w = lines.slice(from, from + 200).map((l) => l.rssMB!);
  const first = lines[from]!.step;
  const last = lines[Math.min(from + 199, lines.length - 1)]!.step;
  process.stdout.write(`${`${first}–${last}`.padEnd(11)} ${Math.min(...w).toFixed(0).padStart(5)} ${median(w).toFixed(0).padStart(7)} ${Math.max(...w).toFixed(0).padStart(5)}\n`);
}
