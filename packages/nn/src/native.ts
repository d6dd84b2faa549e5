/**
 * Native kernels of equissl's own (`Equissl…`, registered on the wasm backend
 * by `@equissl/openblas` where its addon is built): an op asks whether its
 * kernel is registered on the active backend and calls it, or composes tfjs
 * ops where it is not (other backends, no addon, `EQUISSL_OPENBLAS=0`).
 * Asked at every call, so installing or removing the kernels takes effect at
 * once.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';

/** Whether the kernel `name` is registered on the active backend. */
export const hasKernel = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;

/** Runs the kernel `name` on `inputs` (no attributes); its outputs, in the kernel's order. */
export const runKernel = (name: string, inputs: tf.NamedTensorMap): tf.Tensor[] => [tf.engine().runKernel(name, inputs, {}) as tf.Tensor | tf.Tensor[]].flat();
