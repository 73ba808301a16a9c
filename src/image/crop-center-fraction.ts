import type { Image2D } from '../core/image2d.js';
import { assertImage, assertNumber, cutWindow } from './internal.js';

/** Options of {@link cropCenterFraction}. */
export interface CropCenterFractionOptions {
  /** Fraction of each axis to keep, in (0, 1]. Default 0.5: the middle 50 % of rows and columns. */
  fraction?: number;
}

/** Defaults of {@link CropCenterFractionOptions}: the original pipeline's middle 50 %. */
export const DEFAULT_CROP_CENTER_FRACTION_OPTIONS: Required<CropCenterFractionOptions> = {
  fraction: 0.5,
};

/**
 * The `[start, end)` row (or column) range that {@link cropCenterFraction} keeps from an axis of
 * length `n`: `[trunc(n * (1 - f) / 2), trunc(n * (1 - (1 - f) / 2)))`, numpy's
 * `a[int(n * lo):int(n * hi)]` in the original pipeline.
 */
export function centerFractionRange(n: number, fraction: number): [start: number, end: number] {
  const lo = (1 - fraction) / 2;
  const hi = 1 - (1 - fraction) / 2;
  return [Math.trunc(n * lo), Math.trunc(n * hi)];
}

/**
 * Keep the central `fraction` of the rows and of the columns, to drop the noisy edge of the
 * primary beam. Row range `[trunc(rows * (1 - f) / 2), trunc(rows * (1 + f) / 2))`, exactly as
 * the original pipeline's numpy slicing; same for columns.
 *
 * NaN: pixels are copied unchanged, NaN included.
 *
 * @param img - the image, `[rows, cols]`
 * @param opts - see {@link CropCenterFractionOptions}
 * @returns a new contiguous image of the same element type
 * @throws RangeError when `fraction` is outside (0, 1] or the crop would be empty
 */
export function cropCenterFraction(img: Image2D, opts: CropCenterFractionOptions = {}): Image2D {
  assertImage(img, 'cropCenterFraction');
  const { fraction } = { ...DEFAULT_CROP_CENTER_FRACTION_OPTIONS, ...opts };
  assertNumber(fraction, 'cropCenterFraction', 'fraction', 0, 1);
  if (fraction === 0) {
    throw new RangeError(`cropCenterFraction: option 'fraction' must be > 0, got 0`);
  }
  const [r0, r1] = centerFractionRange(img.shape[0], fraction);
  const [c0, c1] = centerFractionRange(img.shape[1], fraction);
  if (r1 <= r0 || c1 <= c0) {
    throw new RangeError(
      `cropCenterFraction: option 'fraction' = ${fraction} leaves nothing of a [${img.shape.join(', ')}] image`,
    );
  }
  return cutWindow(img, r0, c0, r1 - r0, c1 - c0);
}
