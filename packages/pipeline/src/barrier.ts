/**
 * A reusable barrier for worker threads over shared memory (Atomics):
 * `sync[0]` counts arrivals, `sync[1]` is the generation. Every replica calls
 * {@link barrier}; the last to arrive resets the count, advances the
 * generation and wakes the others.
 *
 * @since 0.1.0
 */

/** Blocks until `world` threads have called it with the same `sync` array. */
export const barrier = (sync: Int32Array, world: number): void => {
  const generation = Atomics.load(sync, 1);
  if (Atomics.add(sync, 0, 1) === world - 1) {
    Atomics.store(sync, 0, 0);
    Atomics.add(sync, 1, 1);
    Atomics.notify(sync, 1);
  } else {
    while (Atomics.load(sync, 1) === generation) Atomics.wait(sync, 1, generation);
  }
};
