import type { Image2D } from '../core/image2d.js';
import { floodFill } from './find-sources.js';
import {
  assertImage,
  assertInteger,
  assertNumber,
  assertOneOf,
  medianInPlace,
  rowMajor,
} from './internal.js';
import { robustStd } from './robust-std.js';

/** Options of {@link sigmaClippedStats}, named as in astropy's `sigma_clipped_stats`. */
export interface SigmaClipOptions {
  /** Values farther than `sigma` standard deviations from the median are clipped. Default 3. */
  sigma?: number;
  /** At most this many clipping passes (fewer when a pass clips nothing). Default 5. */
  maxIters?: number;
}

/** Defaults of {@link SigmaClipOptions}: astropy's (`sigma=3, maxiters=5`). */
export const DEFAULT_SIGMA_CLIP_OPTIONS: Required<SigmaClipOptions> = { sigma: 3, maxIters: 5 };

/** What {@link sigmaClippedStats} returns: statistics of the values that survived clipping. */
export interface SigmaClippedStats {
  /** Mean of the kept values. */
  mean: number;
  /** Median of the kept values (mean of the two middle ones for an even count). */
  median: number;
  /** Standard deviation of the kept values about their mean (`ddof = 0`). */
  std: number;
  /** Number of values kept. */
  count: number;
}

/**
 * Iterated sigma clipping, as astropy's `sigma_clipped_stats(values, sigma, maxiters)` with its
 * defaults `cenfunc='median'`, `stdfunc='std'`: each pass computes the median and the standard
 * deviation of the values still kept and keeps those within `[median − σ·std, median + σ·std]`
 * (both ends included); it stops after `maxIters` passes or at a pass that clips nothing, and
 * returns the mean, median and standard deviation of what is left. Computed in float64.
 *
 * NaN: NaN and ±Infinity are left out first; with no finite value every statistic is NaN.
 *
 * @param values - the values (an image's pixels, or any list of numbers)
 * @param opts - see {@link SigmaClipOptions}
 * @throws RangeError on invalid options
 */
export function sigmaClippedStats(
  values: ArrayLike<number>,
  opts: SigmaClipOptions = {},
): SigmaClippedStats {
  const fn = 'sigmaClippedStats';
  const { sigma, maxIters } = { ...DEFAULT_SIGMA_CLIP_OPTIONS, ...opts };
  assertNumber(sigma, fn, 'sigma', 0);
  assertInteger(maxIters, fn, 'maxIters', 0);
  const sorted = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) sorted[n++] = v;
  }
  return clipSorted(sorted.subarray(0, n).sort(), sigma, maxIters);
}

/** {@link sigmaClippedStats} of finite values already sorted in increasing order. */
function clipSorted(a: Float64Array, sigma: number, maxIters: number): SigmaClippedStats {
  const n = a.length;
  // Clipping by a value interval keeps a contiguous run [lo, hi) of the sorted values.
  let lo = 0;
  let hi = n;
  for (let iter = 0; iter < maxIters && hi > lo; iter++) {
    const { median, std } = rangeStats(a, lo, hi);
    const newLo = lowerBound(a, lo, hi, median - sigma * std);
    const newHi = upperBound(a, lo, hi, median + sigma * std);
    const clipped = newLo - lo + (hi - newHi);
    lo = newLo;
    hi = newHi;
    if (clipped === 0) break;
  }
  if (hi <= lo) return { mean: NaN, median: NaN, std: NaN, count: 0 };
  return { ...rangeStats(a, lo, hi), count: hi - lo };
}

function rangeStats(
  a: Float64Array,
  lo: number,
  hi: number,
): { mean: number; median: number; std: number } {
  const n = hi - lo;
  let sum = 0;
  for (let i = lo; i < hi; i++) sum += a[i];
  const mean = sum / n;
  let ss = 0;
  for (let i = lo; i < hi; i++) ss += (a[i] - mean) ** 2;
  const mid = lo + (n >> 1);
  const median = n & 1 ? a[mid] : (a[mid - 1] + a[mid]) / 2;
  return { mean, median, std: Math.sqrt(ss / n) };
}

/** First index in sorted `a[lo, hi)` whose value is `>= x`. */
function lowerBound(a: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/** First index in sorted `a[lo, hi)` whose value is `> x`. */
function upperBound(a: Float64Array, lo: number, hi: number, x: number): number {
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (a[m] <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

/**
 * How {@link measureSource} estimates the noise from the pixels away from the source:
 * `'sigma-clip'` — the standard deviation after {@link sigmaClippedStats} (astropy's
 * `sigma_clipped_stats(..., sigma=3, maxiters=5)[2]`); `'mad'` — `1.4826 × MAD`
 * ({@link robustStd}; astropy's `mad_std` uses 1.482602…, 1.5 ppm apart).
 */
export type RmsMethod = 'sigma-clip' | 'mad';

/** Options of {@link measureSource}. Distances are in pixels, measured between pixel centres. */
export interface MeasureSourceOptions {
  /**
   * Area of the restoring beam in pixels, `π·bmaj·bmin / (4 ln 2) / pixelArea`. Without it the
   * fluxes in Jy (`integratedJy`, `integratedErrJy`) are undefined and only the Jy/beam
   * figures are given, and `'beam'` sizes fall back as documented below.
   */
  beamAreaPixels?: number;
  /** The object is the connected region of pixels above `detection × rms`. Default 3. */
  detection?: number;
  /** 8 (edge and corner neighbours, as {@link findSources}) or 4 (edge only). Default 8. */
  connectivity?: 4 | 8;
  /** Object pixels lie within this distance of the given peak. Default `Infinity`. */
  maxRadius?: number;
  /**
   * Pixels within this distance of the object are left out of the rms. `'beam'` (default):
   * twice the beam's equivalent FWHM `√(4 ln 2 · beamAreaPixels / π)`, or 5 pixels without a
   * beam area.
   */
  maskMargin?: number | 'beam';
  /**
   * The flux is summed over the object grown by this distance (finite pixels within
   * `maxRadius` only), so that the wings below the detection level count. `'beam'` (default):
   * one equivalent FWHM, or 0 without a beam area. 0 sums the detected pixels alone, which
   * misses about `detection × rms × (source area / beam area)` Jy of a Gaussian source.
   */
  grow?: number | 'beam';
  /** Noise estimator, see {@link RmsMethod}. Default `'sigma-clip'`. */
  rmsMethod?: RmsMethod;
  /** Clipping of the `'sigma-clip'` estimator, see {@link SigmaClipOptions}. Default astropy's. */
  clip?: SigmaClipOptions;
  /**
   * Take the rms only from pixels at distance `inner ≤ r ≤ outer` of the given peak, e.g. for
   * a primary-beam-corrected image whose noise grows outwards. Default: the whole image.
   */
  annulus?: [inner: number, outer: number];
  /** At most this many rounds of re-estimating the rms with the object masked. Default 10. */
  maxIterations?: number;
}

/** Defaults of {@link MeasureSourceOptions} (`beamAreaPixels` and `annulus` have none). */
export const DEFAULT_MEASURE_SOURCE_OPTIONS: Required<
  Omit<MeasureSourceOptions, 'beamAreaPixels' | 'annulus'>
> = {
  detection: 3,
  connectivity: 8,
  maxRadius: Infinity,
  maskMargin: 'beam',
  grow: 'beam',
  rmsMethod: 'sigma-clip',
  clip: DEFAULT_SIGMA_CLIP_OPTIONS,
  maxIterations: 10,
};

/** What {@link measureSource} measures. Values are in the image's units (Jy/beam for ALMA continuum). */
export interface SourceMeasurement {
  /** `[row, col]` of the object's brightest pixel (the given pixel when nothing is detected). */
  peak: [row: number, col: number];
  /** Value of that pixel, Jy/beam. */
  peakJyBeam: number;
  /** Noise away from the source, Jy/beam, by `rmsMethod`. */
  rmsJyBeam: number;
  /**
   * Median of the pixels the rms came from (after clipping for `'sigma-clip'`), Jy/beam. Given
   * for information, never subtracted: an interferometric image has zero mean by construction.
   */
  backgroundJyBeam: number;
  /** Number of pixels the rms came from (before clipping). */
  rmsPixels: number;
  /** `peakJyBeam / rmsJyBeam`. */
  snr: number;
  /** Whether the given pixel lies above `detection × rms`. */
  detected: boolean;
  /** Number of pixels above the detection level connected to the peak. */
  detectedPixels: number;
  /** Number of pixels the flux was summed over: the detected ones grown by `grow`. */
  pixels: number;
  /** Sum over those pixels, Jy/beam · pixel. */
  sumJyBeam: number;
  /**
   * Integrated flux density `sumJyBeam / beamAreaPixels`, Jy; undefined without a beam area
   * or when nothing is detected.
   */
  integratedJy: number | undefined;
  /**
   * Its 1σ noise error `rms · √(pixels / beamAreaPixels)`, Jy (see {@link measureSource});
   * undefined when `integratedJy` is.
   */
  integratedErrJy: number | undefined;
  /** Value-weighted mean `[row, col]` of the detected pixels (the given pixel when none). */
  centroid: [row: number, col: number];
  /** Inclusive bounds of the detected pixels (the given pixel when none). */
  bbox: {
    /** First row. */
    rowMin: number;
    /** Last row. */
    rowMax: number;
    /** First column. */
    colMin: number;
    /** Last column. */
    colMax: number;
  };
  /** Rounds of re-estimating the rms with the object masked (at least 1). */
  iterations: number;
  /** Whether the object stopped changing between two rounds within `maxIterations`. */
  converged: boolean;
}

/**
 * Measure the source at `peak` in a continuum image: its peak, the image noise away from it,
 * S/N, and its integrated flux density with a noise error.
 *
 * The object and the noise depend on each other, so they are found in rounds: round 0 takes
 * the rms over every finite pixel (in `annulus` when given); each round the object is the
 * `connectivity`-connected region of finite pixels above `detection × rms` that contains
 * `peak` (within `maxRadius`), and the next rms leaves out every pixel within `maskMargin` of
 * it (within `maskMargin` of `peak` when nothing is detected). The rounds stop when a round finds
 * the same object as the one before or after `maxIterations`; the rms reported is the one
 * that defined the object reported.
 *
 * Flux: `S = Σ I / A` over the object's pixels grown by `grow`, with `I` in Jy/beam and `A`
 * the beam area in pixels (an image in Jy/beam integrates to Jy when divided by `A`). Error:
 * `σ_S = rms · √(N / A)` for `N` summed pixels, which assumes the noise is correlated over one
 * beam (N pixels hold N/A independent beams) and the region is much larger than a beam; for a
 * region of about one beam or less the true error is nearer `rms · N / A`. It leaves out the
 * flux-scale uncertainty (5–10 % for ALMA) and the flux missed beyond the grown region.
 *
 * NaN: NaN pixels are never part of the object, never counted in the rms, and split regions.
 *
 * @param img - the image, `[rows, cols]`, Jy/beam
 * @param peak - 0-based `[row, col]` (numpy order) of a pixel of the source, usually its peak
 * @param opts - see {@link MeasureSourceOptions}
 * @throws RangeError when `peak` lies outside the image or on a NaN or infinite pixel, when
 *   no finite pixel is left to estimate the rms from, or on invalid options
 */
export function measureSource(
  img: Image2D,
  peak: readonly [row: number, col: number],
  opts: MeasureSourceOptions = {},
): SourceMeasurement {
  const fn = 'measureSource';
  assertImage(img, fn);
  const o = { ...DEFAULT_MEASURE_SOURCE_OPTIONS, ...opts };
  const [R, C] = img.shape as [number, number];
  if (
    !Array.isArray(peak) ||
    peak.length !== 2 ||
    !Number.isInteger(peak[0]) ||
    !Number.isInteger(peak[1]) ||
    peak[0] < 0 ||
    peak[0] >= R ||
    peak[1] < 0 ||
    peak[1] >= C
  ) {
    throw new RangeError(
      `${fn}: peak ${JSON.stringify(peak)} is not a [row, col] pixel of the ${R}x${C} image`,
    );
  }
  const { data, offset } = rowMajor(img);
  const [pr, pc] = peak;
  const seed = pr * C + pc;
  const seedValue = data[offset + seed];
  if (!Number.isFinite(seedValue)) {
    throw new RangeError(`${fn}: the peak [${pr}, ${pc}] holds ${seedValue}, not data`);
  }
  if (o.beamAreaPixels !== undefined) assertNumber(o.beamAreaPixels, fn, 'beamAreaPixels', 0);
  if (o.beamAreaPixels === 0) {
    throw new RangeError(`${fn}: option 'beamAreaPixels' must be positive, got 0`);
  }
  assertNumber(o.detection, fn, 'detection');
  assertOneOf(o.connectivity, [4, 8] as const, fn, 'connectivity');
  if (o.maxRadius !== Infinity) assertNumber(o.maxRadius, fn, 'maxRadius', 0);
  assertOneOf(o.rmsMethod, ['sigma-clip', 'mad'] as const, fn, 'rmsMethod');
  assertInteger(o.maxIterations, fn, 'maxIterations', 1);
  const fwhm =
    o.beamAreaPixels === undefined
      ? undefined
      : Math.sqrt((4 * Math.LN2 * o.beamAreaPixels) / Math.PI);
  const margin = o.maskMargin === 'beam' ? (fwhm === undefined ? 5 : 2 * fwhm) : o.maskMargin;
  const grow = o.grow === 'beam' ? (fwhm ?? 0) : o.grow;
  assertNumber(margin, fn, 'maskMargin', 0);
  assertNumber(grow, fn, 'grow', 0);
  const clip = { ...DEFAULT_SIGMA_CLIP_OPTIONS, ...o.clip };
  assertNumber(clip.sigma, 'sigmaClippedStats', 'sigma', 0);
  assertInteger(clip.maxIters, 'sigmaClippedStats', 'maxIters', 0);

  const n = R * C;
  const inReach = new Uint8Array(n); // finite and within maxRadius of the peak
  const rmsCandidate = new Uint8Array(n); // finite and inside the annulus
  const [inner, outer] = o.annulus ?? [0, Infinity];
  if (o.annulus !== undefined) {
    assertNumber(inner, fn, 'annulus[0]', 0);
    if (outer !== Infinity) assertNumber(outer, fn, 'annulus[1]', inner);
  }
  const maxR2 = o.maxRadius * o.maxRadius;
  for (let r = 0, p = 0; r < R; r++) {
    for (let c = 0; c < C; c++, p++) {
      if (!Number.isFinite(data[offset + p])) continue;
      const d2 = (r - pr) ** 2 + (c - pc) ** 2;
      if (d2 <= maxR2) inReach[p] = 1;
      if (o.annulus === undefined || (d2 >= inner * inner && d2 <= outer * outer)) {
        rmsCandidate[p] = 1;
      }
    }
  }

  // The rms pixels' values sorted once; each round removes the masked ones from that list
  // (a merge with their own sorted values), which gives the same sorted values as sorting
  // what is left, without sorting the whole window again.
  let candidates = 0;
  for (let p = 0; p < n; p++) candidates += rmsCandidate[p];
  const allSorted = new Float64Array(candidates);
  for (let p = 0, k = 0; p < n; p++) if (rmsCandidate[p] === 1) allSorted[k++] = data[offset + p];
  allSorted.sort();
  const kept = new Float64Array(candidates);
  const estimate = (masked: Uint8Array | undefined): { rms: number; bg: number; count: number } => {
    let k = candidates;
    let v: Float64Array = allSorted;
    if (masked !== undefined) {
      let m = 0;
      for (let p = 0; p < n; p++) if (rmsCandidate[p] === 1 && masked[p] === 1) m++;
      const out = new Float64Array(m);
      for (let p = 0, j = 0; p < n; p++)
        if (rmsCandidate[p] === 1 && masked[p] === 1) out[j++] = data[offset + p];
      out.sort();
      // allSorted minus out, as multisets, in order.
      k = 0;
      for (let i = 0, j = 0; i < candidates; i++) {
        if (j < m && allSorted[i] === out[j]) j++;
        else kept[k++] = allSorted[i];
      }
      v = kept.subarray(0, k);
    }
    if (k === 0) {
      throw new RangeError(
        `${fn}: no finite pixel is left to estimate the rms from (mask margin ${margin} px` +
          `${o.annulus === undefined ? '' : `, annulus [${inner}, ${outer}]`})`,
      );
    }
    if (o.rmsMethod === 'mad') {
      const copy = Float64Array.from(v);
      const rms = robustStd(copy);
      return { rms, bg: medianInPlace(copy), count: k };
    }
    const s = clipSorted(v, clip.sigma, clip.maxIters);
    return { rms: s.std, bg: s.median, count: k };
  };
  const stack = new Int32Array(n);
  const objectAt = (rms: number): Int32Array => {
    const level = o.detection * rms;
    if (!(seedValue > level)) return new Int32Array(0);
    const mask = new Uint8Array(n);
    for (let p = 0; p < n; p++) if (inReach[p] === 1 && data[offset + p] > level) mask[p] = 1;
    return floodFill(mask, R, C, seed, o.connectivity, stack).sort();
  };

  let noise = estimate(undefined);
  let object = objectAt(noise.rms);
  let iterations = 0;
  let converged = false;
  while (!converged && iterations < o.maxIterations) {
    iterations++;
    noise = estimate(dilate(object.length > 0 ? object : Int32Array.of(seed), R, C, margin));
    const next = objectAt(noise.rms);
    converged = sameIndices(next, object);
    object = next;
  }

  const detected = object.length > 0;
  let peakIndex = seed;
  let peakValue = seedValue;
  let sw = 0;
  let sr = 0;
  let sc = 0;
  const bbox = { rowMin: pr, rowMax: pr, colMin: pc, colMax: pc };
  if (detected) {
    bbox.rowMin = bbox.colMin = Infinity;
    bbox.rowMax = bbox.colMax = -Infinity;
    peakValue = -Infinity;
    for (const p of object) {
      const v = data[offset + p];
      if (v > peakValue) {
        peakValue = v;
        peakIndex = p;
      }
      const r = (p / C) | 0;
      const c = p - r * C;
      sw += v;
      sr += v * r;
      sc += v * c;
      if (r < bbox.rowMin) bbox.rowMin = r;
      if (r > bbox.rowMax) bbox.rowMax = r;
      if (c < bbox.colMin) bbox.colMin = c;
      if (c > bbox.colMax) bbox.colMax = c;
    }
  }
  let pixels = 0;
  let sum = 0;
  if (detected) {
    const grown = dilate(object, R, C, grow);
    for (let p = 0; p < n; p++) {
      if (grown[p] === 1 && inReach[p] === 1) {
        pixels++;
        sum += data[offset + p];
      }
    }
  }
  const beam = o.beamAreaPixels;
  const jy = detected && beam !== undefined;
  const peakRow = (peakIndex / C) | 0;
  return {
    peak: [peakRow, peakIndex - peakRow * C],
    peakJyBeam: peakValue,
    rmsJyBeam: noise.rms,
    backgroundJyBeam: noise.bg,
    rmsPixels: noise.count,
    snr: peakValue / noise.rms,
    detected,
    detectedPixels: object.length,
    pixels,
    sumJyBeam: sum,
    integratedJy: jy ? sum / beam : undefined,
    integratedErrJy: jy ? noise.rms * Math.sqrt(pixels / beam) : undefined,
    centroid: detected && sw > 0 ? [sr / sw, sc / sw] : [pr, pc],
    bbox,
    iterations,
    converged,
  };
}

/**
 * A mask (1) of every pixel within Euclidean distance `radius` of one of `members` (sorted
 * row-major indices), as `scipy.ndimage.distance_transform_edt(~region) <= radius`. Only the
 * members with a neighbour outside the region can be nearest to an outside pixel, so only they
 * stamp the disk.
 */
function dilate(members: Int32Array, R: number, C: number, radius: number): Uint8Array {
  const out = new Uint8Array(R * C);
  for (const p of members) out[p] = 1;
  const reach = Math.floor(radius);
  if (reach < 1 || members.length === 0) return out;
  const region = out.slice();
  const offsets: [number, number][] = [];
  const r2 = radius * radius;
  for (let dr = -reach; dr <= reach; dr++) {
    for (let dc = -reach; dc <= reach; dc++) if (dr * dr + dc * dc <= r2) offsets.push([dr, dc]);
  }
  for (const p of members) {
    const r = (p / C) | 0;
    const c = p - r * C;
    let edge = false;
    for (let dr = -1; dr <= 1 && !edge; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        const rr = r + dr;
        const cc = c + dc;
        if (rr < 0 || rr >= R || cc < 0 || cc >= C || region[rr * C + cc] === 0) {
          edge = true;
          break;
        }
      }
    }
    if (!edge) continue;
    for (const [dr, dc] of offsets) {
      const rr = r + dr;
      const cc = c + dc;
      if (rr >= 0 && rr < R && cc >= 0 && cc < C) out[rr * C + cc] = 1;
    }
  }
  return out;
}

function sameIndices(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
