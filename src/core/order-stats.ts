/**
 * Order statistics of typed arrays by selection (quickselect), without sorting: numpy's
 * `median` and `percentile`. Dependency-free, so code that runs under a strict Content Security
 * Policy (the review page's bundle) can use it.
 */

/** The k-th smallest of `a[0..n)` (0-based) by quickselect; reorders `a`. */
function select(a: Float64Array | Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * numpy's `median` of `a` (mean of the two middle values for even length); reorders `a`. NaN
 * when empty. For finite values: NaN and -0 are not ordered as a sort orders them.
 */
export function medianInPlace(a: Float64Array | Float32Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  const upper = select(a, n >> 1);
  if (n & 1) return upper;
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** numpy's `percentile` (linear interpolation) of `a` at `q` in [0, 100]; reorders `a`. */
export function percentileInPlace(a: Float64Array, q: number): number {
  const n = a.length;
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const i = Math.floor(pos);
  const lower = select(a, i);
  if (i + 1 >= n || pos === i) return lower;
  let upper = Infinity;
  for (let k = i + 1; k < n; k++) if (a[k] < upper) upper = a[k];
  return lower + (upper - lower) * (pos - i);
}
