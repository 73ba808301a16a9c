import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';

/**
 * A 2-D image: an `ndarray` over a `Float32Array` (or `Float64Array` where a caller asks),
 * shape `[rows, cols]`, row 0 = the first row stored in the FITS file (FITS y = 1). This is
 * the order numpy and astropy use, so `img.get(r, c)` equals `data[r, c]` in Python.
 * NaN means "no data" (outside the primary beam, or BLANK).
 */
export type Image2D = NdArray<Float32Array | Float64Array>;

/** Pixel storage accepted by {@link createImage2D}. */
export type PixelArray = Float32Array | Float64Array;

/**
 * Make an {@link Image2D} of shape `[rows, cols]`, C order (row-major, contiguous).
 *
 * @param rows - number of rows (FITS NAXIS2)
 * @param cols - number of columns (FITS NAXIS1)
 * @param data - pixels in row-major order; a new zero-filled `Float32Array` when omitted
 * @throws RangeError when the shape is not two non-negative integers or `data` has the wrong length
 */
export function createImage2D(rows: number, cols: number, data?: PixelArray): Image2D {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`image shape must be two non-negative integers, got [${rows}, ${cols}]`);
  }
  const pixels = data ?? new Float32Array(rows * cols);
  if (pixels.length !== rows * cols) {
    throw new RangeError(
      `image data has ${pixels.length} values, shape [${rows}, ${cols}] needs ${rows * cols}`,
    );
  }
  return ndarray(pixels, [rows, cols]);
}

/**
 * The pixels of `img` as a new contiguous row-major array of the same element type: a copy, so
 * the caller may mutate it. Works for any strides (views, flips, transposes).
 *
 * @param img - the image to copy
 */
export function toContiguous(img: Image2D): PixelArray {
  const [rows, cols] = img.shape as [number, number];
  const out =
    img.data instanceof Float64Array
      ? new Float64Array(rows * cols)
      : new Float32Array(rows * cols);
  const src = img.data;
  const [s0, s1] = img.stride as [number, number];
  let k = 0;
  for (let r = 0; r < rows; r++) {
    let p = img.offset + r * s0;
    for (let c = 0; c < cols; c++, p += s1) out[k++] = src[p];
  }
  return out;
}

/**
 * A contiguous copy of `img` as a new {@link Image2D} (row-major, offset 0).
 *
 * @param img - the image to copy
 */
export function cloneImage(img: Image2D): Image2D {
  const [rows, cols] = img.shape as [number, number];
  return createImage2D(rows, cols, toContiguous(img));
}

/**
 * Shape of an {@link Image2D} as a `[rows, cols]` tuple.
 *
 * @param img - the image
 */
export function shapeOf(img: Image2D): [rows: number, cols: number] {
  return [img.shape[0], img.shape[1]];
}
