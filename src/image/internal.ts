// Helpers shared by the image operations; not part of the public API.
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { toContiguous, type Image2D, type PixelArray } from '../core/image2d.js';
export { medianInPlace, percentileInPlace } from '../core/order-stats.js';

/** Throw a TypeError unless `img` is a 2-D ndarray over Float32Array/Float64Array with pixels. */
export function assertImage(img: unknown, fn: string, name = 'image'): asserts img is Image2D {
  const a = img as Partial<Image2D> | null | undefined;
  if (
    a === null ||
    typeof a !== 'object' ||
    !Array.isArray(a.shape) ||
    !(a.data instanceof Float32Array || a.data instanceof Float64Array)
  ) {
    throw new TypeError(
      `${fn}: ${name} must be an Image2D (ndarray over Float32Array or Float64Array)`,
    );
  }
  if (a.shape.length !== 2) {
    throw new RangeError(
      `${fn}: ${name} must be 2-D [rows, cols], got shape [${a.shape.join(', ')}]`,
    );
  }
  if (a.shape[0] === 0 || a.shape[1] === 0) {
    throw new RangeError(`${fn}: ${name} is empty (shape [${a.shape.join(', ')}])`);
  }
}

/** Throw unless `value` is a finite number within [min, max]. */
export function assertNumber(
  value: unknown,
  fn: string,
  name: string,
  min = -Infinity,
  max = Infinity,
): asserts value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${fn}: option '${name}' must be a number, got ${String(value)}`);
  }
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(`${fn}: option '${name}' must lie in [${min}, ${max}], got ${value}`);
  }
}

/** Throw unless `value` is an integer within [min, max]. */
export function assertInteger(
  value: unknown,
  fn: string,
  name: string,
  min = -Infinity,
  max = Infinity,
): asserts value is number {
  assertNumber(value, fn, name, min, max);
  if (!Number.isInteger(value)) {
    throw new RangeError(`${fn}: option '${name}' must be an integer, got ${value}`);
  }
}

/** Throw unless `value` is one of `allowed`. */
export function assertOneOf<T extends string | number>(
  value: unknown,
  allowed: readonly T[],
  fn: string,
  name: string,
): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new RangeError(
      `${fn}: option '${name}' must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
}

/** Throw unless `value` is a `[rows, cols]` pair of positive integers. */
export function assertShape(
  value: unknown,
  fn: string,
  name: string,
): asserts value is [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)
  ) {
    throw new RangeError(
      `${fn}: option '${name}' must be [rows, cols] of positive integers, got ${JSON.stringify(value)}`,
    );
  }
}

/** A zero-filled pixel array of the same element type as `like`. */
export function allocLike(like: PixelArray, length: number): PixelArray {
  return like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
}

/** A new contiguous image of `rows x cols` with the element type of `like`. */
export function imageLike(like: Image2D, rows: number, cols: number): Image2D {
  return ndarray(allocLike(like.data, rows * cols), [rows, cols]);
}

/** How `cutWindow` fills the part of a window that lies outside the image. */
export type WindowPad = 'constant' | 'edge' | 'reflect';

/**
 * Index of the image pixel that window index `i` (which may lie outside `[0, n)`) takes its
 * value from under `pad`: itself when inside; the nearest edge for `'edge'`; numpy's `reflect`
 * for `'reflect'`; -1 (fill with the constant) for `'constant'` outside the image.
 */
export function windowIndex(i: number, n: number, pad: WindowPad): number {
  if (i >= 0 && i < n) return i;
  if (pad === 'constant') return -1;
  if (pad === 'edge') return i < 0 ? 0 : n - 1;
  if (n === 1) return 0;
  const period = 2 * n - 2;
  let k = ((i % period) + period) % period;
  if (k >= n) k = period - k;
  return k;
}

/**
 * The `[start, end)` range of image indices (along an axis of length `n`) whose pixels a window
 * of `length` starting at `start` reads under `pad`: the part inside the image, widened to every
 * pixel that `'edge'` or `'reflect'` padding copies. Empty (`start >= end`) when the window
 * misses the image.
 */
export function windowSourceRange(
  start: number,
  length: number,
  n: number,
  pad: WindowPad,
): [start: number, end: number] {
  let lo = Math.max(0, start);
  let hi = Math.min(n, start + length);
  if (pad === 'constant' || lo >= hi || (lo === start && hi === start + length)) return [lo, hi];
  for (let i = start; i < start + length; i++) {
    const k = windowIndex(i, n, pad);
    if (k < lo) lo = k;
    if (k + 1 > hi) hi = k + 1;
  }
  return [lo, hi];
}

/**
 * Where the pixels given to {@link cutWindow} sit in a larger image that is not in memory
 * whole: `img` holds rows `[origin[0], origin[0] + img rows)` and columns
 * `[origin[1], origin[1] + img cols)` of an image of `shape`.
 */
export interface WindowFrame {
  origin: [row: number, col: number];
  shape: [rows: number, cols: number];
}

/**
 * Cut the `rows x cols` window whose top-left corner sits at input `(r0, c0)` (which may be
 * negative or run past the far edge). The in-bounds part is copied through an ndarray view;
 * the rest is filled per `pad`: `value`, the nearest edge pixel, or numpy's 'reflect'.
 *
 * With `frame`, `img` is only part of the image (see {@link WindowFrame}): `(r0, c0)` and the
 * padding refer to the whole image, and every pixel the window reads must lie in `img` (as
 * {@link windowSourceRange} finds them); the result is the same as cutting the whole image.
 */
export function cutWindow(
  img: Image2D,
  r0: number,
  c0: number,
  rows: number,
  cols: number,
  pad: WindowPad = 'constant',
  value = 0,
  frame?: WindowFrame,
): Image2D {
  const [R, C] = frame?.shape ?? (img.shape as [number, number]);
  const [or, oc] = frame?.origin ?? [0, 0];
  const out = imageLike(img, rows, cols);
  const rLo = Math.max(0, r0);
  const rHi = Math.min(R, r0 + rows);
  const cLo = Math.max(0, c0);
  const cHi = Math.min(C, c0 + cols);
  const inside = rLo < rHi && cLo < cHi;
  if (inside && rLo === r0 && cLo === c0 && rHi === r0 + rows && cHi === c0 + cols) {
    copyBlock(out, 0, 0, img, rLo - or, cLo - oc, rows, cols);
    return out;
  }
  if (pad === 'constant' || !inside) {
    if (value !== 0) out.data.fill(value);
    if (inside) copyBlock(out, rLo - r0, cLo - c0, img, rLo - or, cLo - oc, rHi - rLo, cHi - cLo);
    return out;
  }
  const src = img.data;
  const dst = out.data;
  const [s0, s1] = img.stride as [number, number];
  const colIndex = new Int32Array(cols);
  for (let c = 0; c < cols; c++) colIndex[c] = (windowIndex(c0 + c, C, pad) - oc) * s1;
  for (let r = 0; r < rows; r++) {
    const base = img.offset + (windowIndex(r0 + r, R, pad) - or) * s0;
    const o = r * cols;
    for (let c = 0; c < cols; c++) dst[o + c] = src[base + colIndex[c]];
  }
  return out;
}

/**
 * Copy `rows x cols` pixels of `src` from `(sr, sc)` into the contiguous `out` at `(or, oc)`:
 * row by row with `TypedArray#set` (a memory copy) when `src` rows are contiguous and of the
 * same element type, else through an ndarray view.
 */
function copyBlock(
  out: Image2D,
  or: number,
  oc: number,
  src: Image2D,
  sr: number,
  sc: number,
  rows: number,
  cols: number,
): void {
  const [s0, s1] = src.stride as [number, number];
  const dst = out.data;
  const from = src.data;
  if (s1 !== 1 || dst.constructor !== from.constructor) {
    ops.assign(out.hi(or + rows, oc + cols).lo(or, oc), src.hi(sr + rows, sc + cols).lo(sr, sc));
    return;
  }
  const width = out.shape[1];
  for (let r = 0; r < rows; r++) {
    const at = src.offset + (sr + r) * s0 + sc;
    (dst as Float32Array).set(
      (from as Float32Array).subarray(at, at + cols),
      (or + r) * width + oc,
    );
  }
}

/** `[row, col]` of the largest non-NaN value, first in row-major order on ties (numpy `nanargmax`); `undefined` when every pixel is NaN. */
export function nanArgmax(img: Image2D): [number, number] | undefined {
  const R = img.shape[0];
  const C = img.shape[1];
  const s0 = img.stride[0];
  const s1 = img.stride[1];
  const d = img.data;
  let best = -Infinity;
  let br = -1;
  let bc = -1;
  for (let r = 0; r < R; r++) {
    const p0 = img.offset + r * s0;
    // The row's largest value above the best so far (NaN never compares above anything), in
    // four running maxima: the comparisons do not wait on each other (twice as fast as one).
    let m0 = best;
    let m1 = best;
    let m2 = best;
    let m3 = best;
    let c = 0;
    if (s1 === 1) {
      for (; c + 4 <= C; c += 4) {
        const p = p0 + c;
        const a = d[p];
        const b = d[p + 1];
        const e = d[p + 2];
        const f = d[p + 3];
        if (a > m0) m0 = a;
        if (b > m1) m1 = b;
        if (e > m2) m2 = e;
        if (f > m3) m3 = f;
      }
    }
    for (let p = p0 + c * s1; c < C; c++, p += s1) {
      const v = d[p];
      if (v > m0) m0 = v;
    }
    let m = m0;
    if (m1 > m) m = m1;
    if (m2 > m) m = m2;
    if (m3 > m) m = m3;
    if (m > best) {
      // The first pixel of the row with that value.
      best = m;
      br = r;
      for (let k = 0, p = p0; k < C; k++, p += s1) {
        if (d[p] === m) {
          bc = k;
          break;
        }
      }
    } else if (br < 0) {
      // Nothing above -Infinity yet: the first -Infinity pixel is the peak so far.
      for (let k = 0, p = p0; k < C; k++, p += s1) {
        if (d[p] === -Infinity) {
          br = r;
          bc = k;
          break;
        }
      }
    }
  }
  return br < 0 ? undefined : [br, bc];
}

/**
 * The pixels of `img` in row-major order and where they start: the image's own buffer when it
 * is already C-contiguous (no copy), else a contiguous copy.
 */
export function rowMajor(img: Image2D): { data: PixelArray; offset: number } {
  const [, C] = img.shape as [number, number];
  const [s0, s1] = img.stride as [number, number];
  if (s1 === 1 && (s0 === C || img.shape[0] === 1)) return { data: img.data, offset: img.offset };
  return { data: toContiguous(img), offset: 0 };
}

/** scipy.ndimage's 'mirror' boundary (d c b | a b c d | c b a) for an integer index. */
export function mirrorIndex(i: number, n: number): number {
  if (n <= 1) return 0;
  const period = 2 * n - 2;
  if (i < 0) {
    i = period * Math.trunc(-i / period) + i;
    return i <= 1 - n ? i + period : -i;
  }
  if (i >= n) {
    i -= period * Math.trunc(i / period);
    if (i >= n) i = period - i;
  }
  return i;
}

/** The finite pixels of `img` as a new Float64Array. */
export function finitePixels(img: Image2D): Float64Array {
  const [R, C] = img.shape as [number, number];
  const [s0, s1] = img.stride as [number, number];
  const d = img.data;
  const out = new Float64Array(R * C);
  let n = 0;
  for (let r = 0; r < R; r++) {
    let p = img.offset + r * s0;
    for (let c = 0; c < C; c++, p += s1) {
      const v = d[p];
      if (Number.isFinite(v)) out[n++] = v;
    }
  }
  return out.subarray(0, n);
}
