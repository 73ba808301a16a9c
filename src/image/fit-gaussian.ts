import type { Image2D } from '../core/image2d.js';
import { createImage2D } from '../core/image2d.js';
import { floodFill } from './find-sources.js';
import { assertImage, assertInteger, assertNumber, medianInPlace, rowMajor } from './internal.js';

/**
 * An elliptical Gaussian on a constant:
 * `f(row, col) = amplitude * exp(-(u² / sigmaMajor² + v² / sigmaMinor²) / 2) + offset`, where `u`
 * runs along the major axis and `v` along the minor axis from the centre `(row, col)`.
 */
export interface Gaussian2D {
  /** Peak above the offset, in the image's units (Jy/beam for ALMA images). */
  amplitude: number;
  /** Centre row (fractional; row 0 = FITS y = 1). */
  row: number;
  /** Centre column (fractional). */
  col: number;
  /** Standard deviation along the major axis, pixels (FWHM = 2.3548 sigma). */
  sigmaMajor: number;
  /** Standard deviation along the minor axis, pixels; never above `sigmaMajor` in a fit's answer. */
  sigmaMinor: number;
  /**
   * Angle of the major axis in degrees in (-90, 90], counter-clockwise from the +column axis as
   * the image is displayed with row 0 at the top (matplotlib `origin='upper'`): the convention of
   * `principalAngle` and `rotate`, so `rotate(img, -angleDeg)` turns the major axis horizontal.
   */
  angleDeg: number;
  /** Constant background, in the image's units. */
  offset: number;
}

/** Why {@link fitGaussian2D} stopped. */
export type FitStopReason = 'ftol' | 'xtol' | 'gtol' | 'maxIterations' | 'stalled';

/** The rectangle of the image a fit used: top-left corner and size, in pixels. */
export interface FitWindow {
  /** First row. */
  row: number;
  /** First column. */
  col: number;
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
  cols: number;
}

/** What {@link fitGaussian2D} returns: the best-fit parameters and how the fit went. */
export interface Gaussian2DFit extends Gaussian2D {
  /** Root mean square of `data - model` over the fitted pixels (unweighted), image units. */
  residualRms: number;
  /** The minimised sum `Σ weight · (data - model)²` (chi-square when weights are 1/variance). */
  cost: number;
  /** Number of pixels fitted (finite, inside the window, unmasked, positive weight). */
  pixels: number;
  /** Levenberg–Marquardt trial steps taken (each one solve and one model evaluation). */
  iterations: number;
  /** True when a tolerance was met; false when the iteration cap was hit or no step helped. */
  converged: boolean;
  /** Which test stopped the iteration. */
  reason: FitStopReason;
  /**
   * One-sigma uncertainties from the covariance `(JᵀWJ)⁻¹ · cost / (pixels - free parameters)`
   * (scipy `curve_fit` with `absolute_sigma=False`); NaN where the matrix is singular, 0 for a
   * `fixed` parameter. `angleDeg` in degrees.
   */
  stderr: Gaussian2D;
  /** The starting point (moments around the brightest pixel, or `initial`). */
  initial: Gaussian2D;
  /** The window fitted. */
  window: FitWindow;
}

/** Options of {@link fitGaussian2D}. */
export interface FitGaussian2DOptions {
  /**
   * Side in pixels of the square window fitted, centred on `center` (or the brightest pixel),
   * clipped at the image edges. `null`: the whole image. Default `null`.
   */
  window?: number | null;
  /** `[row, col]` the window is centred on. `null`: the brightest finite pixel. Default `null`. */
  center?: [number, number] | null;
  /**
   * Pixels to fit, same shape as the image (an image, or a row-major `Uint8Array`): non-zero
   * fits, zero leaves out. `null`: every pixel. Default `null`.
   */
  mask?: Image2D | Uint8Array | null;
  /**
   * Weight of each pixel's squared residual, same shape as the image (1/variance for a
   * chi-square). Zero, negative or non-finite weights leave the pixel out. `null`: all 1.
   */
  weights?: Image2D | null;
  /** Starting values that replace the moment guess, parameter by parameter. Default `null`. */
  initial?: Partial<Gaussian2D> | null;
  /**
   * Parameters held at their starting value (from `initial` or the moment guess), e.g.
   * `['offset']` with `initial: { offset: background }` to fit a source's core alone. Default `[]`.
   */
  fixed?: readonly (keyof Gaussian2D)[];
  /**
   * The moment guess uses the pixels connected to the brightest one above
   * `background + guessFraction * (peak - background)`, in (0, 1). Default 0.2.
   */
  guessFraction?: number;
  /** Lower bound of both sigmas, pixels (> 0). Default 0.1. */
  minSigma?: number;
  /** Upper bound of both sigmas, pixels. `null`: twice the window's longer side. */
  maxSigma?: number | null;
  /** Most trial steps before giving up with `converged: false`. Default 200. */
  maxIterations?: number;
  /** Stop when a step lowers the cost by less than this fraction (and predicts no more). Default 1e-10. */
  ftol?: number;
  /** Stop when the scaled step is smaller than this fraction of the scaled parameters. Default 1e-10. */
  xtol?: number;
  /** Stop when every gradient component's cosine with the residual is below this. Default 1e-10. */
  gtol?: number;
}

/** Defaults of {@link FitGaussian2DOptions}. */
export const DEFAULT_FIT_GAUSSIAN_2D_OPTIONS: Required<FitGaussian2DOptions> = {
  window: null,
  center: null,
  mask: null,
  weights: null,
  initial: null,
  fixed: [],
  guessFraction: 0.2,
  minSigma: 0.1,
  maxSigma: null,
  maxIterations: 200,
  ftol: 1e-10,
  xtol: 1e-10,
  gtol: 1e-10,
};

/** The parameters, in the order of the solver's vector. */
const PARAMS = [
  'amplitude',
  'row',
  'col',
  'sigmaMajor',
  'sigmaMinor',
  'angleDeg',
  'offset',
] as const satisfies readonly (keyof Gaussian2D)[];
const NP = PARAMS.length;
const DEG = 180 / Math.PI;

/**
 * Fit an elliptical Gaussian plus a constant to an image by weighted nonlinear least squares:
 * Levenberg–Marquardt with an analytic Jacobian, Marquardt's diagonal scaling and box bounds
 * (sigmas in `[minSigma, maxSigma]`, the centre inside the window; a parameter held at a bound
 * leaves the step while the gradient pushes it outwards). The start comes from the
 * background-subtracted second moments of the region around the brightest pixel, corrected for
 * the threshold that cut it. Checked against `scipy.optimize.curve_fit`
 * (`scripts/make-fit-reference.py`).
 *
 * The answer always has `sigmaMajor >= sigmaMinor` and `angleDeg` in (-90, 90] in the
 * convention of `principalAngle` (counter-clockwise from the +column axis, row 0 displayed at
 * the top); a round source has an arbitrary angle. Coordinates are those of the whole image,
 * not of the window.
 *
 * Never hangs: at most `maxIterations` trial steps; a fit that meets no tolerance answers
 * `converged: false` with its best parameters rather than throwing.
 *
 * NaN: NaN and ±Infinity pixels are left out of the fit (as are masked and zero-weight ones).
 *
 * @param img - the image, `[rows, cols]`
 * @param opts - see {@link FitGaussian2DOptions}
 * @returns the fit, see {@link Gaussian2DFit}
 * @throws RangeError when the window holds fewer usable pixels than free parameters (7 unless
 *   some are `fixed`), or on
 *   invalid options; TypeError when `img` is not an image
 */
export function fitGaussian2D(img: Image2D, opts: FitGaussian2DOptions = {}): Gaussian2DFit {
  const fn = 'fitGaussian2D';
  assertImage(img, fn);
  const o = { ...DEFAULT_FIT_GAUSSIAN_2D_OPTIONS, ...opts };
  const [R, C] = img.shape as [number, number];
  assertNumber(o.guessFraction, fn, 'guessFraction', 0, 1);
  if (o.guessFraction <= 0 || o.guessFraction >= 1) {
    throw new RangeError(
      `${fn}: option 'guessFraction' must lie in (0, 1), got ${o.guessFraction}`,
    );
  }
  assertNumber(o.minSigma, fn, 'minSigma', Number.MIN_VALUE);
  assertInteger(o.maxIterations, fn, 'maxIterations', 1);
  assertNumber(o.ftol, fn, 'ftol', 0);
  assertNumber(o.xtol, fn, 'xtol', 0);
  assertNumber(o.gtol, fn, 'gtol', 0);
  const { data, offset: base } = rowMajor(img);
  const win = chooseWindow(img, data, base, o.window, o.center, fn);
  const maxSigma = o.maxSigma ?? 2 * Math.max(win.rows, win.cols);
  assertNumber(maxSigma, fn, 'maxSigma', o.minSigma);

  const held = new Set<number>();
  for (const name of o.fixed) {
    const j = PARAMS.indexOf(name);
    if (j < 0) throw new RangeError(`${fn}: option 'fixed' names no parameter: ${String(name)}`);
    held.add(j);
  }
  const nFree = NP - held.size;
  const pix = gatherPixels(data, base, R, C, win, o.mask, o.weights, fn);
  if (pix.n < nFree) {
    throw new RangeError(
      `${fn}: the ${win.rows}x${win.cols} window at (${win.row}, ${win.col}) has ${pix.n} usable pixels, fewer than the ${nFree} parameters`,
    );
  }
  const lower = new Float64Array([
    -Infinity,
    win.row - 0.5,
    win.col - 0.5,
    o.minSigma,
    o.minSigma,
    -Infinity,
    -Infinity,
  ]);
  const upper = new Float64Array([
    Infinity,
    win.row + win.rows - 0.5,
    win.col + win.cols - 0.5,
    maxSigma,
    maxSigma,
    Infinity,
    Infinity,
  ]);
  const guess = { ...momentGuess(pix, win, o.guessFraction, o.minSigma, maxSigma), ...o.initial };
  const p0 = toVector(guess);
  for (let j = 0; j < NP; j++) {
    p0[j] = Math.min(upper[j], Math.max(lower[j], p0[j]));
    if (!Number.isFinite(p0[j])) {
      throw new RangeError(`${fn}: starting value of '${PARAMS[j]}' is not finite (${p0[j]})`);
    }
    if (held.has(j)) lower[j] = upper[j] = p0[j];
  }
  const initial = fromVector(p0);

  const lm = levenbergMarquardt(pix, p0, lower, upper, o);
  const p = lm.p;
  const jtj = new Float64Array(NP * NP);
  const g = new Float64Array(NP);
  const cost = normalEquations(pix, p, jtj, g);
  let sumSq = 0;
  for (let i = 0; i < pix.n; i++) {
    const d = pix.y[i] - modelAt(p, pix.r[i], pix.c[i]);
    sumSq += d * d;
  }
  const free: number[] = [];
  for (let j = 0; j < NP; j++) if (!held.has(j)) free.push(j);
  const cov = invertSpd(jtj, free);
  const scale = pix.n > nFree ? cost / (pix.n - nFree) : NaN;
  const err = new Float64Array(NP);
  free.forEach((j, i) => (err[j] = cov ? Math.sqrt(cov[i * free.length + i] * scale) : NaN));
  const fit = fromVector(p);
  const stderr = fromVector(err, false);
  if (Math.abs(p[3]) < Math.abs(p[4])) [stderr.sigmaMajor, stderr.sigmaMinor] = [err[4], err[3]];
  return {
    ...fit,
    residualRms: Math.sqrt(sumSq / pix.n),
    cost,
    pixels: pix.n,
    iterations: lm.iterations,
    converged: lm.reason !== 'maxIterations' && lm.reason !== 'stalled',
    reason: lm.reason,
    stderr,
    initial,
    window: win,
  };
}

/**
 * The image of a {@link Gaussian2D} (amplitude on offset) on a `rows x cols` grid, float32, in
 * the coordinates and angle convention of {@link fitGaussian2D}; subtract it from the image to
 * get the fit's residual.
 *
 * @param g - the Gaussian
 * @param rows - number of rows
 * @param cols - number of columns
 * @returns a new `[rows, cols]` image
 */
export function renderGaussian2D(g: Gaussian2D, rows: number, cols: number): Image2D {
  const p = toVector(g);
  const out = new Float32Array(rows * cols);
  for (let r = 0, k = 0; r < rows; r++)
    for (let c = 0; c < cols; c++, k++) out[k] = modelAt(p, r, c);
  return createImage2D(rows, cols, out);
}

/** The pixels a fit uses, as flat arrays. */
interface Pixels {
  n: number;
  r: Float64Array;
  c: Float64Array;
  y: Float64Array;
  /** Weight of each squared residual. */
  w: Float64Array;
}

function chooseWindow(
  img: Image2D,
  data: ArrayLike<number>,
  base: number,
  side: number | null,
  center: [number, number] | null,
  fn: string,
): FitWindow {
  const [R, C] = img.shape as [number, number];
  if (side === null) return { row: 0, col: 0, rows: R, cols: C };
  assertInteger(side, fn, 'window', 1);
  let cr: number;
  let cc: number;
  if (center !== null) {
    if (!Array.isArray(center) || center.length !== 2 || !center.every(Number.isFinite)) {
      throw new RangeError(
        `${fn}: option 'center' must be [row, col], got ${JSON.stringify(center)}`,
      );
    }
    [cr, cc] = [Math.round(center[0]), Math.round(center[1])];
  } else {
    let best = -Infinity;
    cr = -1;
    cc = -1;
    for (let r = 0, k = base; r < R; r++) {
      for (let c = 0; c < C; c++, k++) {
        if (data[k] > best) {
          best = data[k];
          cr = r;
          cc = c;
        }
      }
    }
    if (cr < 0) throw new RangeError(`${fn}: image has no finite pixel`);
  }
  const r0 = Math.max(0, cr - Math.floor(side / 2));
  const c0 = Math.max(0, cc - Math.floor(side / 2));
  const r1 = Math.min(R, cr - Math.floor(side / 2) + side);
  const c1 = Math.min(C, cc - Math.floor(side / 2) + side);
  if (r0 >= r1 || c0 >= c1) {
    throw new RangeError(`${fn}: the window around (${cr}, ${cc}) misses the ${R}x${C} image`);
  }
  return { row: r0, col: c0, rows: r1 - r0, cols: c1 - c0 };
}

function gatherPixels(
  data: ArrayLike<number>,
  base: number,
  R: number,
  C: number,
  win: FitWindow,
  mask: Image2D | Uint8Array | null,
  weights: Image2D | null,
  fn: string,
): Pixels {
  const maskAt = perPixel(mask, R, C, fn, 'mask');
  const weightAt = perPixel(weights, R, C, fn, 'weights');
  const cap = win.rows * win.cols;
  const px: Pixels = {
    n: 0,
    r: new Float64Array(cap),
    c: new Float64Array(cap),
    y: new Float64Array(cap),
    w: new Float64Array(cap),
  };
  for (let r = win.row; r < win.row + win.rows; r++) {
    for (let c = win.col; c < win.col + win.cols; c++) {
      const v = data[base + r * C + c];
      if (!Number.isFinite(v)) continue;
      if (maskAt && !maskAt(r, c)) continue;
      const w = weightAt ? weightAt(r, c) : 1;
      if (!(w > 0) || !Number.isFinite(w)) continue;
      px.r[px.n] = r;
      px.c[px.n] = c;
      px.y[px.n] = v;
      px.w[px.n] = w;
      px.n++;
    }
  }
  return px;
}

function perPixel(
  a: Image2D | Uint8Array | null,
  R: number,
  C: number,
  fn: string,
  name: string,
): ((r: number, c: number) => number) | undefined {
  if (a === null || a === undefined) return undefined;
  if (a instanceof Uint8Array) {
    if (a.length !== R * C) {
      throw new RangeError(`${fn}: option '${name}' has ${a.length} values, the image ${R * C}`);
    }
    return (r, c) => a[r * C + c];
  }
  assertImage(a, fn, name);
  if (a.shape[0] !== R || a.shape[1] !== C) {
    throw new RangeError(
      `${fn}: option '${name}' has shape [${a.shape.join(', ')}], the image [${R}, ${C}]`,
    );
  }
  return (r, c) => a.get(r, c);
}

/** Start from the background-subtracted moments of the region around the brightest pixel. */
function momentGuess(
  px: Pixels,
  win: FitWindow,
  fraction: number,
  minSigma: number,
  maxSigma: number,
): Gaussian2D {
  const values = px.y.slice(0, px.n);
  let peakAt = 0;
  for (let i = 1; i < px.n; i++) if (px.y[i] > px.y[peakAt]) peakAt = i;
  const background = medianInPlace(values);
  const peak = px.y[peakAt];
  const level = background + fraction * (peak - background);
  // Region grown on the window grid from the peak, through fitted pixels above the level.
  const W = win.cols;
  const grid = new Uint8Array(win.rows * W);
  const index = new Int32Array(win.rows * W).fill(-1);
  for (let i = 0; i < px.n; i++) {
    const k = (px.r[i] - win.row) * W + (px.c[i] - win.col);
    index[k] = i;
    grid[k] = px.y[i] >= level ? 1 : 0;
  }
  const seed = (px.r[peakAt] - win.row) * W + (px.c[peakAt] - win.col);
  const members = floodFill(grid, win.rows, W, seed, 8, new Int32Array(grid.length));
  let sw = 0;
  let sr = 0;
  let sc = 0;
  let srr = 0;
  let scc = 0;
  let src = 0;
  for (let m = 0; m < members.length; m++) {
    const i = index[members[m]];
    const w = px.y[i] - background;
    sw += w;
    sr += w * px.r[i];
    sc += w * px.c[i];
    srr += w * px.r[i] * px.r[i];
    scc += w * px.c[i] * px.c[i];
    src += w * px.r[i] * px.c[i];
  }
  const clampSigma = (s: number): number =>
    Math.min(maxSigma, Math.max(minSigma, Number.isFinite(s) ? Math.max(s, 0.7) : 1));
  if (!(sw > 0)) {
    return {
      amplitude: peak - background,
      row: px.r[peakAt],
      col: px.c[peakAt],
      sigmaMajor: clampSigma(1),
      sigmaMinor: clampSigma(1),
      angleDeg: 0,
      offset: background,
    };
  }
  const mr = sr / sw;
  const mc = sc / sw;
  const mrr = srr / sw - mr * mr;
  const mcc = scc / sw - mc * mc;
  const mrc = src / sw - mr * mc;
  // Weighted by (value - background) inside the contour at `fraction` of the peak, a Gaussian's
  // variance along an axis is sigma² · E[s] with s = Q/2 ∈ [0, -ln fraction] (area ∝ ds):
  // E[s] = (1 - f (1 + s_max)) / (1 - f).
  const sMax = -Math.log(fraction);
  const shrink = (1 - fraction * (1 + sMax)) / (1 - fraction);
  const half = (mrr + mcc) / 2;
  const root = Math.sqrt(((mcc - mrr) / 2) ** 2 + mrc * mrc);
  // Display "up" is -row, so the y-x covariance is -mrc (as in principalAngle).
  let angle = 0.5 * Math.atan2(-2 * mrc, mcc - mrr) * DEG;
  if (angle <= -90) angle += 180;
  return {
    amplitude: peak - background,
    row: mr,
    col: mc,
    sigmaMajor: clampSigma(Math.sqrt(Math.max(half + root, 0) / shrink)),
    sigmaMinor: clampSigma(Math.sqrt(Math.max(half - root, 0) / shrink)),
    angleDeg: angle,
    offset: background,
  };
}

/** Parameters as the vector the solver moves: angle in radians. */
function toVector(g: Gaussian2D): Float64Array {
  return new Float64Array([
    g.amplitude,
    g.row,
    g.col,
    g.sigmaMajor,
    g.sigmaMinor,
    g.angleDeg / DEG,
    g.offset,
  ]);
}

/**
 * The vector as a {@link Gaussian2D}; with `canonical`, the axes are swapped when needed so the
 * major sigma is the larger, and the angle is brought into (-90, 90] degrees.
 */
function fromVector(p: Float64Array, canonical = true): Gaussian2D {
  if (!canonical) {
    return {
      amplitude: p[0],
      row: p[1],
      col: p[2],
      sigmaMajor: p[3],
      sigmaMinor: p[4],
      angleDeg: p[5] * DEG,
      offset: p[6],
    };
  }
  let a = Math.abs(p[3]);
  let b = Math.abs(p[4]);
  let angle = p[5] * DEG;
  if (a < b) {
    [a, b] = [b, a];
    angle += 90;
  }
  angle = angle - 180 * Math.floor(angle / 180);
  if (angle > 90) angle -= 180;
  if (angle <= -90) angle += 180;
  return {
    amplitude: p[0],
    row: p[1],
    col: p[2],
    sigmaMajor: a,
    sigmaMinor: b,
    angleDeg: angle,
    offset: p[6],
  };
}

function modelAt(p: Float64Array, r: number, c: number): number {
  const cos = Math.cos(p[5]);
  const sin = Math.sin(p[5]);
  const dx = c - p[2];
  const dy = p[1] - r;
  const u = dx * cos + dy * sin;
  const v = -dx * sin + dy * cos;
  return p[0] * Math.exp(-0.5 * ((u * u) / (p[3] * p[3]) + (v * v) / (p[4] * p[4]))) + p[6];
}

/** `Σ w (y - f)²` at `p`, NaN if the model is not finite. */
function costAt(px: Pixels, p: Float64Array): number {
  const cos = Math.cos(p[5]);
  const sin = Math.sin(p[5]);
  const ia = 1 / (p[3] * p[3]);
  const ib = 1 / (p[4] * p[4]);
  let s = 0;
  for (let i = 0; i < px.n; i++) {
    const dx = px.c[i] - p[2];
    const dy = p[1] - px.r[i];
    const u = dx * cos + dy * sin;
    const v = -dx * sin + dy * cos;
    const d = px.y[i] - p[0] * Math.exp(-0.5 * (u * u * ia + v * v * ib)) - p[6];
    s += px.w[i] * d * d;
  }
  return s;
}

/**
 * Fill `JᵀWJ` (row-major 7x7) and `JᵀW(y - f)` (J = ∂f/∂p, analytic) at `p`; return the cost.
 */
function normalEquations(px: Pixels, p: Float64Array, jtj: Float64Array, g: Float64Array): number {
  jtj.fill(0);
  g.fill(0);
  const [A, , , a, b, theta] = p;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const ia = 1 / (a * a);
  const ib = 1 / (b * b);
  const J = new Float64Array(NP);
  let cost = 0;
  for (let i = 0; i < px.n; i++) {
    const dx = px.c[i] - p[2];
    const dy = p[1] - px.r[i];
    const u = dx * cos + dy * sin;
    const v = -dx * sin + dy * cos;
    const e = Math.exp(-0.5 * (u * u * ia + v * v * ib));
    const ae = A * e;
    const ua = u * ia;
    const vb = v * ib;
    J[0] = e;
    J[1] = -ae * (ua * sin + vb * cos);
    J[2] = ae * (ua * cos - vb * sin);
    J[3] = (ae * u * ua) / a;
    J[4] = (ae * v * vb) / b;
    J[5] = -ae * u * v * (ia - ib);
    J[6] = 1;
    const w = px.w[i];
    const d = px.y[i] - ae - p[6];
    cost += w * d * d;
    for (let j = 0; j < NP; j++) {
      const wj = w * J[j];
      g[j] += wj * d;
      for (let k = 0; k <= j; k++) jtj[j * NP + k] += wj * J[k];
    }
  }
  for (let j = 0; j < NP; j++) for (let k = 0; k < j; k++) jtj[k * NP + j] = jtj[j * NP + k];
  return cost;
}

/**
 * Levenberg–Marquardt with Nielsen's damping update, Marquardt's scaling by the largest
 * diagonal of JᵀWJ seen so far (as MINPACK), and an active set for parameters held at a bound.
 */
function levenbergMarquardt(
  px: Pixels,
  start: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  o: { maxIterations: number; ftol: number; xtol: number; gtol: number },
): { p: Float64Array; iterations: number; reason: FitStopReason } {
  const p = Float64Array.from(start);
  const trial = new Float64Array(NP);
  const jtj = new Float64Array(NP * NP);
  const g = new Float64Array(NP);
  const diag = new Float64Array(NP);
  const step = new Float64Array(NP);
  const free: number[] = [];
  let cost = normalEquations(px, p, jtj, g);
  if (!Number.isFinite(cost)) return { p, iterations: 0, reason: 'stalled' };
  let lambda = 1e-3;
  let nu = 2;
  let iterations = 0;
  for (;;) {
    for (let j = 0; j < NP; j++) diag[j] = Math.max(diag[j], jtj[j * NP + j], 1e-300);
    free.length = 0;
    for (let j = 0; j < NP; j++) {
      const held = (p[j] <= lower[j] && g[j] < 0) || (p[j] >= upper[j] && g[j] > 0);
      if (!held) free.push(j);
    }
    if (cost === 0) return { p, iterations, reason: 'gtol' };
    let gmax = 0;
    for (const j of free) {
      const norm = Math.sqrt(jtj[j * NP + j] * cost);
      if (norm > 0) gmax = Math.max(gmax, Math.abs(g[j]) / norm);
    }
    if (gmax <= o.gtol) return { p, iterations, reason: 'gtol' };
    if (iterations >= o.maxIterations) return { p, iterations, reason: 'maxIterations' };
    iterations++;
    step.fill(0);
    const solved = solveDamped(jtj, g, diag, lambda, free, step);
    if (!solved) {
      lambda *= nu;
      nu *= 2;
      if (lambda > 1e16) return { p, iterations, reason: 'stalled' };
      continue;
    }
    for (let j = 0; j < NP; j++) {
      trial[j] = Math.min(upper[j], Math.max(lower[j], p[j] + step[j]));
      step[j] = trial[j] - p[j];
    }
    // Predicted decrease of the quadratic model: 2 δᵀg - δᵀ(JᵀWJ)δ.
    let predicted = 0;
    let stepNorm = 0;
    let pNorm = 0;
    for (let j = 0; j < NP; j++) {
      let hj = 0;
      for (let k = 0; k < NP; k++) hj += jtj[j * NP + k] * step[k];
      predicted += step[j] * (2 * g[j] - hj);
      stepNorm += diag[j] * step[j] * step[j];
      pNorm += diag[j] * p[j] * p[j];
    }
    stepNorm = Math.sqrt(stepNorm);
    pNorm = Math.sqrt(pNorm);
    const trialCost = costAt(px, trial);
    const actual = cost - trialCost;
    if (Number.isFinite(trialCost) && actual > 0) {
      p.set(trial);
      const previous = cost;
      cost = normalEquations(px, p, jtj, g);
      const rho = predicted > 0 ? actual / predicted : 0;
      lambda *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3);
      nu = 2;
      if (actual <= o.ftol * previous && predicted <= o.ftol * previous) {
        return { p, iterations, reason: 'ftol' };
      }
      if (stepNorm <= o.xtol * (pNorm + o.xtol)) return { p, iterations, reason: 'xtol' };
    } else {
      // No decrease: within rounding of the minimum once the step is this small.
      if (stepNorm <= o.xtol * (pNorm + o.xtol)) return { p, iterations, reason: 'xtol' };
      lambda *= nu;
      nu *= 2;
      if (lambda > 1e16) return { p, iterations, reason: 'stalled' };
    }
  }
}

/** Solve `(H + λ D) δ = g` over the `free` parameters by Cholesky; false if not positive definite. */
function solveDamped(
  h: Float64Array,
  g: Float64Array,
  diag: Float64Array,
  lambda: number,
  free: number[],
  out: Float64Array,
): boolean {
  const m = free.length;
  if (m === 0) return false;
  const a = new Float64Array(m * m);
  const b = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) a[i * m + j] = h[free[i] * NP + free[j]];
    a[i * m + i] += lambda * diag[free[i]];
    b[i] = g[free[i]];
  }
  if (!cholesky(a, m)) return false;
  choleskySolve(a, m, b);
  for (let i = 0; i < m; i++) {
    if (!Number.isFinite(b[i])) return false;
    out[free[i]] = b[i];
  }
  return true;
}

/** In-place lower Cholesky factor of the `m x m` matrix `a`; false if not positive definite. */
function cholesky(a: Float64Array, m: number): boolean {
  for (let j = 0; j < m; j++) {
    let d = a[j * m + j];
    for (let k = 0; k < j; k++) d -= a[j * m + k] * a[j * m + k];
    if (!(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * m + j] = l;
    for (let i = j + 1; i < m; i++) {
      let s = a[i * m + j];
      for (let k = 0; k < j; k++) s -= a[i * m + k] * a[j * m + k];
      a[i * m + j] = s / l;
    }
  }
  return true;
}

/** Solve `L Lᵀ x = b` in place, `L` from {@link cholesky}. */
function choleskySolve(l: Float64Array, m: number, b: Float64Array): void {
  for (let i = 0; i < m; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * m + k] * b[k];
    b[i] = s / l[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < m; k++) s -= l[k * m + i] * b[k];
    b[i] = s / l[i * m + i];
  }
}

/**
 * Inverse of the rows and columns `idx` of the symmetric 7x7 matrix `h` (`m x m`, m =
 * `idx.length`), or undefined when that block is not positive definite.
 */
function invertSpd(h: Float64Array, idx: number[]): Float64Array | undefined {
  const m = idx.length;
  const l = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) l[i * m + j] = h[idx[i] * NP + idx[j]];
  if (!cholesky(l, m)) return undefined;
  const inv = new Float64Array(m * m);
  const col = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    col.fill(0);
    col[j] = 1;
    choleskySolve(l, m, col);
    for (let i = 0; i < m; i++) inv[i * m + j] = col[i];
  }
  return inv;
}
