/** The systems part of the reproduce report: X against Ours(X), the K ablation, teacher health and the paper's numbers, against hand-computed values. */
import { buildModel } from '@equissl/pipeline';
import { decodePretrainConfig } from '@equissl/encoder';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './runs.js';
import {
  decideChecks,
  entropyMargin,
  kAblation,
  pairChecks,
  presetSteps,
  readTeacherHealth,
  reproduceConfigs,
  reproduceRows,
  summariseRow,
  systemsChecks,
  systemsMarkdown,
  teacherVerdict,
} from '../src/index.js';

const row = (name: string, rots: number[], linears: number[]) => summariseRow(name, rots.map((r, i) => run(name, i, r, linears[i]!)));

describe('X against Ours(X)', () => {
  // p-values: SciPy, ttest_ind(ours, x + δ, equal_var=False, alternative='greater') and ttest_1samp(h, 0.5, alternative='greater')
  it('tests the R² gap > 0.2, h > 0.5 over the seeds\' h, and the probes > −2 points, Holm over the pair', () => {
    const ours = row('ours-sie', [0.9, 0.91, 0.92], [0.63, 0.64, 0.65]);
    const sie = row('sie', [0.4, 0.42, 0.44], [0.62, 0.63, 0.64]);
    const pending = pairChecks(ours, sie, 'SIE');
    expect(pending.map((c) => c.test!.p)).toEqual([
      expect.closeTo(0.00011002403533155274, 8),
      expect.closeTo(0.00019829454904216686, 8),
      expect.closeTo(0.010655820564378356, 8),
      expect.closeTo(0.010655820564378356, 8),
    ]);
    expect(pending[1]!.measured).toBe('h 0.85 (0.83, 0.84, 0.86)');
    const checks = decideChecks(pending);
    // Holm: 0.00011·4, 0.0002·3, then 0.0107·2 twice
    expect(checks.map((c) => c.pHolm)).toEqual([expect.closeTo(4 * 0.00011002403533155274, 8), expect.closeTo(3 * 0.00019829454904216686, 8), expect.closeTo(2 * 0.010655820564378356, 8), expect.closeTo(2 * 0.010655820564378356, 8)]);
    expect(checks.map((c) => c.holds)).toEqual([true, true, true, true]);
  });

  it('three seeds with a wide spread do not establish a gap of 0.3 or an h of 0.61', () => {
    const checks = decideChecks(pairChecks(row('ours-sie', [0.7, 0.8, 0.9], [0.6, 0.6, 0.6]), row('sie', [0.45, 0.5, 0.55], [0.6, 0.6, 0.6]), 'SIE'));
    expect(checks[0]!.p).toBeCloseTo(0.11044042024704817, 8);
    expect(checks[1]!.p).toBeCloseTo(0.1788389383096195, 8);
    expect(checks.slice(0, 2).map((c) => c.holds)).toEqual([false, false]);
  });

  it('a report with only the VICReg pair has no systems section; with another pair, every pair is checked', () => {
    const base = [row('baseline', [0.2, 0.3, 0.4], [0.5, 0.5, 0.5]), row('method', [0.7, 0.8, 0.9], [0.5, 0.5, 0.5])];
    expect(systemsChecks(base)).toEqual([]);
    const withSie = [...base, row('sie', [0.2, 0.3, 0.4], [0.5, 0.5, 0.5]), row('ours-sie', [0.2, 0.3, 0.4], [0.5, 0.5, 0.5])];
    const checks = systemsChecks(withSie);
    expect(checks.map((c) => c.requirement)).toEqual([
      'R²(rotation): Ours(VICReg) − VICReg > 0.2',
      'headroom closed by Ours(VICReg), h = (Ours − X) / (1 − X) > 0.5',
      'linear: Ours(VICReg) − VICReg > −2 points',
      'k-NN: Ours(VICReg) − VICReg > −2 points',
      'R²(rotation): Ours(SIE) − SIE > 0.2',
      'headroom closed by Ours(SIE), h = (Ours − X) / (1 − X) > 0.5',
      'linear: Ours(SIE) − SIE > −2 points',
      'k-NN: Ours(SIE) − SIE > −2 points',
    ]);
    // equal accuracies with no spread are certain (p 0); the VICReg gap (p 0.0107) survives Holm's ×4, its h (p 0.032) not ×3
    expect(checks.map((c) => c.holds)).toEqual([true, false, true, true, false, false, true, true]);
  });
});

const SCIPY_K1 = 0.006457589202672632;

describe('the K ablation', () => {
  it('K = 1 and K = 3 against K = 2 by Welch\'s two-sided test, Holm over the two', () => {
    const lines = kAblation([row('method-k1', [0.3, 0.35, 0.4], [0.5, 0.5, 0.5]), row('method', [0.7, 0.8, 0.9], [0.5, 0.5, 0.5]), row('method-k3', [0.75, 0.8, 0.85], [0.5, 0.5, 0.5])]);
    expect(lines.map((l) => l.k)).toEqual([1, 2, 3]);
    // K=1: −0.45; SciPy ttest_ind([0.3, 0.35, 0.4], [0.7, 0.8, 0.9], equal_var=False).pvalue; Holm ×2 → called; K=3: 0, not called
    expect(lines[0]!.versusK2!.difference).toBeCloseTo(-0.45, 12);
    expect(lines[0]!.versusK2!.p).toBeCloseTo(SCIPY_K1, 6);
    expect(lines[0]!.versusK2!.pHolm).toBeCloseTo(2 * SCIPY_K1, 6);
    expect(lines[0]!.versusK2!.called).toBe(true);
    expect(lines[2]!.versusK2!.called).toBe(false);
    expect(lines[1]!.versusK2).toBeUndefined();
    expect(kAblation([row('method', [0.7, 0.8, 0.9], [0.5, 0.5, 0.5])])).toEqual([]);
  });
});

describe('teacher health', () => {
  const logK = Math.log(256);
  const steps = <A,>(n: number, f: (i: number) => A): A[] => Array.from({ length: n }, (_, i) => f(i));
  it('a teacher that goes uniform, one that goes one-hot, one whose student does not learn, and one that trains', () => {
    // entropy → log K − 0.1 (inside the margin), KL falling
    expect(teacherVerdict(steps(100, (i) => logK - 2 + (1.9 * i) / 99), steps(100, (i) => 1 - i / 200), logK).verdict).toBe('uniform teacher');
    expect(teacherVerdict(steps(100, () => 0.2), steps(100, (i) => 1 - i / 200), logK).verdict).toBe('one-hot teacher');
    // entropy 4.5 and KL 0.6 at the end: the student's loss 5.1 is within 0.5 nats of log 256 = 5.545, what predicting nothing costs
    const idle = teacherVerdict(steps(100, () => 4.5), steps(100, () => 0.6), logK);
    expect(idle.verdict).toBe('student not learning');
    expect(idle.studentLoss).toBeCloseTo(5.1, 12);
    // the KL may rise while the teacher sharpens: a student 2 nats better than chance trains
    expect(teacherVerdict(steps(100, () => 3), steps(100, (i) => 0.1 + i / 200), logK).verdict).toBe('trains');
    const ok = teacherVerdict(steps(100, (i) => 5 - (2 * i) / 99), steps(100, (i) => 1 - i / 200), logK);
    expect(ok.verdict).toBe('trains');
    // first tenth: steps 0–9 of 5 − 2i/99 → mean 5 − 9/99; last tenth: steps 90–99 → 3 + 9/99
    expect(ok.entropy.first).toBeCloseTo(5 - 9 / 99, 12);
    expect(ok.entropy.last).toBeCloseTo(3 + 9 / 99, 12);
    expect(entropyMargin).toBe(0.5);
  });

  it('with the marginal entropy logged, a sharp teacher whose images spread trains and one whose images share a prototype has collapsed', () => {
    // per-image entropy 0.3 (sharp), KL 0.6: student loss 0.9, far below log K
    const sharp = teacherVerdict(steps(100, () => 0.3), steps(100, () => 0.6), logK, steps(100, () => 4));
    expect(sharp.verdict).toBe('trains');
    expect(sharp.marginal).toEqual({ first: 4, last: 4 });
    // the marginal falls from 4 to 0.2 over the last tenth: one prototype takes every image
    const collapsed = teacherVerdict(steps(100, () => 0.3), steps(100, () => 0.6), logK, steps(100, (i) => (i < 90 ? 4 : 0.2)));
    expect(collapsed.verdict).toBe('one prototype');
    expect(collapsed.marginal!.last).toBeCloseTo(0.2, 12);
    // uniform wins over everything else
    expect(teacherVerdict(steps(100, () => logK - 0.1), steps(100, () => 0.1), logK, steps(100, () => logK)).verdict).toBe('uniform teacher');
    // no marginal logged: no `marginal` field, and the sharp teacher stays undecided
    expect(teacherVerdict(steps(100, () => 0.3), steps(100, () => 0.6), logK, []).marginal).toBeUndefined();
  });

  it('reads metrics.jsonl and the head width of each teacher run; other runs are left out', () => {
    const out = mkdtempSync(join(tmpdir(), 'equissl-teacher-'));
    const write = (r: string, lines: object[], config: object) => {
      mkdirSync(join(out, r, 'seed0'), { recursive: true });
      writeFileSync(join(out, r, 'seed0', 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
      writeFileSync(join(out, r, 'seed0', 'config.json'), JSON.stringify(config));
    };
    write('ibot', steps(20, (i) => ({ step: i, 'ssl.teacherEntropy': 4.15 - i / 100, 'ssl.kl': 1 - i / 40 })), { loss: { name: 'ibot', prototypes: 64 } });
    write('baseline', [{ step: 0, 'ssl.invariance': 1 }], { loss: { name: 'vicreg' } });
    // a sharp teacher that logged its marginal entropy (3 throughout): 0.3 per image, KL 0.4
    write('dinov2', steps(20, (i) => ({ step: i, 'ssl.teacherEntropy': 0.3, 'ssl.teacherMarginalEntropy': 3, 'ssl.kl': 0.4 })), { loss: { name: 'dinov2' } });
    const health = readTeacherHealth(out, [{ row: 'ibot', seed: 0 }, { row: 'baseline', seed: 0 }, { row: 'sie', seed: 0 }, { row: 'dinov2', seed: 0 }]);
    expect(health).toHaveLength(2);
    expect(health[1]!.marginal).toEqual({ first: 3, last: 3 });
    expect(health[1]!.verdict).toBe('trains');
    expect(health[0]!.marginal).toBeUndefined();
    expect(health[0]!.logK).toBeCloseTo(Math.log(64), 12);
    // last tenth (2 steps): 4.15 − 0.18, 4.15 − 0.19 → 3.965, above log 64 − 0.5 = 3.659 → uniform
    expect(health[0]!.entropy.last).toBeCloseTo(3.965, 12);
    expect(health[0]!.verdict).toBe('uniform teacher');
  });
});

describe('the systems rows of the preset', () => {
  const configs = reproduceConfigs({ seed: 0, steps: presetSteps, workers: 2 });
  it('--ablation adds K = 1, K = 3 and the (SIE, all, rot) pair in a fixed order', () => {
    expect(reproduceRows({ ablations: ['sie-all-rot', 'k3', 'k1'] })).toEqual(['untrained', 'baseline', 'method', 'method-k1', 'method-k3', 'sie-all', 'ours-sie-all-rot']);
  });

  it('K = 3 differs from the method only in K; SIE (all) and Ours(SIE, all, rot) differ from SIE and Ours(SIE) only in the path', () => {
    const decoded = (c: unknown) => {
      const r = decodePretrainConfig(c);
      if (E.isLeft(r)) throw new Error(r.left.message);
      return r.right;
    };
    const k3 = decoded(configs['method-k3']);
    expect({ ...k3, reconstruction: 0 }).toEqual({ ...decoded(configs.method), reconstruction: 0 });
    expect((k3.reconstruction as { k: number }).k).toBe(3);
    const registry = standardRegistry();
    if (E.isLeft(registry)) throw new Error(registry.left.message);
    for (const [all, plain] of [['sie-all', 'sie'], ['ours-sie-all-rot', 'ours-sie']] as const) {
      const a = decoded(configs[all]);
      expect({ ...a, path: 0 }).toEqual({ ...decoded(configs[plain]), path: 0 });
      expect(a.path).toEqual({ name: 'allRot', maxDegrees: 90, allMaxDegrees: 45 });
      const model = buildModel(a, registry.right, [32, 32, 1]);
      if (E.isLeft(model)) throw new Error(`${all}: ${model.left.message}`);
      model.right.dispose();
    }
  });

  it("the markdown shows the paper's numbers beside the rows it has numbers for", () => {
    const md = systemsMarkdown([row('sie-all', [0.2, 0.3, 0.4], [0.5, 0.5, 0.5]), row('ours-sie-all-rot', [0.7, 0.8, 0.9], [0.5, 0.5, 0.5])], [], (n) => n).join('\n');
    expect(md).toContain('| sie-all | 0.331 / 0.899 / 0.211 / 0.925 / 0.592 (ViT-S/16) | 0.300 / 0.500 / 0.500 / 0.500 / 0.450 |');
    expect(md).toContain('| R²(rotation): Ours(SIE (all)) − SIE (all) > 0.2 | 0.800 ± 0.100 vs 0.300 ± 0.100: difference +0.500; p 0.011, Holm 0.021 | yes |');
  });
});
