import ops from 'ndarray-ops';
import type { Image2D } from '../core/image2d.js';
import { assertImage, assertOneOf, imageLike } from './internal.js';

/**
 * Which way {@link flip} mirrors: `'lr'` reverses the columns (numpy `fliplr`), `'ud'` the rows
 * (`flipud`), `'both'` both (`np.flip`, a 180° rotation).
 */
export type FlipAxis = 'lr' | 'ud' | 'both';

/**
 * Mirror the image left-right, up-down or both.
 *
 * NaN: pixels are moved unchanged, NaN included.
 *
 * @param img - the image, `[rows, cols]`
 * @param axis - see {@link FlipAxis}
 * @returns a new contiguous image of the same element type
 * @throws RangeError when `axis` is not `'lr'`, `'ud'` or `'both'`
 */
export function flip(img: Image2D, axis: FlipAxis): Image2D {
  assertImage(img, 'flip');
  assertOneOf(axis, ['lr', 'ud', 'both'] as const, 'flip', 'axis');
  const view = img.step(axis === 'lr' ? 1 : -1, axis === 'ud' ? 1 : -1);
  const out = imageLike(img, img.shape[0], img.shape[1]);
  ops.assign(out, view);
  return out;
}
