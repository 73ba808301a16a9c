/** Options of {@link mapConcurrent}. */
export interface MapConcurrentOptions {
  /**
   * Stops the work: once it aborts, no further call starts, and when the calls in flight have
   * ended the promise rejects with `signal.reason` (an `AbortError` unless `abort(reason)` gave
   * another) — unless every item had already started, when it resolves as usual.
   */
  signal?: AbortSignal;
}

/**
 * `fn` applied to every item with at most `concurrency` calls in flight, the results in the
 * items' order whatever order the calls end in. After a call throws, no further call starts;
 * the first error is thrown once the calls in flight have ended, so none is left running. An
 * aborted `signal` stops it the same way (see {@link MapConcurrentOptions.signal}).
 *
 * @param items - the inputs
 * @param concurrency - calls in flight at once, a whole number ≥ 1
 * @param fn - the work for one item (and its index)
 * @param opts - see {@link MapConcurrentOptions}
 * @throws RangeError when `concurrency` is not a whole number ≥ 1; else the first error of `fn`,
 *   or `signal.reason` when the signal left items unstarted
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
  opts: MapConcurrentOptions = {},
): Promise<R[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  }
  const { signal } = opts;
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let error: unknown;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      if (signal?.aborted) {
        stopped = true;
        return;
      }
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (err) {
        if (!failed) error = err;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed) throw error;
  if (stopped) throw (signal as AbortSignal).reason;
  return results;
}
