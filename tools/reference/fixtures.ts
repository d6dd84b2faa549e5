/**
 * Test support: the PyTorch reference numbers (`fixtures.json`, made by
 * `make_fixtures.py`) and the closed formula every fixture input and weight
 * comes from, so TypeScript tests rebuild exactly the same tensors.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `scale · sin(a·k + b)` over the flattened shape, as `make_fixtures.py`'s `wave`. */
export const wave = (shape: ReadonlyArray<number>, a: number, b: number, scale = 1): Float32Array => {
  const n = shape.reduce((x, y) => x * y, 1);
  return Float32Array.from({ length: n }, (_, k) => scale * Math.sin(a * k + b));
};

/** The formula of a named parameter (equissl layout), as `make_fixtures.py`'s `param_wave`. */
export const paramWave = (name: string, shape: ReadonlyArray<number>): Float32Array => wave(shape, 0.37, 0.05 * name.length, 0.1);

interface Fixtures {
  readonly losses: {
    readonly vicreg_sie: { invariance: number; variance: number; covariance: number; total: number };
    readonly 'simclr_tau_0.2': number;
    readonly 'barlow_lambda_5e-3': { onDiagonal: number; offDiagonal: number; total: number };
  };
  readonly vit: { spec: { img: number; patch: number; dim: number; depth: number; heads: number; mlp_ratio: number }; cls: number[]; patches: number[] };
  readonly decoder: { channels: number; grid: number; inDim: number; patch: number; output: number[] };
}

/** The reference numbers. */
export const fixtures: Fixtures = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures.json'), 'utf8'));
