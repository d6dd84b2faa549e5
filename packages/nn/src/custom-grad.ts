/**
 * A typed wrapper over `tf.customGrad`: an op is a forward function that
 * returns its value, the tensors the backward pass needs, and the backward
 * function (one gradient per input, from `dy` and the saved tensors only).
 * Both passes run inside `tf.tidy`, so an op's intermediates are freed at
 * once instead of living until the end of the training step.
 *
 * @since 0.1.0
 */
import * as tf from '@tensorflow/tfjs';

/** What an op's forward pass returns. */
export interface Forward<Out extends tf.Tensor> {
  readonly value: Out;
  readonly save: tf.Tensor[];
  readonly backward: (dy: Out, saved: tf.Tensor[]) => tf.Tensor[];
}

/** Makes an op whose gradient is `backward` (use only kernels that are fast on the target backend there). */
export const withGradient = <Args extends tf.Tensor[], Out extends tf.Tensor>(
  forward: (...args: Args) => Forward<Out>,
): ((...args: Args) => Out) => {
  type Custom = Parameters<typeof tf.customGrad>[0];
  const op = tf.customGrad(((...inputs: unknown[]) => {
    const save = inputs.pop() as tf.GradSaveFunc;
    let backward: Forward<Out>['backward'] | undefined;
    // intermediates of the forward pass die here; only the value and the saved tensors live on
    const [value, ...saved] = tf.tidy(() => {
      const r = forward(...(inputs as Args));
      backward = r.backward;
      return [r.value, ...r.save];
    });
    save(saved);
    return { value, gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => tf.tidy(() => backward!(dy as Out, kept)) };
  }) as unknown as Custom);
  return (...args: Args) => op(...args) as unknown as Out;
};
