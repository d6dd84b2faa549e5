/**
 * The PyTorch side of `equissl bench`: one long-lived Python process
 * (`tools/reference/bench_server.py`, which imports the reference
 * `shared/bench/torch_reference.py` unchanged) that keeps the reference model
 * warm and times its step on request, one JSON line per request and reply.
 *
 * @since 0.1.0
 */
import type { BenchMode, BenchShape } from './session.js';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** What the Python side reported when it started. */
export interface TorchInfo {
  readonly torch: string;
  readonly threads: number;
  readonly python: string;
  /** Parameters of the whole model (train) or of the encoder (encode). */
  readonly parameters: number;
  readonly encoderParameters: number;
  /** `BLAS check: 512^3 sgemm … GFLOP/s`, as the reference prints it. */
  readonly blasCheck: string;
  readonly blasGflops: number;
}

/** A running reference model. */
export interface TorchSession {
  readonly info: TorchInfo;
  readonly warmup: (mode: BenchMode, steps: number) => Promise<void>;
  /** Times `steps` steps: seconds per step, and the cores other processes used meanwhile. */
  readonly time: (mode: BenchMode, steps: number) => Promise<{ secondsPerStep: number; foreignCores: number }>;
  readonly close: () => Promise<void>;
}

/** Options of {@link openTorchSession}. */
export interface TorchSessionOptions {
  readonly python: string;
  /** tools/reference/bench_server.py */
  readonly server: string;
  /** torch_reference.py */
  readonly reference: string;
  readonly batch: number;
  readonly threads: number;
  readonly shape: BenchShape;
}

type Reply =
  | { type: 'ready'; torch: string; threads: number; python: string; params: number; encoder_params: number; blas_gflops: number; blas_check: string }
  | { type: 'unavailable'; reason: string }
  | { type: 'warm' }
  | { type: 'timed'; sec_per_step: number; foreign_cores: number }
  | { type: 'error'; message: string };

const referenceMode = (mode: BenchMode): string => (mode === 'train' ? 'train' : 'enc');

/** Starts the Python side; resolves once the model is built, or with the reason it could not be (one line). */
export const openTorchSession = (o: TorchSessionOptions): Promise<{ ok: true; session: TorchSession } | { ok: false; reason: string }> => {
  if (!existsSync(o.server)) return Promise.resolve({ ok: false, reason: `${o.server} not found (it comes with the repository's tools/)` });
  if (!existsSync(o.reference)) return Promise.resolve({ ok: false, reason: `torch_reference.py not found at ${o.reference}; pass --reference` });
  const args = [o.server, '--reference', o.reference, '--batch', String(o.batch), '--threads', String(o.threads)];
  args.push('--dim', String(o.shape.dim), '--depth', String(o.shape.depth), '--heads', String(o.shape.heads), '--dec-ch', String(o.shape.decoderChannels));
  const child = spawn(o.python, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  const waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  let stderr = '';
  let exited: Error | undefined;
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  const lastWords = () => stderr.trim().split('\n').slice(-2).join(' ').trim();
  createInterface({ input: child.stdout }).on('line', (line) => {
    let reply: Reply;
    try {
      reply = JSON.parse(line) as Reply;
    } catch {
      return; // not a reply (a library's print)
    }
    waiting.shift()?.resolve(reply);
  });
  const fail = (e: Error) => {
    exited = e;
    for (const w of waiting.splice(0)) w.reject(e);
  };
  child.on('error', (e) => fail(new Error(`${o.python}: cannot start (${e.message})`)));
  child.on('close', (code, signal) => fail(new Error(`the Python side exited (${signal ?? `code ${code}`})${lastWords() === '' ? '' : `: ${lastWords()}`}`)));
  child.stdin.on('error', () => undefined); // a closed pipe shows up as the exit above
  const next = () => new Promise<Reply>((resolve, reject) => (exited ? reject(exited) : waiting.push({ resolve, reject })));
  const request = async (m: unknown): Promise<Reply> => {
    const reply = next();
    child.stdin.write(`${JSON.stringify(m)}\n`);
    const r = await reply;
    if (r.type === 'error') throw new Error(`the Python side: ${r.message}`);
    return r;
  };
  return next().then(
    (ready) => {
      if (ready.type !== 'ready') {
        child.kill();
        return { ok: false as const, reason: ready.type === 'unavailable' ? ready.reason : `unexpected first reply ${JSON.stringify(ready)}` };
      }
      const session: TorchSession = {
        info: {
          torch: ready.torch,
          threads: ready.threads,
          python: ready.python,
          parameters: ready.params,
          encoderParameters: ready.encoder_params,
          blasCheck: ready.blas_check,
          blasGflops: ready.blas_gflops,
        },
        warmup: async (mode, steps) => {
          await request({ cmd: 'warmup', mode: referenceMode(mode), steps });
        },
        time: async (mode, steps) => {
          const r = await request({ cmd: 'time', mode: referenceMode(mode), steps });
          if (r.type !== 'timed') throw new Error(`the Python side answered ${JSON.stringify(r)} to a timing request`);
          return { secondsPerStep: r.sec_per_step, foreignCores: r.foreign_cores };
        },
        close: () =>
          new Promise<void>((resolve) => {
            if (exited) return resolve();
            child.once('close', () => resolve());
            child.stdin.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
          }),
      };
      return { ok: true as const, session };
    },
    (e: Error) => ({ ok: false as const, reason: e.message }),
  );
};
