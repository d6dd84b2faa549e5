/**
 * Writes the configs of the teacher screens: the reproduce preset's `ibot` and
 * `dinov2` rows (Fashion-MNIST, seed 0) at 150 steps with the papers' teacher
 * temperatures (0.04 → 0.07), each with one setting changed.
 *   node --conditions=@equissl/source --import tsx tools/experiments/teacher-screen.ts out/teacher-screen
 */
import { reproduceConfigs } from '@equissl/lab';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2] ?? 'out/teacher-screen';
const preset = reproduceConfigs({ seed: 0, steps: 150, workers: 2 });
const papers = { teacherTemp: 0.07, warmupTeacherTemp: 0.04 };
const screens: Record<string, { row: 'ibot' | 'dinov2'; loss: Record<string, unknown> }> = {
  'ibot-papers': { row: 'ibot', loss: papers },
  'ibot-t02': { row: 'ibot', loss: { teacherTemp: 0.02, warmupTeacherTemp: 0.02 } },
  'ibot-t01': { row: 'ibot', loss: { teacherTemp: 0.01, warmupTeacherTemp: 0.01 } },
  'ibot-k64': { row: 'ibot', loss: { ...papers, prototypes: 64 } },
  'ibot-cm99': { row: 'ibot', loss: { ...papers, centerMomentum: 0.99 } },
  'dinov2-papers': { row: 'dinov2', loss: papers },
  'dinov2-t01': { row: 'dinov2', loss: { teacherTemp: 0.01, warmupTeacherTemp: 0.01 } },
};
mkdirSync(out, { recursive: true });
for (const [name, s] of Object.entries(screens)) {
  const base = preset[s.row] as { loss: Record<string, unknown> };
  writeFileSync(join(out, `${name}.json`), `${JSON.stringify({ ...base, checkpointEvery: 0, loss: { name: s.row, ...s.loss } }, null, 1)}\n`);
}
console.log(Object.keys(screens).join(' '));
