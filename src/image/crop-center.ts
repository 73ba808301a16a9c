import type { Image2D } from '../core/image2d.js';
import { assertImage, assertInteger, assertNumber, cutWindow } from './internal.js';

/** Options of {@link cropCenter}. */
export interface CropCenterOptions {
  /** Side of the square window, in pixels. Default 100: the model's input size. */
  size?: number;
  /** Value for the part of the window that lies outside a smaller image. Default 0. */
  padValue?: number;
}

/** Defaults of {@link CropCenterOptions}: the original pipeline's central 100 x 100. */
export const DEFAULT_CROP_CENTER_OPTIONS: Required<CropCenterOptions> = { size: 100, padValue: 0 };

/**
 * Cut a `size x size` window centred on the image: rows `[rows // 2 - size // 2, ... + size)`,
 * the same pixels as the original pipeline's numpy slicing. Where the window runs past a
 * smaller image it is filled with `padValue` instead of shrinking.
 *
 * NaN: pixels are copied unchanged, NaN included.
 *
 * @param img - the image, `[rows, cols]`
 * @param opts - see {@link CropCenterOptions}
 * @returns a new `size x size` image of the same element type
 * @throws RangeError when `size` is not a positive integer
 */
export function cropCenter(img: Image2D, opts: CropCenterOptions = {}): Image2D {
  assertImage(img, 'cropCenter');
  const { size, padValue } = { ...DEFAULT_CROP_CENTER_OPTIONS, ...opts };
  assertInteger(size, 'cropCenter', 'size', 1);
  assertNumber(padValue, 'cropCenter', 'padValue');
  const h = Math.floor(size / 2);
  const r0 = Math.floor(img.shape[0] / 2) - h;
  const c0 = Math.floor(img.shape[1] / 2) - h;
  return cutWindow(img, r0, c0, size, size, 'constant', padValue);
}
