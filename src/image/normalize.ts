import type { Image2D } from '../core/image2d.js';
import {
  assertImage,
  assertNumber,
  assertOneOf,
  finitePixels,
  imageLike,
  medianInPlace,
  percentileInPlace,
  rowMajor,
} from './internal.js';
import { MAD_TO_STD } from './robust-std.js';

/**
 * How {@link normalize} scales: `'minmax'` to [0, 1] by the finite minimum and maximum,
 * `'zscore'` to mean 0 and standard deviation 1, `'percentile'` to [0, 1] between two
 * percentiles (clipping beyond them), `'asinh'` a noise-scaled asinh stretch (faint emission a
 * few times the noise stays visible beside a bright peak; see {@link NormalizeOptions.softening}),
 * `'snr'` the same stretch on a fixed scale of signal-to-noise rather than the image's peak (a
 * 5σ feature gives the same value beside a 20σ or a 500σ source; see
 * {@link NormalizeOptions.snrReference}), `'none'` leaves values alone (only NaN is replaced).
 */
export type NormalizeMethod = 'minmax' | 'zscore' | 'percentile' | 'asinh' | 'snr' | 'none';

/** Options of {@link normalize}. */
export interface NormalizeOptions {
  /** Scaling, see {@link NormalizeMethod}. Default `'minmax'`. */
  method?: NormalizeMethod;
  /** Value written where the input is NaN or ±Infinity. Default 0. */
  nan?: number;
  /** Lower and upper percentile (0–100) for `method: 'percentile'`. Default `[1, 99]`. */
  percentiles?: [lower: number, upper: number];
  /**
   * For `method: 'asinh'`: the level, in units of the image's noise, where the stretch turns
   * from linear to logarithmic. The image's median is subtracted, values are divided by
   * `softening` × the robust standard deviation (1.4826 × MAD of the finite pixels), passed
   * through `asinh` and divided by the result at the maximum, so the peak maps to 1, the
   * background to 0 (noise scatters a little below), and a pixel at 3σ to about
   * `asinh(3/softening) / asinh(peak SNR / softening)` rather than 3 / peak SNR. Default 3.
   */
  softening?: number;
  /**
   * For `method: 'snr'`: the signal-to-noise (in units of the image's robust standard deviation
   * above its median) that maps to 1; values are `asinh(snr / softening) /
   * asinh(snrReference / softening)`, so brighter pixels exceed 1 only logarithmically.
   * Default 100.
   */
  snrReference?: number;
}

/** Defaults of {@link NormalizeOptions}. */
export const DEFAULT_NORMALIZE_OPTIONS: Required<NormalizeOptions> = {
  method: 'minmax',
  nan: 0,
  percentiles: [1, 99],
  softening: 3,
  snrReference: 100,
};

/**
 * Scale pixel values to a common range, so images whose Jy/beam levels differ by orders of
 * magnitude look alike to the model, and replace every non-finite pixel.
 *
 * NaN: NaN and ±Infinity are left out of the statistics and become `nan` in the output, which
 * therefore never holds NaN (unless `nan` itself is NaN). A constant image (zero range or
 * zero standard deviation) maps to 0; an image with no finite pixel maps to all `nan`.
 *
 * @param img - the image, `[rows, cols]`
 * @param opts - see {@link NormalizeOptions}
 * @returns a new image of the same element type
 * @throws RangeError on an unknown method or invalid percentiles
 */
export function normalize(img: Image2D, opts: NormalizeOptions = {}): Image2D {
  const fn = 'normalize';
  assertImage(img, fn);
  const { method, nan, percentiles, softening, snrReference } = {
    ...DEFAULT_NORMALIZE_OPTIONS,
    ...opts,
  };
  assertOneOf(
    method,
    ['minmax', 'zscore', 'percentile', 'asinh', 'snr', 'none'] as const,
    fn,
    'method',
  );
  if (typeof nan !== 'number') {
    throw new TypeError(`${fn}: option 'nan' must be a number, got ${String(nan)}`);
  }
  let shift = 0;
  let scale = 1;
  let clip = false;
  if (method === 'asinh') return asinhStretch(img, nan, softening, undefined);
  if (method === 'snr') {
    assertNumber(snrReference, fn, 'snrReference', 0);
    if (!(snrReference > 0)) {
      throw new RangeError(`${fn}: option 'snrReference' must be > 0, got ${snrReference}`);
    }
    return asinhStretch(img, nan, softening, snrReference);
  }
  if (method === 'minmax') {
    // One pass over the pixels, without collecting the finite ones first.
    const [min, max] = finiteRange(img);
    shift = min;
    const spread = max - min;
    scale = spread > 0 && Number.isFinite(spread) ? 1 / spread : 0;
  } else if (method !== 'none') {
    const finite = finitePixels(img);
    let lo = 0;
    let spread = 0;
    if (method === 'zscore') {
      let sum = 0;
      for (let i = 0; i < finite.length; i++) sum += finite[i];
      const mean = sum / finite.length;
      let sq = 0;
      for (let i = 0; i < finite.length; i++) sq += (finite[i] - mean) ** 2;
      lo = mean;
      spread = Math.sqrt(sq / finite.length);
    } else {
      if (!Array.isArray(percentiles) || percentiles.length !== 2) {
        throw new RangeError(`${fn}: option 'percentiles' must be [lower, upper]`);
      }
      assertNumber(percentiles[0], fn, 'percentiles', 0, 100);
      assertNumber(percentiles[1], fn, 'percentiles', 0, 100);
      if (!(percentiles[0] < percentiles[1])) {
        throw new RangeError(
          `${fn}: option 'percentiles' must be increasing, got [${percentiles.join(', ')}]`,
        );
      }
      lo = percentileInPlace(finite, percentiles[0]);
      spread = percentileInPlace(finite, percentiles[1]) - lo;
      clip = true;
    }
    shift = lo;
    scale = spread > 0 && Number.isFinite(spread) ? 1 / spread : 0;
  }
  const [R, C] = img.shape as [number, number];
  const out = imageLike(img, R, C);
  const o = out.data;
  const { data, offset } = rowMajor(img);
  for (let i = 0; i < o.length; i++) {
    const v = data[offset + i];
    if (!Number.isFinite(v)) {
      o[i] = nan;
      continue;
    }
    let y = (v - shift) * scale;
    if (clip) y = y < 0 ? 0 : y > 1 ? 1 : y;
    o[i] = y;
  }
  return out;
}

/**
 * {@link normalize}'s `'asinh'` method (`reference` undefined: the peak maps to 1) and `'snr'`
 * method (`reference`: that signal-to-noise maps to 1).
 */
function asinhStretch(
  img: Image2D,
  nan: number,
  softening: number,
  reference: number | undefined,
): Image2D {
  assertNumber(softening, 'normalize', 'softening', 0);
  if (!(softening > 0)) {
    throw new RangeError(`normalize: option 'softening' must be > 0, got ${softening}`);
  }
  const finite = finitePixels(img);
  const [R, C] = img.shape as [number, number];
  const out = imageLike(img, R, C);
  const o = out.data;
  const { data, offset } = rowMajor(img);
  if (finite.length === 0) {
    o.fill(nan);
    return out;
  }
  let max = -Infinity;
  for (let i = 0; i < finite.length; i++) if (finite[i] > max) max = finite[i];
  const med = medianInPlace(finite);
  for (let i = 0; i < finite.length; i++) finite[i] = Math.abs(finite[i] - med);
  const sigma = MAD_TO_STD * medianInPlace(finite);
  // A noiseless image (MAD 0) has no noise scale: fall back to the peak's.
  const unit = (sigma > 0 ? sigma : Math.abs(max - med) || 1) * softening;
  const top =
    reference === undefined || !(sigma > 0)
      ? Math.asinh((max - med) / unit)
      : Math.asinh(reference / softening);
  const k = top > 0 ? 1 / top : 0;
  for (let i = 0; i < o.length; i++) {
    const v = data[offset + i];
    o[i] = Number.isFinite(v) ? Math.asinh((v - med) / unit) * k : nan;
  }
  return out;
}

/** The finite minimum and maximum of `img` (`[Infinity, -Infinity]` when it has no finite pixel). */
function finiteRange(img: Image2D): [min: number, max: number] {
  const [R, C] = img.shape as [number, number];
  const [s0, s1] = img.stride as [number, number];
  const d = img.data;
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < R; r++) {
    for (let c = 0, p = img.offset + r * s0; c < C; c++, p += s1) {
      const v = d[p];
      if (v - v !== 0) continue; // NaN or ±Infinity
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return [min, max];
}
