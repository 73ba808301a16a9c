import { toContiguous, type Image2D } from '../core/index.js';

/**
 * Options of {@link zscaleLimits}: IRAF's zscale parameters under astropy's names
 * (`ZScaleInterval`). Defaults in {@link DEFAULT_ZSCALE_OPTIONS}.
 */
export interface ZScaleOptions {
  /** Maximum number of pixels sampled (evenly strided over the finite pixels). Default 1000. */
  nSamples?: number;
  /** Contrast: the fitted slope is divided by it, so smaller means a wider range. Default 0.25. */
  contrast?: number;
  /** Largest fraction of the samples that may be rejected before the fit is abandoned. Default 0.5. */
  maxReject?: number;
  /** Fewest samples that must remain after rejection for the fit to be used. Default 5. */
  minNPixels?: number;
  /** Rejection threshold in standard deviations of the fit residuals. Default 2.5. */
  krej?: number;
  /** Maximum number of fit-and-reject rounds. Default 5. */
  maxIterations?: number;
}

/** astropy's `ZScaleInterval` defaults, which are IRAF's. */
export const DEFAULT_ZSCALE_OPTIONS: Readonly<Required<ZScaleOptions>> = Object.freeze({
  nSamples: 1000,
  contrast: 0.25,
  maxReject: 0.5,
  minNPixels: 5,
  krej: 2.5,
  maxIterations: 5,
});

/**
 * Display limits by IRAF's zscale algorithm, as astropy's `ZScaleInterval.get_limits`: sample
 * up to `nSamples` finite pixels with an even stride (row-major order), sort them, fit a line
 * to sample value against rank with iterative k-sigma rejection (rejected ranks grown by 1 % of
 * the sample count), and return `median ∓ slope / contrast` spans clipped to the sample
 * extremes. When too many samples are rejected, the sample minimum and maximum are returned.
 *
 * NaN and ±Infinity are ignored. An image without finite pixels gives `[NaN, NaN]`.
 *
 * @param values - an {@link Image2D} or a flat array of pixel values (not modified)
 * @param opts - zscale parameters; defaults in {@link DEFAULT_ZSCALE_OPTIONS}
 * @returns `[vmin, vmax]`
 */
export function zscaleLimits(
  values: Image2D | ArrayLike<number>,
  opts: ZScaleOptions = {},
): [vmin: number, vmax: number] {
  const o = { ...DEFAULT_ZSCALE_OPTIONS, ...opts };
  const samples = strideSample(values, o.nSamples);
  if (samples.length === 0) return [NaN, NaN];
  samples.sort();

  const npix = samples.length;
  let vmin = samples[0];
  let vmax = samples[npix - 1];
  const minpix = Math.max(o.minNPixels, Math.trunc(npix * o.maxReject));
  let ngood = npix;
  let lastNgood = npix + 1;
  let bad: Uint8Array = new Uint8Array(npix);
  const ngrow = Math.max(1, Math.trunc(npix * 0.01));
  let slope = 0;

  for (let iter = 0; iter < o.maxIterations; iter++) {
    if (ngood >= lastNgood || ngood < minpix) break;
    const fit = fitLine(samples, bad);
    slope = fit.slope;
    let sum = 0;
    let sum2 = 0;
    let n = 0;
    const flat = new Float64Array(npix);
    for (let i = 0; i < npix; i++) {
      flat[i] = samples[i] - (fit.slope * i + fit.intercept);
      if (!bad[i]) {
        sum += flat[i];
        n++;
      }
    }
    const mean = sum / n;
    for (let i = 0; i < npix; i++) if (!bad[i]) sum2 += (flat[i] - mean) ** 2;
    const threshold = o.krej * Math.sqrt(sum2 / n);
    for (let i = 0; i < npix; i++) if (flat[i] < -threshold || flat[i] > threshold) bad[i] = 1;
    bad = grow(bad, ngrow);
    lastNgood = ngood;
    ngood = 0;
    for (let i = 0; i < npix; i++) if (!bad[i]) ngood++;
  }

  if (ngood >= minpix) {
    if (o.contrast > 0) slope /= o.contrast;
    const center = Math.trunc((npix - 1) / 2);
    const median =
      npix % 2 === 1 ? samples[center] : (samples[npix / 2 - 1] + samples[npix / 2]) / 2;
    vmin = Math.max(vmin, median - (center - 1) * slope);
    vmax = Math.min(vmax, median + (npix - center) * slope);
  }
  return [vmin, vmax];
}

/**
 * Every `stride`-th finite value (row-major), at most `max` of them, without copying the image:
 * the same selection as numpy's `values[isfinite(values)][::stride][:max]`.
 */
function strideSample(input: Image2D | ArrayLike<number>, max: number): Float64Array {
  const flat = flatView(input);
  let finite = 0;
  for (let i = 0; i < flat.length; i++) if (Number.isFinite(flat[i])) finite++;
  const stride = Math.max(1, Math.trunc(finite / max));
  const out = new Float64Array(Math.min(max, Math.ceil(finite / stride)));
  for (let i = 0, n = 0, k = 0; i < flat.length && k < out.length; i++) {
    const v = flat[i];
    if (!Number.isFinite(v)) continue;
    if (n % stride === 0) out[k++] = v;
    n++;
  }
  return out;
}

/** The pixels in row-major order: a view when the image is contiguous, else a copy. */
function flatView(input: Image2D | ArrayLike<number>): ArrayLike<number> {
  if (!('shape' in input && 'stride' in input)) return input;
  const [rows, cols] = input.shape;
  if (input.stride[1] === 1 && (input.stride[0] === cols || rows <= 1)) {
    return input.data.subarray(input.offset, input.offset + rows * cols);
  }
  return toContiguous(input);
}

/** Least-squares line through (rank, value) over the samples not flagged bad. */
function fitLine(y: Float64Array, bad: Uint8Array): { slope: number; intercept: number } {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < y.length; i++) {
    if (bad[i]) continue;
    n++;
    sx += i;
    sy += y[i];
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < y.length; i++) {
    if (bad[i]) continue;
    sxx += (i - mx) ** 2;
    sxy += (i - mx) * (y[i] - my);
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

/**
 * Dilate the bad mask like `np.convolve(bad, ones(ngrow), mode='same')`: output i is bad when
 * any input in `[i - ngrow/2 (rounded up), i + (ngrow - 1)/2 (rounded down)]` is bad.
 */
function grow(bad: Uint8Array, ngrow: number): Uint8Array {
  const out = new Uint8Array(bad.length);
  const ahead = Math.trunc((ngrow - 1) / 2);
  const behind = ngrow - 1 - ahead;
  for (let i = 0; i < bad.length; i++) {
    if (!bad[i]) continue;
    const lo = Math.max(0, i - ahead);
    const hi = Math.min(bad.length - 1, i + behind);
    for (let j = lo; j <= hi; j++) out[j] = 1;
  }
  return out;
}
