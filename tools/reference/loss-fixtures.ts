/**
 * Test support: the PyTorch reference numbers of the sie, ibot, dinov2 and stl
 * loss plugins (`loss-fixtures.json`, made by `make_loss_fixtures.py` from the
 * re-implementations in `ssl_losses.py`). Inputs and parameters come from the
 * closed formulas of `fixtures.ts` (`wave`, `paramWave`).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wave } from './fixtures.js';

/** An input built by `wave(shape, a, b, scale)`. */
export interface WaveSpec {
  readonly shape: ReadonlyArray<number>;
  readonly wave: readonly [number, number, number];
}

/** One reference case: a loss config, its inputs, and what PyTorch computed (float64). */
export interface LossCase {
  /** The plugin config, `name` included. */
  readonly config: Record<string, unknown> & { readonly name: string };
  readonly shape: { readonly dim: number; readonly equiDim: number; readonly tokens: number; readonly transformDim: number };
  readonly step: number;
  /** equissl's parameters `[name, shape]`, each set to `paramWave(name, shape)`. */
  readonly params: ReadonlyArray<readonly [string, ReadonlyArray<number>]>;
  /** z1, z2 (and e1, e2, transformParams, tokens1, tokens2 as the loss reads them) as waves; masks1, masks2 as flat 0/1 `[B·N]`. */
  readonly inputs: Readonly<Record<string, WaveSpec | ReadonlyArray<number>>>;
  /** The teacher's logits (iBOT, DINOv2). */
  readonly teacher?: Readonly<Record<'cls1' | 'cls2' | 'patches1' | 'patches2', WaveSpec>>;
  /** The state `compute` starts from (iBOT's centres); null: the loss's initial state. */
  readonly state?: { readonly center: number[]; readonly center2: number[] } | null;
  /** The teacher temperature at `step` (iBOT, DINOv2). */
  readonly teacherTemp?: number;
  readonly loss: number;
  readonly terms: Readonly<Record<string, number>>;
  /** d loss / d input, flattened, per differentiated input. */
  readonly grads: Readonly<Record<string, ReadonlyArray<number>>>;
  /** iBOT's state after the step. */
  readonly nextState?: { readonly center: number[]; readonly center2: number[] };
}

interface LossFixtures {
  readonly generator: string;
  readonly torch: string;
  readonly cases: Readonly<Record<string, LossCase>>;
}

/** The values of a wave input. */
export const waveValues = (spec: WaveSpec): Float32Array => wave(spec.shape, spec.wave[0], spec.wave[1], spec.wave[2]);

/** The loss reference numbers. */
export const lossFixtures: LossFixtures = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'loss-fixtures.json'), 'utf8'));
