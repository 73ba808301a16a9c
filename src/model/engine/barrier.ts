/**
 * A reusable barrier over two Int32 words of shared memory (arrival count, generation): the last
 * thread to arrive resets the count, advances the generation and wakes the others. Worker threads
 * block in `Atomics.wait`; the calling thread waits with `Atomics.waitAsync`, so that its event
 * loop can still notice a worker that died.
 *
 * Browser-safe (only used where threads exist).
 */

/** Arrives at the barrier; returns the generation to wait on, or -1 when this thread was last. */
export function arrive(ctl: Int32Array, threads: number): number {
  const gen = Atomics.load(ctl, 1);
  if (Atomics.add(ctl, 0, 1) === threads - 1) {
    Atomics.store(ctl, 0, 0);
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
    return -1;
  }
  return gen;
}

/** Blocks until the generation moves past `gen` (worker threads). */
export function waitSync(ctl: Int32Array, gen: number): void {
  if (gen < 0) return;
  while (Atomics.load(ctl, 1) === gen) Atomics.wait(ctl, 1, gen);
}

interface WaitAsyncResult {
  async: boolean;
  value: Promise<string> | string;
}

/** Resolves when the generation moves past `gen`, without blocking the event loop. */
export async function waitAsync(ctl: Int32Array, gen: number): Promise<void> {
  if (gen < 0) return;
  const wait = (
    Atomics as unknown as { waitAsync: (a: Int32Array, i: number, v: number) => WaitAsyncResult }
  ).waitAsync;
  while (Atomics.load(ctl, 1) === gen) {
    const r = wait(ctl, 1, gen);
    if (r.async) await r.value;
  }
}
