import type { Image2D } from '../core/image2d.js';
import {
  assertImage,
  assertNumber,
  assertOneOf,
  imageLike,
  mirrorIndex,
  rowMajor,
} from './internal.js';

/**
 * How {@link gaussianBlur} extends the image past its edge, named as in scipy.ndimage:
 * `'reflect'` (d c b a | a b c d | d c b a, scipy's default), `'mirror'`
 * (d c b | a b c d | c b a, what skimage calls `'reflect'`), `'nearest'` (a a a | a b c d | d d d).
 */
export type BlurMode = 'reflect' | 'mirror' | 'nearest';

/** Options of {@link gaussianBlur}. */
export interface GaussianBlurOptions {
  /** Boundary extension. Default `'reflect'` (scipy.ndimage.gaussian_filter's default). */
  mode?: BlurMode;
  /** The kernel reaches `trunc(truncate * sigma + 0.5)` pixels each side. Default 4 (scipy's). */
  truncate?: number;
}

/** Defaults of {@link GaussianBlurOptions}. */
export const DEFAULT_GAUSSIAN_BLUR_OPTIONS: Required<GaussianBlurOptions> = {
  mode: 'reflect',
  truncate: 4,
};

/**
 * Smooth with a Gaussian, separably (rows then columns), matching
 * `scipy.ndimage.gaussian_filter(img, sigma, mode, truncate)`: per axis a sampled kernel
 * `exp(-x² / 2σ²)` normalised to sum 1, radius `trunc(truncate * σ + 0.5)`; an axis with
 * σ ≤ 1e-15 is left alone.
 *
 * NaN: a NaN pixel turns every output pixel within the kernel's reach (a cross-shaped then
 * square footprint) into NaN.
 *
 * @param img - the image, `[rows, cols]`
 * @param sigma - standard deviation in pixels, one for both axes or `[rows, cols]`
 * @param opts - see {@link GaussianBlurOptions}
 * @returns a new image of the same element type
 * @throws RangeError when a sigma is negative or not finite, or on invalid options
 */
export function gaussianBlur(
  img: Image2D,
  sigma: number | [rows: number, cols: number],
  opts: GaussianBlurOptions = {},
): Image2D {
  const fn = 'gaussianBlur';
  assertImage(img, fn);
  const sigmas: [number, number] = Array.isArray(sigma) ? [sigma[0], sigma[1]] : [sigma, sigma];
  assertNumber(sigmas[0], fn, 'sigma', 0);
  assertNumber(sigmas[1], fn, 'sigma', 0);
  const { mode, truncate } = { ...DEFAULT_GAUSSIAN_BLUR_OPTIONS, ...opts };
  assertOneOf(mode, ['reflect', 'mirror', 'nearest'] as const, fn, 'mode');
  assertNumber(truncate, fn, 'truncate', 0);
  const [R, C] = img.shape as [number, number];
  const { data, offset } = rowMajor(img);
  const buf = new Float64Array(R * C);
  for (let i = 0; i < buf.length; i++) buf[i] = data[offset + i];
  const blurred = gaussianFilter64(buf, R, C, sigmas, mode, truncate);
  const out = imageLike(img, R, C);
  out.data.set(blurred);
  return out;
}

/** Map index `i` into `[0, n)` per `mode`. */
function extendIndex(i: number, n: number, mode: BlurMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'nearest') return i < 0 ? 0 : n - 1;
  if (mode === 'mirror') return mirrorIndex(i, n);
  const period = 2 * n;
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - 1 - k;
  return k;
}

function kernel(sigma: number, truncate: number): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const w = new Float64Array(2 * radius + 1);
  const f = -0.5 / (sigma * sigma);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) sum += w[x + radius] = Math.exp(f * x * x);
  for (let k = 0; k < w.length; k++) w[k] /= sum;
  return w;
}

/**
 * The blur on a row-major float64 buffer (which it may overwrite); returns the result buffer.
 * Shared with {@link resize}'s anti-aliasing.
 *
 * @internal
 */
export function gaussianFilter64(
  src: Float64Array,
  R: number,
  C: number,
  sigma: [number, number],
  mode: BlurMode,
  truncate: number,
): Float64Array {
  let cur = src;
  if (sigma[0] > 1e-15) {
    // Along the rows axis: every column at once, one output row at a time.
    const w = kernel(sigma[0], truncate);
    const radius = (w.length - 1) / 2;
    const out = new Float64Array(R * C);
    for (let r = 0; r < R; r++) {
      const o = r * C;
      for (let k = 0; k < w.length; k++) {
        const wk = w[k];
        const s = extendIndex(r + k - radius, R, mode) * C;
        for (let c = 0; c < C; c++) out[o + c] += wk * cur[s + c];
      }
    }
    cur = out;
  }
  if (sigma[1] > 1e-15) {
    const w = kernel(sigma[1], truncate);
    const radius = (w.length - 1) / 2;
    const n = w.length;
    const line = new Float64Array(C + 2 * radius);
    const at = new Int32Array(line.length);
    for (let i = 0; i < line.length; i++) at[i] = extendIndex(i - radius, C, mode);
    const out = new Float64Array(R * C);
    for (let r = 0; r < R; r++) {
      const o = r * C;
      for (let i = 0; i < line.length; i++) line[i] = cur[o + at[i]];
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let k = 0; k < n; k++) acc += w[k] * line[c + k];
        out[o + c] = acc;
      }
    }
    cur = out;
  }
  return cur;
}
