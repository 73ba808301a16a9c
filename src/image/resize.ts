import type { Image2D } from '../core/image2d.js';
import { gaussianFilter64 } from './gaussian-blur.js';
import {
  assertImage,
  assertNumber,
  assertOneOf,
  assertShape,
  imageLike,
  mirrorIndex,
  rowMajor,
} from './internal.js';
import type { InterpolationOrder } from './rotate.js';
import { cubicWeights, splineFilter3 } from './spline.js';

/** Options of {@link resize}. */
export interface ResizeOptions {
  /** 0 nearest, 1 bilinear, 3 cubic B-spline. Default 1 (skimage's default for float images). */
  order?: InterpolationOrder;
  /**
   * Gaussian-smooth before shrinking so fine structure does not alias. Default: on when either
   * axis shrinks (skimage's `anti_aliasing=None`).
   */
  antiAlias?: boolean;
  /**
   * The anti-aliasing Gaussian's sigma in input pixels, one for both axes or `[rows, cols]`.
   * Default `max(0, (inputSize / outputSize - 1) / 2)` per axis (skimage's).
   */
  antiAliasSigma?: number | [rows: number, cols: number];
}

/** Defaults of {@link ResizeOptions}; `antiAlias` and `antiAliasSigma` depend on the shapes. */
export const RESIZE_DEFAULTS: { order: InterpolationOrder } = { order: 1 };

/** Per output index along one axis: `n` input taps and their weights (unused taps weigh 0). */
interface AxisPlan {
  taps: Int32Array;
  weights: Float64Array;
  n: number;
}

/**
 * The interpolation taps along one axis, as scipy.ndimage.zoom with `grid_mode=True,
 * mode='mirror'` computes them: output `k` samples input coordinate `(k + 0.5) * in / out - 0.5`,
 * mirrored into range.
 */
function samplingPlan(inLen: number, outLen: number, order: InterpolationOrder): AxisPlan {
  const n = order + 1;
  const taps = new Int32Array(outLen * n);
  const weights = new Float64Array(outLen * n);
  const zoom = inLen / outLen;
  const period = 2 * inLen - 2;
  for (let k = 0; k < outLen; k++) {
    let x = (k + 0.5) * zoom - 0.5;
    if (inLen <= 1) x = 0;
    else if (x < 0) {
      x = period * Math.trunc(-x / period) + x;
      x = x <= 1 - inLen ? x + period : -x;
    } else if (x > inLen - 1) {
      x -= period * Math.trunc(x / period);
      if (x >= inLen) x = period - x;
    }
    const fl = Math.floor(x);
    const start = order === 0 ? Math.floor(x + 0.5) : fl - (order >> 1);
    for (let t = 0; t < n; t++) taps[k * n + t] = mirrorIndex(start + t, inLen);
    if (order === 0) weights[k] = 1;
    else if (order === 1) {
      const w0 = 1 - (x - fl);
      weights[2 * k] = w0;
      weights[2 * k + 1] = 1 - w0;
    } else cubicWeights(x - fl, weights, 4 * k);
  }
  return { taps, weights, n };
}

/**
 * Fold a Gaussian blur (mode 'mirror') into an axis plan: blur then sample is one linear map,
 * so each output reads a few more input taps instead of the image being blurred first.
 */
function foldBlur(plan: AxisPlan, inLen: number, sigma: number): AxisPlan {
  const radius = Math.trunc(4 * sigma + 0.5);
  const kernel = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) {
    sum += kernel[x + radius] = Math.exp((-0.5 / (sigma * sigma)) * x * x);
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  const outLen = plan.taps.length / plan.n;
  const dense = new Float64Array(inLen);
  const touched: number[][] = [];
  let width = 0;
  for (let k = 0; k < outLen; k++) {
    const seen: number[] = [];
    for (let t = 0; t < plan.n; t++) {
      const w = plan.weights[k * plan.n + t];
      const j = plan.taps[k * plan.n + t];
      for (let d = -radius; d <= radius; d++) {
        const i = mirrorIndex(j + d, inLen);
        if (dense[i] === 0 && !seen.includes(i)) seen.push(i);
        dense[i] += w * kernel[d + radius];
      }
    }
    const row: number[] = [];
    for (const i of seen) {
      row.push(i, dense[i]);
      dense[i] = 0;
    }
    touched.push(row);
    width = Math.max(width, seen.length);
  }
  // The resampling loops are unrolled for 1, 2 and 4 taps.
  if (width === 3) width = 4;
  const taps = new Int32Array(outLen * width);
  const weights = new Float64Array(outLen * width);
  for (let k = 0; k < outLen; k++) {
    const row = touched[k];
    for (let t = 0; t * 2 < row.length; t++) {
      taps[k * width + t] = row[2 * t];
      weights[k * width + t] = row[2 * t + 1];
    }
    // Unused slots repeat a real tap with weight 0 so loops need no bounds checks.
    for (let t = row.length / 2; t < width; t++) taps[k * width + t] = row[0];
  }
  return { taps, weights, n: width };
}

/**
 * Resample the image to `[rows, cols]`, matching `skimage.transform.resize(img, shape)` of
 * scikit-image 0.19 with its defaults: pixel centres aligned (`grid_mode`), the edge mirrored
 * (skimage `mode='reflect'`), a Gaussian anti-aliasing filter when shrinking (scipy
 * `gaussian_filter`, mode `'mirror'`, truncate 4), spline interpolation of the given order
 * (order 3 with scipy's prefilter), and the result clipped to the input's value range.
 *
 * NaN: a NaN pixel turns every output pixel whose interpolation (or anti-aliasing) footprint
 * touches it into NaN; with order 3 it spreads over the whole output. The clip range ignores NaN.
 *
 * @param img - the image, `[rows, cols]`
 * @param shape - output `[rows, cols]`, positive integers
 * @param opts - see {@link ResizeOptions}
 * @returns a new image of the same element type
 * @throws RangeError when `shape` is not two positive integers or options are invalid
 */
export function resize(
  img: Image2D,
  shape: [rows: number, cols: number],
  opts: ResizeOptions = {},
): Image2D {
  const fn = 'resize';
  assertImage(img, fn);
  assertShape(shape, fn, 'shape');
  const { order } = { ...RESIZE_DEFAULTS, ...opts };
  assertOneOf(order, [0, 1, 3] as const, fn, 'order');
  const [R, C] = img.shape as [number, number];
  const [oR, oC] = shape;
  const antiAlias = opts.antiAlias ?? (oR < R || oC < C);
  if (typeof antiAlias !== 'boolean') {
    throw new TypeError(`${fn}: option 'antiAlias' must be a boolean, got ${String(antiAlias)}`);
  }
  let sigma: [number, number] = [0, 0];
  if (antiAlias) {
    const given = opts.antiAliasSigma;
    sigma =
      given === undefined
        ? [Math.max(0, (R / oR - 1) / 2), Math.max(0, (C / oC - 1) / 2)]
        : Array.isArray(given)
          ? [given[0], given[1]]
          : [given, given];
    assertNumber(sigma[0], fn, 'antiAliasSigma', 0);
    assertNumber(sigma[1], fn, 'antiAliasSigma', 0);
  }
  const { data, offset } = rowMajor(img);
  // skimage clips to the input's range (NaN left out). Orders 0 and 1 (and the blur) form
  // convex combinations that cannot leave it, so only order 3 pays for the scan.
  let lo = -Infinity;
  let hi = Infinity;
  if (order === 3) {
    lo = Infinity;
    hi = -Infinity;
    for (let i = offset, end = offset + R * C; i < end; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(lo <= hi)) [lo, hi] = [-Infinity, Infinity];
  }
  let pc = samplingPlan(C, oC, order);
  let pr = samplingPlan(R, oR, order);
  let src: ArrayLike<number> = data;
  let base = offset;
  if (order === 3) {
    // The spline prefilter is recursive over whole lines, so blur and prefilter the image first.
    let buf: Float64Array = new Float64Array(R * C);
    for (let i = 0; i < buf.length; i++) buf[i] = data[offset + i];
    if (antiAlias) buf = gaussianFilter64(buf, R, C, sigma, 'mirror', 4);
    splineFilter3(buf, R, C);
    src = buf;
    base = 0;
  } else {
    if (sigma[1] > 1e-15) pc = foldBlur(pc, C, sigma[1]);
    if (sigma[0] > 1e-15) pr = foldBlur(pr, R, sigma[0]);
  }
  const tmp = alongColumns(src, base, R, C, pc, oC);
  const out = imageLike(img, oR, oC);
  alongRows(tmp, oC, pr, oR, out.data, lo, hi);
  return out;
}

/** Resample every row: `tmp[r, k] = Σ_t w[k, t] · src[r, tap[k, t]]`. */
function alongColumns(
  src: ArrayLike<number>,
  base: number,
  R: number,
  C: number,
  p: AxisPlan,
  oC: number,
): Float64Array {
  const tmp = new Float64Array(R * oC);
  const { taps, weights, n } = p;
  for (let r = 0; r < R; r++) {
    const s = base + r * C;
    const d = r * oC;
    if (n === 2) {
      for (let k = 0, q = 0; k < oC; k++, q += 2) {
        tmp[d + k] = src[s + taps[q]] * weights[q] + src[s + taps[q + 1]] * weights[q + 1];
      }
    } else if (n === 4) {
      for (let k = 0, q = 0; k < oC; k++, q += 4) {
        tmp[d + k] =
          src[s + taps[q]] * weights[q] +
          src[s + taps[q + 1]] * weights[q + 1] +
          src[s + taps[q + 2]] * weights[q + 2] +
          src[s + taps[q + 3]] * weights[q + 3];
      }
    } else {
      for (let k = 0, q = 0; k < oC; k++) {
        let acc = 0;
        for (let t = 0; t < n; t++, q++) acc += src[s + taps[q]] * weights[q];
        tmp[d + k] = acc;
      }
    }
  }
  return tmp;
}

/** Resample the columns of `tmp` into `out`, clipping to `[lo, hi]`. */
function alongRows(
  tmp: Float64Array,
  oC: number,
  p: AxisPlan,
  oR: number,
  out: Float32Array | Float64Array,
  lo: number,
  hi: number,
): void {
  const { taps, weights, n } = p;
  const acc = new Float64Array(oC);
  for (let k = 0; k < oR; k++) {
    const d = k * oC;
    const q = k * n;
    if (n === 2) {
      const a = taps[q] * oC;
      const b = taps[q + 1] * oC;
      const wa = weights[q];
      const wb = weights[q + 1];
      for (let c = 0; c < oC; c++) {
        const v = tmp[a + c] * wa + tmp[b + c] * wb;
        out[d + c] = v < lo ? lo : v > hi ? hi : v;
      }
      continue;
    }
    if (n === 4) {
      const a = taps[q] * oC;
      const b = taps[q + 1] * oC;
      const e = taps[q + 2] * oC;
      const f = taps[q + 3] * oC;
      const wa = weights[q];
      const wb = weights[q + 1];
      const we = weights[q + 2];
      const wf = weights[q + 3];
      for (let c = 0; c < oC; c++) {
        const v = tmp[a + c] * wa + tmp[b + c] * wb + tmp[e + c] * we + tmp[f + c] * wf;
        out[d + c] = v < lo ? lo : v > hi ? hi : v;
      }
      continue;
    }
    if (n === 1) {
      const a = taps[q] * oC;
      for (let c = 0; c < oC; c++) {
        const v = tmp[a + c] * weights[q];
        out[d + c] = v < lo ? lo : v > hi ? hi : v;
      }
      continue;
    }
    let a = taps[q] * oC;
    let w = weights[q];
    for (let c = 0; c < oC; c++) acc[c] = tmp[a + c] * w;
    for (let t = 1; t < n; t++) {
      a = taps[q + t] * oC;
      w = weights[q + t];
      for (let c = 0; c < oC; c++) acc[c] += tmp[a + c] * w;
    }
    for (let c = 0; c < oC; c++) {
      const v = acc[c];
      out[d + c] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}
