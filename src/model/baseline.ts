/**
 * A model-free wind score: fit the disk with one elliptical Gaussian, subtract it, and ask
 * whether the residual is brighter along the fitted minor axis (where a wind lifts dust) than
 * along the major axis, in units of the image's own noise. No labels, no training: it seeds a
 * first review and is the baseline every trained model must beat.
 */
import { createImage2D, type Image2D } from '../core/image2d.js';
import { ModelError } from '../core/errors.js';
import { fitGaussian2D, type Gaussian2DFit } from '../image/fit-gaussian.js';
import { floodFill } from '../image/find-sources.js';
import { assertImage, medianInPlace } from '../image/internal.js';
import { robustStd } from '../image/robust-std.js';

/** Options of {@link baselineWindScore}; defaults in {@link DEFAULT_BASELINE_OPTIONS}. */
export interface BaselineOptions {
  /** Full opening angle of each of the four cones (two along each axis), degrees, in (0, 90]. Default 60. */
  openingDeg: number;
  /**
   * The cones start outside the fitted disk's ellipse at this many sigmas (`u²/a² + v²/b²` ≥
   * `innerSigma²`), so the fit's own errors in the core are left out. Default 1.5.
   */
  innerSigma: number;
  /** The cones end this many major-axis sigmas from the centre (clipped to the image). Default 5. */
  outerSigma: number;
  /**
   * Side in pixels of the square window around the brightest pixel that the disk is fitted in
   * (the whole image when smaller), so a large raw crop costs no more than a model input.
   * Default 128.
   */
  fitWindow: number;
  /**
   * The disk is fitted to its core alone: the pixels connected to the brightest one above
   * `background + coreFraction * (peak - background)` (and the 5x5 box around it), with the
   * offset held at the background, so a wind around the disk neither widens nor turns the
   * fitted ellipse. In (0, 1). Default 0.5 (the half-maximum region).
   */
  coreFraction: number;
  /** Refits after the first, each with the background re-measured off the residual. Default 1. */
  refits: number;
  /**
   * Each residual pixel is clipped to ±`clipSigma` noise sigmas before the cones sum it, so one
   * compact source (a background point source in a cone) cannot make a wind while extended
   * faint emission still adds up. Symmetric, so pure noise still sums to 0. Default 8.
   */
  clipSigma: number;
  /** Below this peak signal-to-noise (fitted amplitude / noise) there is no source: score 0. Default 5. */
  minPeakSnr: number;
  /**
   * A disk whose fitted axis ratio (minor / major sigma) is at least this has no minor axis to
   * speak of (face-on, or unresolved by a round beam): the cones are then turned in
   * `searchStepDeg` steps and the axis with the largest statistic is kept, which raises a
   * round source's statistic under pure noise by about one sigma. Default 0.85.
   */
  roundAxisRatio: number;
  /** Step of that search, degrees. Default 15. */
  searchStepDeg: number;
  /** The statistic at which the score is 0.5 (see {@link baselineWindScore}). Default 3. */
  center: number;
  /** The statistic's scale in the logistic squash (larger: a gentler rise). Default 1. */
  width: number;
  /**
   * Pixels equal to this value count as no data (as NaN): pass 0 for model inputs whose NaN
   * became 0. `null`: only NaN is no data. Default `null`.
   */
  blank: number | null;
}

/** Defaults of {@link BaselineOptions}. */
export const DEFAULT_BASELINE_OPTIONS: BaselineOptions = {
  openingDeg: 60,
  innerSigma: 1.5,
  outerSigma: 5,
  fitWindow: 128,
  coreFraction: 0.5,
  refits: 1,
  clipSigma: 8,
  minPeakSnr: 5,
  roundAxisRatio: 0.85,
  searchStepDeg: 15,
  center: 3,
  width: 1,
  blank: null,
};

/** The measurements behind a {@link BaselineScore}. All S/N figures are in noise sigmas of the sum. */
export interface BaselineParts {
  /**
   * False when no source stands out (peak S/N below `minPeakSnr`, or no usable pixel); then
   * every cone figure is 0.
   */
  source: boolean;
  /**
   * Residual flux in the two minor-axis cones: the (clipped) residual summed and divided by the
   * beam area in pixels (`2π s²`, `s` the noise's correlation scale, which is the beam's sigma
   * for beam-convolved noise), so Jy for a Jy/beam image.
   */
  residualFlux: number;
  /** S/N of the residual summed over the two minor-axis cones. */
  residualSnr: number;
  /** S/N of the residual summed over the two major-axis cones. */
  majorAxisSnr: number;
  /** S/N of the minor-axis cones' mean residual above the major-axis cones' mean (bipolar winds). */
  minorAxisExcess: number;
  /** The larger S/N of one minor-axis cone's mean residual above the major-axis cones' mean (one-sided winds). */
  oneSidedExcess: number;
  /** `|m₊ - m₋| / (|m₊| + |m₋|)` of the two minor-axis cones' mean residuals, in [0, 1]. */
  asymmetry: number;
  /** `max(minorAxisExcess, oneSidedExcess)`, the statistic the score squashes. */
  statistic: number;
  /**
   * Angle of the cones' axis (the wind's direction), degrees in (-90, 90] in the convention of
   * `principalAngle`: the fitted minor axis, or the searched axis of a round disk.
   */
  axisDeg: number;
  /** True when the disk was round enough (`roundAxisRatio`) for the axis to be searched. */
  searched: boolean;
  /** Robust standard deviation of the residual (image units). */
  noise: number;
  /** Pixels per independent noise sample (`4π s²`, at least 1), estimated from the residual. */
  beamPixels: number;
  /** Fitted amplitude / noise. */
  peakSnr: number;
  /** Pixels in the minor-axis cones and in the major-axis cones. */
  conePixels: [minor: number, major: number];
}

/** What {@link baselineWindScore} returns. */
export interface BaselineScore {
  /** Wind-likeness in [0, 1]; larger is more wind-like. */
  score: number;
  /** The measurements the score comes from. */
  parts: BaselineParts;
  /** The disk fit (its last refit); `null` when the image had too few usable pixels. */
  fit: Gaussian2DFit | null;
}

const NO_SOURCE: Omit<BaselineParts, 'noise' | 'beamPixels' | 'peakSnr'> = {
  source: false,
  residualFlux: 0,
  residualSnr: 0,
  majorAxisSnr: 0,
  minorAxisExcess: 0,
  oneSidedExcess: 0,
  asymmetry: 0,
  statistic: 0,
  axisDeg: 0,
  searched: false,
  conePixels: [0, 0],
};

/**
 * Score an image for dust carried out of a disk along its minor axis, with no training.
 *
 * 1. Fit the disk: an elliptical Gaussian ({@link fitGaussian2D}) fitted to the core of the
 *    brightest source alone (its half-maximum region, `coreFraction`) with the constant held at
 *    the background (the median), so emission around the disk neither widens nor turns the
 *    ellipse; `refits` more times with the background re-measured under the fitted disk.
 * 2. Subtract the fitted disk. The noise `σ` is the residual's robust std (`robustStd`); its
 *    correlation scale `s` comes from the residual's lag-1 autocorrelation
 *    `ρ = exp(-1/(4 s²))` (beam-convolved noise), so a sum of `N` pixels of noise has standard
 *    deviation `σ √(N Ω)` with `Ω = 4π s²` (`beamPixels`).
 * 3. Sum the residual, each pixel clipped to ±`clipSigma` σ, in four cones of full opening
 *    `openingDeg` from the fitted centre, two along the minor axis and two along the major
 *    axis, between the `innerSigma` ellipse and `outerSigma` major sigmas. A round disk
 *    (`roundAxisRatio`) has no minor axis of its own: its cones are turned in `searchStepDeg`
 *    steps and the best axis kept.
 * 4. The statistic is the larger of the minor cones' mean above the major cones' mean (a
 *    bipolar wind) and the brighter single minor cone's mean above it (a one-sided wind), in
 *    noise sigmas; `score = 1 / (1 + exp(-(statistic - center) / width))`, monotone, 0.5 at a
 *    3-sigma excess by default and 0.047 at none.
 *
 * Scale-free: the statistic does not change under `a · image + b` (a > 0), so raw Jy/beam
 * crops and min-max-normalised model inputs score alike. An image without a source above
 * `minPeakSnr`, or without enough usable pixels, scores 0 and does not throw. Rotating the image
 * by 90° rotates the fit with it and leaves the score unchanged up to pixelisation.
 *
 * NaN: left out of the fit, the noise and the cones (and pixels equal to `blank`, when set).
 *
 * @param input - the image, `[rows, cols]`, any units
 * @param opts - see {@link BaselineOptions}
 * @returns the score, its parts and the disk fit
 * @throws RangeError on invalid options; TypeError when `input` is not an image
 */
export function baselineWindScore(
  input: Image2D,
  opts: Partial<BaselineOptions> = {},
): BaselineScore {
  const o = { ...DEFAULT_BASELINE_OPTIONS, ...opts };
  checkOptions(o);
  const img = withBlank(input, o.blank);
  const [R, C] = img.shape as [number, number];
  const data = img.data;

  let fit: Gaussian2DFit | null = null;
  const residual = new Float64Array(R * C);
  let noise = NaN;
  for (let round = 0; round < o.refits + 1; round++) {
    const background = fit ? medianOf(residual, fit.offset) : medianOf(data, 0);
    const core = coreMask(data, R, C, background, o.coreFraction);
    if (!core) break;
    try {
      fit = fitGaussian2D(img, {
        window: o.fitWindow,
        center: core.peak,
        mask: core.mask,
        fixed: ['offset'],
        initial: fit ? { ...fit, offset: background } : { offset: background },
      });
    } catch (err) {
      if (err instanceof RangeError && /usable pixels/.test(err.message)) break;
      throw err;
    }
    noise = residualOf(data, fit, R, C, residual);
  }
  if (fit === null) {
    return { score: 0, parts: { ...NO_SOURCE, noise: NaN, beamPixels: 1, peakSnr: 0 }, fit: null };
  }

  const beamPixels = correlationArea(residual, R, C, noise);
  const peakSnr = noise > 0 ? fit.amplitude / noise : 0;
  if (!(noise > 0) || !(peakSnr >= o.minPeakSnr)) {
    return { score: 0, parts: { ...NO_SOURCE, noise, beamPixels, peakSnr: peakSnr || 0 }, fit };
  }

  // The residual pixels between the inner ellipse and the outer radius, by position angle
  // psi = atan2(v, u) in the fitted frame (the minor axis is psi = ±90°).
  const inner2 = o.innerSigma * o.innerSigma;
  const outer2 = (o.outerSigma * fit.sigmaMajor) ** 2;
  const ia = 1 / (fit.sigmaMajor * fit.sigmaMajor);
  const ib = 1 / (fit.sigmaMinor * fit.sigmaMinor);
  const geo = frame(fit);
  const psi: number[] = [];
  const value: number[] = [];
  const clip = o.clipSigma * noise;
  for (let r = 0, k = 0; r < R; r++) {
    for (let c = 0; c < C; c++, k++) {
      const x = residual[k];
      if (!Number.isFinite(x)) continue;
      const [u, v] = geo(r, c);
      if (u * u + v * v > outer2 || u * u * ia + v * v * ib < inner2) continue;
      psi.push(Math.atan2(v, u));
      value.push(Math.max(-clip, Math.min(clip, x)));
    }
  }
  const halfOpen = ((o.openingDeg / 2) * Math.PI) / 180;
  const isRound = fit.sigmaMinor / fit.sigmaMajor >= o.roundAxisRatio;
  const steps = isRound ? Math.round(180 / o.searchStepDeg) : 1;
  let best: Cones | undefined;
  let bestTurn = 0;
  for (let i = 0; i < steps; i++) {
    const turn = (i * Math.PI) / steps;
    const cones = coneStatistics(psi, value, turn, halfOpen, noise, beamPixels);
    if (!best || cones.statistic > best.statistic) {
      best = cones;
      bestTurn = turn;
    }
  }
  const b = best!;
  let axis = fit.angleDeg + 90 + (bestTurn * 180) / Math.PI;
  axis -= 180 * Math.floor(axis / 180);
  if (axis > 90) axis -= 180;
  const parts: BaselineParts = {
    source: true,
    residualFlux: b.minorSum / (beamPixels / 2),
    residualSnr: b.minorSnr,
    majorAxisSnr: b.majorSnr,
    minorAxisExcess: b.minorAxisExcess,
    oneSidedExcess: b.oneSidedExcess,
    asymmetry: b.asymmetry,
    statistic: b.statistic,
    axisDeg: axis,
    searched: isRound,
    noise,
    beamPixels,
    peakSnr,
    conePixels: [b.minorPixels, b.majorPixels],
  };
  const score = 1 / (1 + Math.exp(-(b.statistic - o.center) / o.width));
  return { score, parts, fit };
}

/** The cone measurements for one axis. */
interface Cones {
  minorSum: number;
  minorSnr: number;
  majorSnr: number;
  minorAxisExcess: number;
  oneSidedExcess: number;
  asymmetry: number;
  statistic: number;
  minorPixels: number;
  majorPixels: number;
}

/**
 * Sums of the residual `value` at position angles `psi` in the two cones around `±90° + turn`
 * (the "minor" cones) and the two around `turn` and `180° + turn` (the "major" cones), each of
 * half-opening `halfOpen`, and the S/N figures of {@link BaselineParts} from them.
 */
function coneStatistics(
  psi: number[],
  value: number[],
  turn: number,
  halfOpen: number,
  noise: number,
  beamPixels: number,
): Cones {
  // 0 = minor cone at +90° + turn, 1 = minor cone at -90° + turn, 2 = both major cones.
  const sum = [0, 0, 0];
  const count = [0, 0, 0];
  for (let i = 0; i < psi.length; i++) {
    // Angle from the turned major axis in [-180°, 180°); its distance from ±90° picks the cone.
    let a = psi[i] - turn;
    a -= 2 * Math.PI * Math.floor((a + Math.PI) / (2 * Math.PI));
    const fromMinor = Math.abs(Math.abs(a) - Math.PI / 2);
    let cone = -1;
    if (fromMinor <= halfOpen) cone = a > 0 ? 0 : 1;
    else if (Math.PI / 2 - fromMinor <= halfOpen) cone = 2;
    if (cone < 0) continue;
    sum[cone] += value[i];
    count[cone]++;
  }
  const nMinor = count[0] + count[1];
  const nMajor = count[2];
  const minorSum = sum[0] + sum[1];
  const meanOf = (total: number, n: number): number => (n > 0 ? total / n : 0);
  // A sum of n pixels of beam-correlated noise has standard deviation σ √(n Ω).
  const snr = (total: number, n: number): number =>
    n > 0 ? total / (noise * Math.sqrt(n * beamPixels)) : 0;
  const majorMean = meanOf(sum[2], nMajor);
  const excess = (total: number, n: number): number =>
    n > 0 && nMajor > 0
      ? (meanOf(total, n) - majorMean) / (noise * Math.sqrt(beamPixels * (1 / n + 1 / nMajor)))
      : 0;
  const minorAxisExcess = excess(minorSum, nMinor);
  const oneSidedExcess = Math.max(excess(sum[0], count[0]), excess(sum[1], count[1]));
  const m0 = meanOf(sum[0], count[0]);
  const m1 = meanOf(sum[1], count[1]);
  const scale = Math.abs(m0) + Math.abs(m1);
  return {
    minorSum,
    minorSnr: snr(minorSum, nMinor),
    majorSnr: snr(sum[2], nMajor),
    minorAxisExcess,
    oneSidedExcess,
    asymmetry: scale > 0 ? Math.abs(m0 - m1) / scale : 0,
    statistic: Math.max(minorAxisExcess, oneSidedExcess),
    minorPixels: nMinor,
    majorPixels: nMajor,
  };
}

/**
 * {@link baselineWindScore} of every image of a batch in the model's layout
 * (`TensorData.images`: float32 `[n, height, width, 1]`, row-major).
 *
 * @param images - `n * height * width` pixels
 * @param shape - `[n, height, width, 1]`
 * @param opts - see {@link BaselineOptions}
 * @returns one score in [0, 1] per image
 * @throws ModelError when the shape is not `[n, h, w, 1]` or does not match the pixels
 */
export function baselineScores(
  images: Float32Array,
  shape: [number, number, number, number],
  opts: Partial<BaselineOptions> = {},
): Float32Array {
  const [n, h, w, ch] = shape;
  if (!shape.every((v) => Number.isInteger(v) && v >= 0) || ch !== 1 || h < 1 || w < 1) {
    throw new ModelError(
      `baselineScores: shape must be [n, height, width, 1], got [${shape.join(', ')}]`,
    );
  }
  if (images.length !== n * h * w) {
    throw new ModelError(
      `baselineScores: ${images.length} pixels, shape [${shape.join(', ')}] needs ${n * h * w}`,
    );
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const img = createImage2D(h, w, images.subarray(i * h * w, (i + 1) * h * w));
    out[i] = baselineWindScore(img, opts).score;
  }
  return out;
}

function checkOptions(o: BaselineOptions): void {
  const check = (name: keyof BaselineOptions, ok: (v: number) => boolean, what: string): void => {
    const v = o[name] as number;
    if (typeof v !== 'number' || !Number.isFinite(v) || !ok(v)) {
      throw new RangeError(`baselineWindScore: option '${name}' must be ${what}, got ${String(v)}`);
    }
  };
  check('openingDeg', (v) => v > 0 && v <= 90, 'in (0, 90]');
  check('innerSigma', (v) => v >= 0, '>= 0');
  check('outerSigma', (v) => v > o.innerSigma, `> innerSigma (${o.innerSigma})`);
  check('fitWindow', (v) => Number.isInteger(v) && v >= 3, 'an integer >= 3');
  check('coreFraction', (v) => v > 0 && v < 1, 'in (0, 1)');
  check('refits', (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
  check('clipSigma', (v) => v > 0, '> 0');
  check('minPeakSnr', (v) => v >= 0, '>= 0');
  check('roundAxisRatio', (v) => v > 0, '> 0 (above 1: never search)');
  check('searchStepDeg', (v) => v > 0 && v <= 180, 'in (0, 180]');
  check('center', () => true, 'a finite number');
  check('width', (v) => v > 0, '> 0');
  if (o.blank !== null && (typeof o.blank !== 'number' || Number.isNaN(o.blank))) {
    throw new RangeError(
      `baselineWindScore: option 'blank' must be a number or null, got ${String(o.blank)}`,
    );
  }
}

/** A contiguous float64 copy with `blank` pixels as NaN (the input is never mutated). */
function withBlank(img: Image2D, blank: number | null): Image2D {
  assertImage(img, 'baselineWindScore');
  const [R, C] = img.shape as [number, number];
  const out = new Float64Array(R * C);
  for (let r = 0, k = 0; r < R; r++) {
    for (let c = 0; c < C; c++, k++) {
      const v = img.get(r, c);
      out[k] = blank !== null && v === blank ? NaN : v;
    }
  }
  return createImage2D(R, C, out);
}

/**
 * The core of the brightest source: the region connected to the brightest finite pixel whose
 * values are at least `background + fraction * (peak - background)`, plus the 5x5 box around
 * the peak. Undefined when no pixel is finite.
 */
function coreMask(
  data: ArrayLike<number>,
  R: number,
  C: number,
  background: number,
  fraction: number,
): { mask: Uint8Array; peak: [number, number] } | undefined {
  let best = -Infinity;
  let at = -1;
  for (let k = 0; k < R * C; k++) {
    if (data[k] > best) {
      best = data[k];
      at = k;
    }
  }
  if (at < 0) return undefined;
  const level = background + fraction * (best - background);
  const grid = new Uint8Array(R * C);
  for (let k = 0; k < R * C; k++) grid[k] = data[k] >= level ? 1 : 0;
  floodFill(grid, R, C, at, 8, new Int32Array(R * C));
  const mask = new Uint8Array(R * C);
  for (let k = 0; k < R * C; k++) mask[k] = grid[k] === 2 ? 1 : 0;
  const pr = (at / C) | 0;
  const pc = at - pr * C;
  for (let r = Math.max(0, pr - 2); r <= Math.min(R - 1, pr + 2); r++) {
    for (let c = Math.max(0, pc - 2); c <= Math.min(C - 1, pc + 2); c++) mask[r * C + c] = 1;
  }
  return { mask, peak: [pr, pc] };
}

/** Median of the finite values of `a`, plus `shift`. */
function medianOf(a: ArrayLike<number>, shift: number): number {
  const finite = new Float64Array(a.length);
  let n = 0;
  for (let k = 0; k < a.length; k++) if (Number.isFinite(a[k])) finite[n++] = a[k];
  const m = medianInPlace(finite.subarray(0, n));
  return Number.isFinite(m) ? m + shift : shift;
}

/** `(u, v)` of a pixel: along the fitted major and minor axes from the fitted centre. */
function frame(fit: Gaussian2DFit): (r: number, c: number) => [number, number] {
  const t = (fit.angleDeg * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  return (r, c) => {
    const dx = c - fit.col;
    const dy = fit.row - r;
    return [dx * cos + dy * sin, -dx * sin + dy * cos];
  };
}

/** Fill `out` with data minus the fitted model (NaN where data is NaN); return the robust std. */
function residualOf(
  data: ArrayLike<number>,
  fit: Gaussian2DFit,
  R: number,
  C: number,
  out: Float64Array,
): number {
  const geo = frame(fit);
  const ia = 1 / (fit.sigmaMajor * fit.sigmaMajor);
  const ib = 1 / (fit.sigmaMinor * fit.sigmaMinor);
  for (let r = 0, k = 0; r < R; r++) {
    for (let c = 0; c < C; c++, k++) {
      const [u, v] = geo(r, c);
      out[k] = data[k] - fit.amplitude * Math.exp(-0.5 * (u * u * ia + v * v * ib)) - fit.offset;
    }
  }
  const s = robustStd(out);
  if (s > 0) return s;
  // Over half the pixels identical (a flat or mostly blank image): fall back to the plain std.
  let n = 0;
  let m = 0;
  let q = 0;
  for (let k = 0; k < out.length; k++) {
    const x = out[k];
    if (!Number.isFinite(x)) continue;
    n++;
    const d = x - m;
    m += d / n;
    q += d * (x - m);
  }
  return n > 1 ? Math.sqrt(q / (n - 1)) : 0;
}

/**
 * Pixels per independent noise sample, `4π s²` (at least 1), from the lag-1 autocorrelation
 * `ρ = exp(-1/(4 s²))` of the residual along rows and columns, over pixel pairs within 4 sigma
 * (so sources do not count as correlated noise).
 */
function correlationArea(res: Float64Array, R: number, C: number, noise: number): number {
  if (!(noise > 0)) return 1;
  const lim = 4 * noise;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  const pair = (a: number, b: number): void => {
    if (!(Math.abs(a) <= lim && Math.abs(b) <= lim)) return;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  };
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const k = r * C + c;
      if (c + 1 < C) pair(res[k], res[k + 1]);
      if (r + 1 < R) pair(res[k], res[k + C]);
    }
  }
  const rho = sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
  if (!(rho > 0.01)) return 1;
  const s2 = -1 / (4 * Math.log(Math.min(rho, 0.999)));
  return Math.max(1, 4 * Math.PI * s2);
}
