/**
 * What the training inputs looked like, so a candidate unlike all of them can be flagged: the
 * level of each input at its centre (where the crop puts the object's peak). With the default
 * profile's signal-to-noise normalisation that level grows with the object's peak S/N, so an
 * object fainter than every training source (a faint peak beside a bright disk, say) reads as
 * such. Browser-safe, no TensorFlow.js.
 */

/** Half-width of the central window whose maximum {@link centralLevel} takes. */
const HALF = 2;

/**
 * The brightest value in the central 4x4 pixels of one model input (`h x w`, row-major, one
 * channel): the object's peak, which the crop centres, whichever of the middle pixels it fell on.
 *
 * @param pixels - the input's pixels, or a run of inputs
 * @param offset - index of the input's first pixel in `pixels`
 */
export function centralLevel(
  pixels: ArrayLike<number>,
  offset: number,
  h: number,
  w: number,
): number {
  const r0 = Math.max(0, (h >> 1) - HALF);
  const r1 = Math.min(h, (h >> 1) + HALF);
  const c0 = Math.max(0, (w >> 1) - HALF);
  const c1 = Math.min(w, (w >> 1) + HALF);
  let m = -Infinity;
  for (let r = r0; r < r1; r++) {
    for (let c = c0; c < c1; c++) {
      const v = pixels[offset + r * w + c];
      if (v > m) m = v;
    }
  }
  return m;
}

/**
 * The spread of the training inputs' central levels ({@link centralLevel}), recorded in a
 * model's `meta.json` (`trainingInputs`) by `trainAndCalibrate`.
 */
export interface InputRange {
  /** Training inputs measured. */
  count: number;
  /** Lowest central level. */
  min: number;
  /** 1st percentile: 99 % of the training inputs are at least this bright at the centre. */
  p01: number;
  /** Median. */
  median: number;
  /** 99th percentile. */
  p99: number;
  /** Highest central level. */
  max: number;
}

/** Value at fraction `q` of sorted `a` (linear between neighbours, as NumPy's default). */
function quantile(a: Float64Array, q: number): number {
  const at = q * (a.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(a.length - 1, lo + 1);
  return a[lo] + (a[hi] - a[lo]) * (at - lo);
}

/**
 * The {@link InputRange} of `n` model inputs (`[n, h, w, 1]` row-major), or `undefined` for none.
 *
 * @param images - the inputs' pixels
 */
export function measureInputRange(
  images: ArrayLike<number>,
  n: number,
  h: number,
  w: number,
): InputRange | undefined {
  const levels: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = centralLevel(images, i * h * w, h, w);
    if (Number.isFinite(v)) levels.push(v);
  }
  if (levels.length === 0) return undefined;
  const a = Float64Array.from(levels).sort();
  return {
    count: a.length,
    min: a[0],
    p01: quantile(a, 0.01),
    median: quantile(a, 0.5),
    p99: quantile(a, 0.99),
    max: a[a.length - 1],
  };
}

/**
 * Where an input's central level lies against the training inputs': `'fainter'` below their 1st
 * percentile, `'brighter'` above their 99th, else `undefined` (inside the range the model
 * learnt from).
 */
export function compareToInputRange(
  level: number,
  range: InputRange,
): 'fainter' | 'brighter' | undefined {
  if (level < range.p01) return 'fainter';
  if (level > range.p99) return 'brighter';
  return undefined;
}

/** Whether `value` is an {@link InputRange} (as read from a `meta.json`). */
export function isInputRange(value: unknown): value is InputRange {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const num = (k: string): boolean => typeof v[k] === 'number' && Number.isFinite(v[k]);
  return (
    ['count', 'min', 'p01', 'median', 'p99', 'max'].every(num) &&
    (v.min as number) <= (v.p01 as number) &&
    (v.p01 as number) <= (v.median as number) &&
    (v.median as number) <= (v.p99 as number) &&
    (v.p99 as number) <= (v.max as number)
  );
}
