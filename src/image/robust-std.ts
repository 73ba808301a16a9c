import type { Image2D } from '../core/image2d.js';
import { finitePixels, medianInPlace } from './internal.js';

/** Scale from the median absolute deviation to the standard deviation of a Gaussian. */
export const MAD_TO_STD = 1.4826;

/**
 * A noise estimate that bright sources barely move: `1.4826 * median(|x - median(x)|)` over
 * the finite values, which equals the standard deviation for Gaussian noise.
 *
 * NaN: NaN and ±Infinity are left out; with no finite value at all the result is NaN.
 *
 * @param values - an image or any list of numbers
 * @returns the robust standard deviation, in the values' units
 */
export function robustStd(values: Image2D | ArrayLike<number>): number {
  const finite = isImage(values) ? finitePixels(values) : finiteOf(values);
  if (finite.length === 0) return NaN;
  const med = medianInPlace(finite);
  for (let i = 0; i < finite.length; i++) finite[i] = Math.abs(finite[i] - med);
  return MAD_TO_STD * medianInPlace(finite);
}

function isImage(v: Image2D | ArrayLike<number>): v is Image2D {
  return typeof v === 'object' && v !== null && 'shape' in v && 'stride' in v && 'data' in v;
}

function finiteOf(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) out[n++] = v;
  }
  return out.subarray(0, n);
}
