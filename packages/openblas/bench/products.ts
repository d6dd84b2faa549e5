/**
 * Micro-benchmark: the wasm backend's matrix products with its own kernels
 * and with the OpenBLAS ones, interleaved (wasm, OpenBLAS, wasm, …) so that
 * a busy machine slows both alike; prints the median GFLOP/s of each and the
 * ratio. A dense layer's product [520, 192] × [192, 768] and the two products
 * of its gradient, and the two batched attention products.
 *
 *   node --conditions=@equissl/source --import tsx packages/openblas/bench/products.ts
 *   OPENBLAS_NUM_THREADS=1 node --conditions=@equissl/source --import tsx packages/openblas/bench/products.ts
 *
 * `ROUNDS` (default 5) sets the rounds per case.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as E from 'fp-ts/lib/Either.js';
import { installOpenBlasKernels, loadOpenBlas, uninstallOpenBlasKernels } from '../src/index.js';

interface Case {
  readonly name: string;
  readonly a: number[];
  readonly b: number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

const cases: ReadonlyArray<Case> = [
  { name: 'dense  Y = X·W     [520,192]×[192,768]', a: [520, 192], b: [192, 768], transposeA: false, transposeB: false },
  { name: 'dense dX = dY·Wᵀ   [520,768]×[192,768]ᵀ', a: [520, 768], b: [192, 768], transposeA: false, transposeB: true },
  { name: 'dense dW = Xᵀ·dY   [520,192]ᵀ×[520,768]', a: [520, 192], b: [520, 768], transposeA: true, transposeB: false },
  { name: 'attn  S = Q·Kᵀ     [96,65,32]×[96,65,32]ᵀ', a: [96, 65, 32], b: [96, 65, 32], transposeA: false, transposeB: true },
  { name: 'attn  O = P·V      [96,65,65]×[96,65,32]', a: [96, 65, 65], b: [96, 65, 32], transposeA: false, transposeB: false },
];

const flops = (c: Case): number => {
  const r = c.a.length;
  const m = c.transposeA ? c.a[r - 1]! : c.a[r - 2]!;
  const k = c.transposeA ? c.a[r - 2]! : c.a[r - 1]!;
  const n = c.transposeB ? c.b[r - 2]! : c.b[r - 1]!;
  return 2 * c.a.slice(0, -2).reduce((p, x) => p * x, 1) * m * n * k;
};

/** GFLOP/s of `c` over enough repetitions to take about 0.3 s. */
const measure = (c: Case, a: tf.Tensor, b: tf.Tensor): number => {
  const once = () => tf.matMul(a, b, c.transposeA, c.transposeB).dispose();
  once(); // warm-up (XNNPACK builds its operator on first use)
  let reps = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) once();
    const ms = performance.now() - t0;
    if (ms >= 300 || reps >= 1 << 14) return (flops(c) * reps) / (ms * 1e6);
    reps *= ms < 30 ? 8 : 2;
  }
};

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

const main = async (): Promise<void> => {
  await tf.setBackend('wasm');
  await tf.ready();
  const addon = loadOpenBlas();
  if (E.isLeft(addon)) {
    console.log(`@equissl/openblas: ${addon.left}`);
    return;
  }
  const rounds = Number(process.env['ROUNDS'] ?? 5);
  const installed = installOpenBlasKernels();
  if (E.isLeft(installed)) throw new Error(installed.left);
  console.log(`wasm backend; OpenBLAS threads ${installed.right.threads}; ${rounds} rounds per case, interleaved; median GFLOP/s`);
  console.log(`${'product'.padEnd(42)} ${'wasm'.padStart(8)} ${'OpenBLAS'.padStart(9)} ${'ratio'.padStart(7)}`);
  for (const c of cases) {
    const a = tf.randomNormal(c.a, 0, 1, 'float32', 1);
    const b = tf.randomNormal(c.b, 0, 1, 'float32', 2);
    const wasm: number[] = [];
    const blas: number[] = [];
    for (let r = 0; r < rounds; r++) {
      uninstallOpenBlasKernels();
      wasm.push(measure(c, a, b));
      installOpenBlasKernels();
      blas.push(measure(c, a, b));
    }
    const w = median(wasm);
    const o = median(blas);
    console.log(`${c.name.padEnd(42)} ${w.toFixed(1).padStart(8)} ${o.toFixed(1).padStart(9)} ${`${(o / w).toFixed(1)}×`.padStart(7)}`);
    a.dispose();
    b.dispose();
  }
  uninstallOpenBlasKernels();
};

await main();
