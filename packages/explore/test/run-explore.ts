/**
 * Test support: the `equissl` command from its sources as a user runs it
 * (wasm backend) — `equissl explore` started in the background until it
 * prints the address it serves (or exits), other commands run to their end —
 * and tiny pretrained checkpoints (procedural 16-px images, a ViT of width 16
 * and depth 1, K = 2 conv4 decoders of 8 channels, or none).
 */
import { pretrain } from '@equissl/pipeline';
import { standardRegistry } from '@equissl/standard';
import * as E from 'fp-ts/lib/Either.js';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const main = join(root, 'packages', 'cli', 'src', 'main.ts');
const nodeArgs = ['--conditions=@equissl/source', '--import', 'tsx', main];
const env = { ...process.env, EQUISSL_BACKEND: 'wasm' };

/** Runs `equissl ...args` to its end. */
export const equissl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [...nodeArgs, ...args], { encoding: 'utf8', env, cwd: root });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** A running `equissl explore`. */
export interface Explore {
  readonly url: string;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly stop: () => Promise<void>;
}

/** Starts `equissl explore ...args --port 0`; resolves with its address, rejects with its output if it exits first. */
export const startExplore = (...args: string[]): Promise<Explore> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [...nodeArgs, 'explore', ...args, '--port', '0'], { env, cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^serving (http:\/\/127\.0\.0\.1:\d+\/)/m.exec(out);
      if (m !== null) resolve({ url: m[1]!, stdout: () => out, stderr: () => err, stop });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`equissl explore exited with ${code} before serving:\n${out}\n${err}`)));
  });

/** Pretrains a tiny model for `steps` steps on `size`-px images into `out`: the method (K = 2 decoders) or the baseline (reconstruction off). */
export const tinyCheckpoint = async (out: string, kind: 'method' | 'baseline', steps = 3, size = 16): Promise<string> => {
  const registry = E.getOrElseW(() => {
    throw new Error('registry');
  })(standardRegistry());
  const r = await pretrain(
    {
      steps,
      batchSize: 8,
      workers: 1,
      data: { name: 'procedural', count: 96, size },
      backbone: { name: 'vit', dim: 16, depth: 1, heads: 2 },
      neck: 'linear',
      // decoders that reach the images' mean colour within a few steps, so their reconstructions are visible
      optimizer: { lr: 3e-3, warmupSteps: 0, decoderLrScale: 10 },
      reconstruction: kind === 'method' ? { k: 2, decoder: { name: 'conv4', channels: 8 } } : 'off',
    },
    registry,
    { out },
  )();
  if (E.isLeft(r)) throw new Error(r.left.message);
  r.right.model.dispose();
  return join(out, 'checkpoint.safetensors');
};
