import type { Image2D } from '../core/image2d.js';
import type { CropAroundMaxResult } from './crop-around-max.js';
import { assertImage, assertInteger, assertOneOf, cutWindow, type WindowPad } from './internal.js';

/** Options of {@link cropAround}. */
export interface CropAroundOptions {
  /** Side of the square window, in pixels. Default 400. */
  size?: number;
  /** How the part outside the image is filled: `'constant'`, `'edge'` or `'reflect'`. Default `'constant'`. */
  pad?: WindowPad;
  /** Fill value for `pad: 'constant'`. Default 0. */
  padValue?: number;
}

/** Defaults of {@link CropAroundOptions}. */
export const DEFAULT_CROP_AROUND_OPTIONS: Required<CropAroundOptions> = {
  size: 400,
  pad: 'constant',
  padValue: 0,
};

/**
 * Cut a `size x size` window centred on a given pixel: rows `[row - size // 2, row - size // 2 +
 * size)`, the same window {@link cropAroundMax} cuts around the peak it finds. Use it to cut
 * around each object `findSources` returns. Where the window leaves the image it is padded.
 *
 * NaN: pixels are copied unchanged, NaN included.
 *
 * @param img - the image, `[rows, cols]`
 * @param center - `[row, col]` of the window's centre; must be a pixel of the image
 * @param opts - see {@link CropAroundOptions}
 * @throws RangeError when `center` is not a pixel of the image or an option is invalid
 */
export function cropAround(
  img: Image2D,
  center: readonly [number, number],
  opts: CropAroundOptions = {},
): CropAroundMaxResult {
  const fn = 'cropAround';
  assertImage(img, fn);
  const o = { ...DEFAULT_CROP_AROUND_OPTIONS, ...opts };
  assertInteger(o.size, fn, 'size', 1);
  assertOneOf(o.pad, ['constant', 'edge', 'reflect'] as const, fn, 'pad');
  if (typeof o.padValue !== 'number') {
    throw new TypeError(`${fn}: option 'padValue' must be a number, got ${String(o.padValue)}`);
  }
  const [r, c] = center;
  const [rows, cols] = img.shape;
  if (!Number.isInteger(r) || !Number.isInteger(c) || r < 0 || c < 0 || r >= rows || c >= cols) {
    throw new RangeError(`${fn}: center [${r}, ${c}] is not a pixel of the ${rows}x${cols} image`);
  }
  const h = Math.floor(o.size / 2);
  const offset: [number, number] = [r - h, c - h];
  const image = cutWindow(img, offset[0], offset[1], o.size, o.size, o.pad, o.padValue);
  return { image, center: [r, c], offset };
}
