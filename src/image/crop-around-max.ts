import type { Image2D } from '../core/image2d.js';
import { cropAround } from './crop-around.js';
import { centerFractionRange } from './crop-center-fraction.js';
import {
  assertImage,
  assertInteger,
  assertNumber,
  assertOneOf,
  nanArgmax,
  type WindowPad,
} from './internal.js';

/** Options of {@link cropAroundMax}. */
export interface CropAroundMaxOptions {
  /** Side of the square window, in pixels. Default 400. */
  size?: number;
  /**
   * Fraction of each axis, centred, in which the peak is searched (as {@link cropCenterFraction}
   * cuts it), in (0, 1]. Default 0.5, so a bright artefact at the primary-beam edge never wins;
   * 1 searches the whole image.
   */
  searchFraction?: number;
  /**
   * How the part of the window outside the image is filled: `'constant'` (with `padValue`),
   * `'edge'` (nearest edge pixel) or `'reflect'` (numpy's `reflect`). Default `'constant'`.
   */
  pad?: WindowPad;
  /** Fill value for `pad: 'constant'`. Default 0. */
  padValue?: number;
}

/** Defaults of {@link CropAroundMaxOptions}: the original pipeline's 400 x 400 around the peak. */
export const DEFAULT_CROP_AROUND_MAX_OPTIONS: Required<CropAroundMaxOptions> = {
  size: 400,
  searchFraction: 0.5,
  pad: 'constant',
  padValue: 0,
};

/** Result of {@link cropAroundMax}. */
export interface CropAroundMaxResult {
  /** The `size x size` window. */
  image: Image2D;
  /** `[row, col]` of the peak in the input image. */
  center: [row: number, col: number];
  /**
   * `[row, col]` in the input image of the window's pixel `[0, 0]`; negative (or running past
   * the far edge) where the window was padded. Input pixel `(r, c)` is window pixel
   * `(r - offset[0], c - offset[1])`.
   */
  offset: [row: number, col: number];
}

/**
 * Locate the brightest pixel inside the central search window and cut a `size x size` window
 * around it: rows `[peakRow - size // 2, peakRow - size // 2 + size)`, the same pixels as the
 * original pipeline's numpy slicing. Where the window leaves the image it is padded rather than
 * discarded, so images smaller than `size` (such as a 192 px pipeline product) still work.
 *
 * NaN: a NaN pixel is never the peak (numpy `nanargmax`); ties go to the first pixel in row-major
 * order. NaN pixels inside the window are copied unchanged.
 *
 * @param img - the image, `[rows, cols]`
 * @param opts - see {@link CropAroundMaxOptions}
 * @throws RangeError on invalid options, or when the search window holds only NaN
 */
export function cropAroundMax(img: Image2D, opts: CropAroundMaxOptions = {}): CropAroundMaxResult {
  const fn = 'cropAroundMax';
  assertImage(img, fn);
  const o = { ...DEFAULT_CROP_AROUND_MAX_OPTIONS, ...opts };
  assertInteger(o.size, fn, 'size', 1);
  assertNumber(o.searchFraction, fn, 'searchFraction', 0, 1);
  if (o.searchFraction === 0) {
    throw new RangeError(`${fn}: option 'searchFraction' must be > 0, got 0`);
  }
  assertOneOf(o.pad, ['constant', 'edge', 'reflect'] as const, fn, 'pad');
  if (typeof o.padValue !== 'number') {
    throw new TypeError(`${fn}: option 'padValue' must be a number, got ${String(o.padValue)}`);
  }
  const { rows, cols } = searchWindow(img.shape as [number, number], o.searchFraction);
  const peak = nanArgmax(img.hi(rows[1], cols[1]).lo(rows[0], cols[0]));
  if (peak === undefined) throw new RangeError(allNaNMessage(fn, o.searchFraction));
  return cropAround(img, [peak[0] + rows[0], peak[1] + cols[0]], o);
}

/**
 * The window {@link cropAroundMax} searches for the peak in an image of `shape`: the central
 * `searchFraction` of each axis as {@link centerFractionRange} cuts it, or the middle pixel of
 * an axis too short to keep any. Not part of the public API.
 */
export function searchWindow(
  shape: readonly [number, number],
  searchFraction: number,
): { rows: [start: number, end: number]; cols: [start: number, end: number] } {
  let [r0, r1] = centerFractionRange(shape[0], searchFraction);
  let [c0, c1] = centerFractionRange(shape[1], searchFraction);
  // A tiny image can round its search window away; fall back to the middle pixel.
  if (r1 <= r0) [r0, r1] = [shape[0] >> 1, (shape[0] >> 1) + 1];
  if (c1 <= c0) [c0, c1] = [shape[1] >> 1, (shape[1] >> 1) + 1];
  return { rows: [r0, r1], cols: [c0, c1] };
}

/** The error {@link cropAroundMax} throws when its search window holds only NaN. Not public. */
export function allNaNMessage(fn: string, searchFraction: number): string {
  return `${fn}: every pixel in the search window (searchFraction ${searchFraction}) is NaN`;
}
