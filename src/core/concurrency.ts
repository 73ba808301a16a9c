/**
 * `fn` applied to every item with at most `concurrency` calls in flight, the results in the
 * items' order whatever order the calls end in. After a call throws, no further call starts;
 * the first error is thrown once the calls in flight have ended, so none is left running.
 *
 * @param items - the inputs
 * @param concurrency - calls in flight at once, a whole number ≥ 1
 * @param fn - the work for one item (and its index)
 * @throws RangeError when `concurrency` is not a whole number ≥ 1; else the first error of `fn`
 */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`);
  }
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  let error: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
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
  return results;
}
