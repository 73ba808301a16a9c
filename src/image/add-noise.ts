import type { Image2D } from '../core/image2d.js';
import type { Rng } from '../core/random.js';
import { assertImage, assertNumber, assertOneOf, imageLike, rowMajor } from './internal.js';
import { robustStd } from './robust-std.js';

/**
 * Additive Gaussian noise: `x + N(0, σ)` on every pixel, with σ given or `scale` times the
 * image's own {@link robustStd}, so the added noise matches the observation's noise level.
 */
export interface GaussianNoiseOptions {
  /** Selects Gaussian noise. */
  kind: 'gaussian';
  /** Absolute standard deviation in image units; when set, `scale` is ignored. */
  sigma?: number;
  /** Standard deviation as a multiple of the image's robust noise estimate. Default 1. */
  scale?: number;
}

/**
 * The original pipeline's multiplicative jitter: each pixel, with probability `fraction`, is
 * multiplied by a factor drawn uniformly from `range`.
 */
export interface JitterNoiseOptions {
  /** Selects multiplicative jitter. */
  kind: 'jitter';
  /** Probability that a pixel is jittered. Default 0.1. */
  fraction?: number;
  /** Interval the factor is drawn from. Default `[0.97, 1.03]`. */
  range?: [min: number, max: number];
}

/**
 * Neighbour jitter: each pixel, with probability `fraction`, is replaced by a value drawn
 * uniformly between the smallest and largest of its (up to four) edge neighbours, always read
 * from the input so the result does not depend on visiting order.
 */
export interface NeighbourNoiseOptions {
  /** Selects neighbour jitter. */
  kind: 'neighbour';
  /** Probability that a pixel is replaced. Default 0.1. */
  fraction?: number;
}

/** Options of {@link addNoise}: one of the three kinds. */
export type AddNoiseOptions = GaussianNoiseOptions | JitterNoiseOptions | NeighbourNoiseOptions;

/** Defaults of the optional fields of {@link AddNoiseOptions}. */
export const DEFAULT_ADD_NOISE_OPTIONS = {
  /** `scale` of Gaussian noise. */
  scale: 1,
  /** `fraction` of jitter and neighbour noise. */
  fraction: 0.1,
  /** `range` of jitter noise. */
  range: [0.97, 1.03] as [number, number],
};

/**
 * Perturb the image with seeded noise, for augmentation: Gaussian, multiplicative jitter or
 * neighbour jitter (see {@link AddNoiseOptions}). The same `rng` state gives the same output.
 *
 * NaN: NaN pixels stay NaN and are never picked; NaN neighbours are ignored, and a pixel whose
 * neighbours are all NaN is left unchanged.
 *
 * @param img - the image, `[rows, cols]`
 * @param rng - the seeded generator (advanced by this call)
 * @param opts - see {@link AddNoiseOptions}
 * @returns a new image of the same element type
 * @throws RangeError on an unknown kind or invalid options
 */
export function addNoise(img: Image2D, rng: Rng, opts: AddNoiseOptions): Image2D {
  const fn = 'addNoise';
  assertImage(img, fn);
  if (rng === null || typeof rng !== 'object' || typeof rng.next !== 'function') {
    throw new TypeError(`${fn}: rng must be an Rng (see createRng)`);
  }
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`${fn}: options with 'kind' are required`);
  }
  assertOneOf(opts.kind, ['gaussian', 'jitter', 'neighbour'] as const, fn, 'kind');
  const [R, C] = img.shape as [number, number];
  const { data, offset } = rowMajor(img);
  const out = imageLike(img, R, C);
  const o = out.data;
  for (let i = 0; i < o.length; i++) o[i] = data[offset + i];
  if (opts.kind === 'gaussian') {
    if (opts.sigma !== undefined) assertNumber(opts.sigma, fn, 'sigma', 0);
    const scale = opts.scale ?? DEFAULT_ADD_NOISE_OPTIONS.scale;
    assertNumber(scale, fn, 'scale', 0);
    // robustStd is NaN only when no pixel is finite; then there is nothing to perturb.
    const sigma = opts.sigma ?? scale * robustStd(img);
    if (Number.isNaN(sigma)) return out;
    for (let i = 0; i < o.length; i++) o[i] += sigma * rng.normal();
    return out;
  }
  const fraction = opts.fraction ?? DEFAULT_ADD_NOISE_OPTIONS.fraction;
  assertNumber(fraction, fn, 'fraction', 0, 1);
  if (opts.kind === 'jitter') {
    const range = opts.range ?? DEFAULT_ADD_NOISE_OPTIONS.range;
    if (!Array.isArray(range) || range.length !== 2) {
      throw new RangeError(`${fn}: option 'range' must be [min, max]`);
    }
    assertNumber(range[0], fn, 'range');
    assertNumber(range[1], fn, 'range', range[0]);
    for (let i = 0; i < o.length; i++) {
      if (rng.next() < fraction) o[i] *= rng.uniform(range[0], range[1]);
    }
    return out;
  }
  for (let r = 0, i = 0; r < R; r++) {
    for (let c = 0; c < C; c++, i++) {
      if (!(rng.next() < fraction) || Number.isNaN(o[i])) continue;
      let lo = Infinity;
      let hi = -Infinity;
      const consider = (v: number) => {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      };
      if (r > 0) consider(data[offset + i - C]);
      if (r < R - 1) consider(data[offset + i + C]);
      if (c > 0) consider(data[offset + i - 1]);
      if (c < C - 1) consider(data[offset + i + 1]);
      if (lo <= hi) o[i] = rng.uniform(lo, hi);
    }
  }
  return out;
}
