/**
 * A parameter store: the trainable variables of a model under stable,
 * dotted names (`blocks.0.attn.qkv.weight`), in creation order. Names are the
 * keys of saved weights and optimizer state; loading checks every name and
 * shape and names the offender.
 *
 * @since 0.1.0
 */
import { type DataError, type NamedArray, type ShapeMismatch, dataError, shapeMismatch } from '@equissl/core';
import * as tf from '@tensorflow/tfjs';
import * as E from 'fp-ts/lib/Either.js';

/** Named trainable variables. */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();

  /** Creates variable `name` from `init` (which the store takes over). Names must be unique. */
  add(name: string, init: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) throw new Error(`ParamStore: parameter "${name}" is defined twice`);
    const v = tf.variable(init, true);
    init.dispose();
    this.vars.set(name, v);
    return v;
  }

  /** The variable `name`. */
  get(name: string): tf.Variable | undefined {
    return this.vars.get(name);
  }

  /** Every `[name, variable]`, in creation order. */
  entries(): ReadonlyArray<readonly [string, tf.Variable]> {
    return [...this.vars];
  }

  /** The names, in creation order. */
  names(): ReadonlyArray<string> {
    return [...this.vars.keys()];
  }

  /** The variables, in creation order. */
  variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Total number of scalar parameters (optionally only those whose name starts with `prefix`). */
  count(prefix = ''): number {
    let n = 0;
    for (const [name, v] of this.vars) if (name.startsWith(prefix)) n += v.size;
    return n;
  }

  /** Copies every value out (for saving). */
  toArrays(): Map<string, NamedArray> {
    return new Map([...this.vars].map(([name, v]) => [name, { shape: v.shape, data: v.dataSync() as Float32Array }]));
  }

  /** Assigns saved values by name; every parameter must be present with its shape. */
  load(arrays: ReadonlyMap<string, NamedArray>, file: string, prefix = ''): E.Either<DataError | ShapeMismatch, void> {
    for (const [name, v] of this.vars) {
      const a = arrays.get(prefix + name);
      if (a === undefined) return E.left(dataError(file, `has no tensor "${prefix + name}"; was it saved by another model configuration?`));
      if (a.shape.length !== v.shape.length || a.shape.some((s, i) => s !== v.shape[i])) {
        return E.left(shapeMismatch(`${file}: ${prefix + name}`, `[${v.shape.join(', ')}]`, a.shape));
      }
    }
    for (const [name, v] of this.vars) {
      const a = arrays.get(prefix + name)!;
      tf.tidy(() => v.assign(tf.tensor(a.data, a.shape as number[], 'float32')));
    }
    return E.right(undefined);
  }

  /** Disposes every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
