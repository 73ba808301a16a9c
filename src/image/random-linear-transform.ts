import type { Image2D } from '../core/image2d.js';
import type { Rng } from '../core/random.js';
import { flip as flipImage } from './flip.js';
import { assertImage, assertInteger, assertNumber, cutWindow } from './internal.js';
import { resize } from './resize.js';
import { rotate, type InterpolationOrder } from './rotate.js';

/** Options of {@link randomLinearTransform}. */
export interface RandomLinearTransformOptions {
  /** The image is first resized to `s x s` with `s` a uniform integer in this range. Default `[150, 350]`. */
  sizeRange?: [min: number, max: number];
  /** Then rotated by a uniform angle in this range, in degrees. Default `[0, 360]`. */
  angleRange?: [min: number, max: number];
  /** Then flipped left-right and up-down, each with probability 1/2. Default true. */
  flip?: boolean;
  /** Side of the square output crop. Default 100 (the model's input). */
  output?: number;
  /** The crop's centre moves by a uniform integer in `[-jitter, jitter]` on each axis. Default 5. */
  jitter?: number;
  /** Interpolation order of the resize and rotation. Default 1. */
  order?: InterpolationOrder;
}

/** Defaults of {@link RandomLinearTransformOptions}: the original pipeline's augmentation. */
export const DEFAULT_RANDOM_LINEAR_TRANSFORM_OPTIONS: Required<RandomLinearTransformOptions> = {
  sizeRange: [150, 350],
  angleRange: [0, 360],
  flip: true,
  output: 100,
  jitter: 5,
  order: 1,
};

/**
 * The original pipeline's augmentation as one seeded step: resize to a random square size,
 * rotate by a random angle ({@link rotate}, zero outside), flip at random, and cut an
 * `output x output` window whose centre is jittered by up to `jitter` pixels. Draws from `rng`
 * in a fixed order (size, angle, flips, jitter), so the same seed gives the same output.
 * Parts of the window outside the image are 0.
 *
 * NaN: follows {@link resize} and {@link rotate}, which spread NaN into neighbouring pixels;
 * replace NaN first (e.g. {@link normalize}) for training data.
 *
 * @param img - the image, `[rows, cols]`
 * @param rng - the seeded generator (advanced by this call)
 * @param opts - see {@link RandomLinearTransformOptions}
 * @returns a new `output x output` image of the same element type
 * @throws RangeError on invalid ranges or sizes
 */
export function randomLinearTransform(
  img: Image2D,
  rng: Rng,
  opts: RandomLinearTransformOptions = {},
): Image2D {
  const fn = 'randomLinearTransform';
  assertImage(img, fn);
  if (rng === null || typeof rng !== 'object' || typeof rng.next !== 'function') {
    throw new TypeError(`${fn}: rng must be an Rng (see createRng)`);
  }
  const o = { ...DEFAULT_RANDOM_LINEAR_TRANSFORM_OPTIONS, ...opts };
  checkRange(o.sizeRange, fn, 'sizeRange', true);
  checkRange(o.angleRange, fn, 'angleRange', false);
  assertInteger(o.output, fn, 'output', 1);
  assertInteger(o.jitter, fn, 'jitter', 0);
  if (typeof o.flip !== 'boolean') {
    throw new TypeError(`${fn}: option 'flip' must be a boolean, got ${String(o.flip)}`);
  }
  const size = rng.int(o.sizeRange[0], o.sizeRange[1]);
  const angle = rng.uniform(o.angleRange[0], o.angleRange[1]);
  const flipLr = o.flip && rng.next() < 0.5;
  const flipUd = o.flip && rng.next() < 0.5;
  const dr = rng.int(-o.jitter, o.jitter);
  const dc = rng.int(-o.jitter, o.jitter);

  let out = resize(img, [size, size], { order: o.order });
  out = rotate(out, angle, { order: o.order });
  if (flipLr && flipUd) out = flipImage(out, 'both');
  else if (flipLr) out = flipImage(out, 'lr');
  else if (flipUd) out = flipImage(out, 'ud');
  const h = Math.floor(o.output / 2);
  const r0 = Math.floor(size / 2) + dr - h;
  const c0 = Math.floor(size / 2) + dc - h;
  return cutWindow(out, r0, c0, o.output, o.output);
}

function checkRange(v: unknown, fn: string, name: string, integer: boolean): void {
  if (!Array.isArray(v) || v.length !== 2) {
    throw new RangeError(`${fn}: option '${name}' must be [min, max], got ${JSON.stringify(v)}`);
  }
  if (integer) {
    assertInteger(v[0], fn, name, 1);
    assertInteger(v[1], fn, name, v[0]);
  } else {
    assertNumber(v[0], fn, name);
    assertNumber(v[1], fn, name, v[0]);
  }
}
