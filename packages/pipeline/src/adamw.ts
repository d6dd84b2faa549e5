/**
 * AdamW (Loshchilov & Hutter, ICLR 2019), as PyTorch's `torch.optim.AdamW`:
 *
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²
 *   p ← p − lr · (m / (1 − β1ᵗ)) / (sqrt(v / (1 − β2ᵗ)) + ε)
 *
 * Parameter groups by name prefix may scale the learning rate (the pretraining
 * config's `decoderLrScale` scales the decoders').
 * Weight decay applies to matrices only (rank ≥ 2, not the cls/mask tokens
 * or position embeddings), the timm convention. The moments are variables
 * named like the parameters, so checkpoints store and restore them exactly.
 *
 * @since 0.1.0
 */
import type { NamedArray } from '@equissl/core';
import { decoderParamPrefix } from '@equissl/decoders';
import type { ParamStore } from '@equissl/nn';
import type { OptimizerConfig } from '@equissl/encoder';
import * as tf from '@tensorflow/tfjs';

/** Hyper-parameters of AdamW. */
export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Multiplies the learning rate of the parameters whose names start with `prefix` (PyTorch's parameter groups). */
  readonly lrScales?: ReadonlyArray<{ readonly prefix: string; readonly scale: number }>;
}

/** Whether a parameter is decayed. */
export const decays = (name: string, shape: ReadonlyArray<number>): boolean =>
  shape.length >= 2 && !/(clsToken|maskToken|posEmbed)$/.test(name);

/** AdamW over every variable of a store. */
export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  /** Each parameter's learning-rate factor, from `lrScales`. */
  private readonly lrScale = new Map<string, number>();
  /** Updates applied so far (t in the bias corrections). */
  step = 0;

  constructor(
    private readonly store: ParamStore,
    private readonly options: AdamWOptions,
  ) {
    for (const [name, p] of store.entries()) {
      this.m.set(name, tf.variable(tf.zerosLike(p), false));
      this.v.set(name, tf.variable(tf.zerosLike(p), false));
      this.lrScale.set(name, options.lrScales?.find((s) => name.startsWith(s.prefix))?.scale ?? 1);
    }
  }

  /** Applies one update with learning rate `lr`; `grads` maps variable names (tf ids) to gradients. */
  apply(grads: Readonly<Record<string, tf.Tensor>>, lr: number): void {
    const { beta1, beta2, eps, weightDecay } = this.options;
    this.step += 1;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [name, p] of this.store.entries()) {
      const g = grads[p.name];
      if (g === undefined) continue;
      const plr = lr * this.lrScale.get(name)!;
      tf.tidy(() => {
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const decayed = decays(name, p.shape) && weightDecay > 0 ? tf.mul(p, 1 - plr * weightDecay) : p;
        const update = tf.div(tf.div(mNew, c1), tf.add(tf.sqrt(tf.div(vNew, c2)), eps));
        p.assign(tf.sub(decayed, tf.mul(update, plr)));
      });
    }
  }

  /** The moments as named arrays (`adam.m/<name>`, `adam.v/<name>`). */
  toArrays(): Map<string, NamedArray> {
    const out = new Map<string, NamedArray>();
    for (const [name, m] of this.m) out.set(`adam.m/${name}`, { shape: m.shape, data: m.dataSync() as Float32Array });
    for (const [name, v] of this.v) out.set(`adam.v/${name}`, { shape: v.shape, data: v.dataSync() as Float32Array });
    return out;
  }

  /** Restores the moments and the step count; false when a moment is missing or misshapen. */
  load(arrays: ReadonlyMap<string, NamedArray>, step: number): boolean {
    for (const [prefix, table] of [['adam.m/', this.m], ['adam.v/', this.v]] as const) {
      for (const [name, variable] of table) {
        const a = arrays.get(prefix + name);
        if (a === undefined || a.data.length !== variable.size) return false;
        tf.tidy(() => variable.assign(tf.tensor(a.data, variable.shape, 'float32')));
      }
    }
    this.step = step;
    return true;
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}

/** The pretraining optimizer: AdamW with the decoders' learning rate scaled by `decoderLrScale`. */
export const pretrainOptimizer = (store: ParamStore, c: OptimizerConfig): AdamW =>
  new AdamW(store, { ...c, lrScales: [{ prefix: decoderParamPrefix, scale: c.decoderLrScale }] });
