// Helpers shared by the image operations; not part of the public API.
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { toContiguous, type Image2D, type PixelArray } from '../core/image2d.js';

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
 * Cut the `rows x cols` window whose top-left corner sits at input `(r0, c0)` (which may be
 * negative or run past the far edge). The in-bounds part is copied through an ndarray view;
 * the rest is filled per `pad`: `value`, the nearest edge pixel, or numpy's 'reflect'.
 */
export function cutWindow(
  img: Image2D,
  r0: number,
  c0: number,
  rows: number,
  cols: number,
  pad: WindowPad = 'constant',
  value = 0,
): Image2D {
  const [R, C] = img.shape as [number, number];
  const out = imageLike(img, rows, cols);
  const rLo = Math.max(0, r0);
  const rHi = Math.min(R, r0 + rows);
  const cLo = Math.max(0, c0);
  const cHi = Math.min(C, c0 + cols);
  const inside = rLo < rHi && cLo < cHi;
  if (inside && rLo === r0 && cLo === c0 && rHi === r0 + rows && cHi === c0 + cols) {
    ops.assign(out, img.hi(rHi, cHi).lo(rLo, cLo));
    return out;
  }
  if (pad === 'constant' || !inside) {
    if (value !== 0) ops.assigns(out, value);
    if (inside) {
      ops.assign(out.hi(rHi - r0, cHi - c0).lo(rLo - r0, cLo - c0), img.hi(rHi, cHi).lo(rLo, cLo));
    }
    return out;
  }
  const mapIndex = (i: number, n: number): number => {
    if (pad === 'edge') return i < 0 ? 0 : i >= n ? n - 1 : i;
    if (n === 1) return 0;
    const period = 2 * n - 2;
    let k = ((i % period) + period) % period;
    if (k >= n) k = period - k;
    return k;
  };
  const src = img.data;
  const dst = out.data;
  const [s0, s1] = img.stride as [number, number];
  const colIndex = new Int32Array(cols);
  for (let c = 0; c < cols; c++) colIndex[c] = mapIndex(c0 + c, C) * s1;
  for (let r = 0; r < rows; r++) {
    const base = img.offset + mapIndex(r0 + r, R) * s0;
    const o = r * cols;
    for (let c = 0; c < cols; c++) dst[o + c] = src[base + colIndex[c]];
  }
  return out;
}

/** `[row, col]` of the largest non-NaN value, first in row-major order on ties (numpy `nanargmax`); `undefined` when every pixel is NaN. */
export function nanArgmax(img: Image2D): [number, number] | undefined {
  const [R, C] = img.shape as [number, number];
  const [s0, s1] = img.stride as [number, number];
  const d = img.data;
  let best = -Infinity;
  let br = -1;
  let bc = -1;
  for (let r = 0; r < R; r++) {
    let p = img.offset + r * s0;
    for (let c = 0; c < C; c++, p += s1) {
      const v = d[p];
      if (v > best || (br < 0 && v === -Infinity)) {
        best = v;
        br = r;
        bc = c;
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

/** The k-th smallest of `a[0..n)` (0-based) by quickselect; reorders `a`. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** numpy's `median` of `a` (mean of the two middle values for even length); reorders `a`. NaN when empty. */
export function medianInPlace(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  const upper = select(a, n >> 1);
  if (n & 1) return upper;
  let lower = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/** numpy's `percentile` (linear interpolation) of `a` at `q` in [0, 100]; reorders `a`. */
export function percentileInPlace(a: Float64Array, q: number): number {
  const n = a.length;
  if (n === 0) return NaN;
  const pos = (q / 100) * (n - 1);
  const i = Math.floor(pos);
  const lower = select(a, i);
  if (i + 1 >= n || pos === i) return lower;
  let upper = Infinity;
  for (let k = i + 1; k < n; k++) if (a[k] < upper) upper = a[k];
  return lower + (upper - lower) * (pos - i);
}
