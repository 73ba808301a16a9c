import type { Image2D } from '../core/image2d.js';
import { assertImage, imageLike } from './internal.js';

/**
 * The pixelwise geometric mean `sqrt(|a| * |b|)`: the original pipeline's way of combining two
 * aligned positives into a new one that keeps the structure both share.
 *
 * NaN: a pixel that is NaN in either input is NaN in the output.
 *
 * @param a - first image, `[rows, cols]`
 * @param b - second image, same shape
 * @returns a new image; Float64 only when both inputs are Float64, else Float32
 * @throws RangeError when the shapes differ
 */
export function geometricMean(a: Image2D, b: Image2D): Image2D {
  assertImage(a, 'geometricMean', 'a');
  assertImage(b, 'geometricMean', 'b');
  const [R, C] = a.shape as [number, number];
  if (b.shape[0] !== R || b.shape[1] !== C) {
    throw new RangeError(
      `geometricMean: shapes differ: a is [${R}, ${C}], b is [${b.shape[0]}, ${b.shape[1]}]`,
    );
  }
  const out = imageLike(b.data instanceof Float64Array ? a : b, R, C);
  const o = out.data;
  const [a0, a1] = a.stride as [number, number];
  const [b0, b1] = b.stride as [number, number];
  const ad = a.data;
  const bd = b.data;
  let k = 0;
  for (let r = 0; r < R; r++) {
    let pa = a.offset + r * a0;
    let pb = b.offset + r * b0;
    for (let c = 0; c < C; c++, pa += a1, pb += b1) o[k++] = Math.sqrt(Math.abs(ad[pa] * bd[pb]));
  }
  return out;
}
