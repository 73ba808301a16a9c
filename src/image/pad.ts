import type { Image2D } from '../core/image2d.js';
import { assertImage, assertNumber, assertShape, cutWindow } from './internal.js';

/** Options of {@link pad}. */
export interface PadOptions {
  /** Shape `[rows, cols]` of the result; each at least the image's own. Required. */
  to: [rows: number, cols: number];
  /** Fill value for the new border. Default 0. */
  value?: number;
}

/** Defaults of the optional {@link PadOptions}. */
export const DEFAULT_PAD_OPTIONS: Required<Pick<PadOptions, 'value'>> = { value: 0 };

/**
 * Grow the image to `to` by adding a border of `value`, keeping the image centred: of the
 * `n` extra rows, `floor(n / 2)` go above and the rest below (likewise columns to the left
 * and right).
 *
 * NaN: pixels are copied unchanged; `value` may itself be NaN.
 *
 * @param img - the image, `[rows, cols]`
 * @param opts - see {@link PadOptions}
 * @returns a new image of shape `to` and the same element type
 * @throws RangeError when `to` is not two positive integers or is smaller than the image
 */
export function pad(img: Image2D, opts: PadOptions): Image2D {
  assertImage(img, 'pad');
  if (opts === null || typeof opts !== 'object') {
    throw new TypeError(`pad: options with 'to' are required`);
  }
  const { to, value } = { ...DEFAULT_PAD_OPTIONS, ...opts };
  assertShape(to, 'pad', 'to');
  if (typeof value !== 'number') {
    throw new TypeError(`pad: option 'value' must be a number, got ${String(value)}`);
  }
  if (!Number.isNaN(value)) assertNumber(value, 'pad', 'value');
  const [R, C] = img.shape as [number, number];
  if (to[0] < R || to[1] < C) {
    throw new RangeError(
      `pad: option 'to' = [${to.join(', ')}] is smaller than the image [${R}, ${C}]; crop instead`,
    );
  }
  const top = Math.floor((to[0] - R) / 2);
  const left = Math.floor((to[1] - C) / 2);
  return cutWindow(img, -top, -left, to[0], to[1], 'constant', value);
}
