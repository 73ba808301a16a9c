import type { Image2D } from '../core/image2d.js';
import {
  assertImage,
  assertNumber,
  assertOneOf,
  imageLike,
  mirrorIndex,
  rowMajor,
} from './internal.js';
import { splineFilter3 } from './spline.js';

/** Interpolation orders supported by {@link rotate} and {@link resize}: nearest, bilinear, cubic B-spline. */
export type InterpolationOrder = 0 | 1 | 3;

/** Options of {@link rotate}. */
export interface RotateOptions {
  /** 0 nearest, 1 bilinear, 3 cubic B-spline with scipy's prefilter. Default 1. */
  order?: InterpolationOrder;
  /** Grow the output so the whole rotated image fits (scipy's `reshape=True`). Default false. */
  reshape?: boolean;
  /** Value of output pixels that map outside the input. Default 0. */
  cval?: number;
}

/** Defaults of {@link RotateOptions}. */
export const DEFAULT_ROTATE_OPTIONS: Required<RotateOptions> = {
  order: 1,
  reshape: false,
  cval: 0,
};

// Minimax polynomials of sin and cos on [0°, 45°] (Cephes' sindg/cosdg, as scipy.special has
// them): scipy.ndimage.rotate takes its matrix from those, so using the same ones puts every
// sample coordinate, and every nearest-neighbour tie, where scipy puts it.
// The literals are the float64 values of Cephes' 20-digit constants.
const SIN_COEF = [
  1.5896230157221844e-10, -2.5050747762850355e-8, 2.7557313621385676e-6, -1.984126982958954e-4,
  8.333333333322118e-3, -1.666666666666663e-1,
];
const COS_COEF = [
  1.1367817138204455e-11, -2.0875883375768363e-9, 2.7557315542981663e-7, -2.480158729361863e-5,
  1.3888888888880667e-3, -4.166666666666664e-2, 0.5,
];
const RAD_PER_DEG = 1.7453292519943295e-2;

function poly(x: number, coef: readonly number[]): number {
  let acc = coef[0];
  for (let i = 1; i < coef.length; i++) acc = acc * x + coef[i];
  return acc;
}

/**
 * cos and sin of an angle in degrees, exact at multiples of 90° so a quarter turn moves
 * pixels without interpolation error: reduce to an octant, then evaluate on [0°, 45°].
 */
function cosSinDeg(degrees: number): [cos: number, sin: number] {
  const x = Math.abs(degrees);
  let y = Math.floor(x / 45);
  let octant = y - 16 * Math.floor(y / 16);
  if (octant & 1) {
    octant += 1;
    y += 1;
  }
  octant &= 7;
  let sinSign = degrees < 0 ? -1 : 1;
  let cosSign = 1;
  if (octant > 3) {
    sinSign = -sinSign;
    cosSign = -cosSign;
    octant -= 4;
  }
  if (octant > 1) cosSign = -cosSign;
  const z = (x - y * 45) * RAD_PER_DEG;
  const zz = z * z;
  const sinPart = z + z * (zz * poly(zz, SIN_COEF));
  const cosPart = 1 - zz * poly(zz, COS_COEF);
  const swap = octant === 1 || octant === 2;
  return [cosSign * (swap ? sinPart : cosPart), sinSign * (swap ? cosPart : sinPart)];
}

/**
 * `a * b + c` with a single rounding (Dekker's exact product, then an exact sum). scipy forms
 * its rotation centre and bounding box with numpy `@`, which on x86-64 runs FMA kernels; doing
 * the same here keeps sample coordinates, and so nearest-neighbour ties, identical to scipy's.
 */
function fma(a: number, b: number, c: number): number {
  const p = a * b;
  const split = 134217729; // 2^27 + 1
  const ta = split * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = split * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  const s = p + c;
  const v = s - p;
  const t = p - (s - v) + (c - v);
  return s + (t + e);
}

/**
 * The shape of `rotate(img, degrees, { reshape })`'s output: the input shape, or with
 * `reshape` the bounding box of the rotated image, `trunc(extent + 0.5)` per axis as scipy
 * computes it.
 *
 * @param shape - input `[rows, cols]`
 * @param degrees - rotation angle
 * @param reshape - as {@link RotateOptions.reshape}
 */
export function rotatedShape(
  shape: [rows: number, cols: number],
  degrees: number,
  reshape: boolean,
): [rows: number, cols: number] {
  if (!reshape) return [shape[0], shape[1]];
  const [c, s] = cosSinDeg(degrees);
  const [iy, ix] = shape;
  const ys = [0, fma(s, ix, 0), c * iy, fma(s, ix, c * iy)];
  const xs = [0, fma(c, ix, 0), -s * iy, fma(c, ix, -s * iy)];
  return [
    Math.trunc(Math.max(...ys) - Math.min(...ys) + 0.5),
    Math.trunc(Math.max(...xs) - Math.min(...xs) + 0.5),
  ];
}

/**
 * Rotate the image by `degrees` about its centre, matching
 * `scipy.ndimage.rotate(img, degrees, reshape, order, mode='constant', cval)`.
 *
 * Angle sense: positive `degrees` turn the picture counter-clockwise as displayed with row 0 at
 * the top (matplotlib `origin='upper'`); with row 0 at the bottom (`origin='lower'`, the usual
 * sky view) it appears clockwise. Output pixel `o` samples the input at
 * `[[cos, sin], [-sin, cos]] · (o - outCentre) + inCentre` (coordinates `[row, col]`, centres
 * at `(n - 1) / 2`); samples outside `[0, n - 1]` on either axis get `cval`. Order 3 first turns
 * the pixels into cubic B-spline coefficients with scipy's mirror-symmetric boundary.
 *
 * NaN: with order 0 a NaN pixel lands where it maps; with order 1 it turns every output pixel
 * whose 2 x 2 neighbourhood touches it into NaN; with order 3 the prefilter spreads any NaN over
 * the whole output (as scipy). Replace NaN first (e.g. {@link normalize}) when that matters.
 *
 * @param img - the image, `[rows, cols]`
 * @param degrees - rotation angle in degrees
 * @param opts - see {@link RotateOptions}
 * @returns a new image of the same element type; shape from {@link rotatedShape}
 * @throws RangeError on a non-finite angle or invalid options
 */
export function rotate(img: Image2D, degrees: number, opts: RotateOptions = {}): Image2D {
  return rotateWindow(img, degrees, opts);
}

/**
 * The window `rows x cols` (half-open ranges of the output) of `rotate(img, degrees, opts)`,
 * computed alone: the same pixels, bit for bit, as cutting them from the whole rotated image,
 * at the cost of the window (plus, for order 3, the prefilter of the whole input). Not part of
 * the public API.
 *
 * With `frame` (orders 0 and 1 only), `img` is only part of the image to rotate: rows
 * `[origin[0], origin[0] + img rows)` and the columns likewise of an image of `frame.shape`,
 * which sets the geometry. Every input pixel the window samples must lie in that part (a square
 * around the centre `ceil((side + 2) / √2) + 3` pixels each way holds every pixel a centred
 * window of `side` samples, at any angle).
 */
export function rotateWindow(
  img: Image2D,
  degrees: number,
  opts: RotateOptions = {},
  window?: { rows: [start: number, end: number]; cols: [start: number, end: number] },
  frame?: { origin: [row: number, col: number]; shape: [rows: number, cols: number] },
): Image2D {
  const fn = 'rotate';
  assertImage(img, fn);
  assertNumber(degrees, fn, 'degrees');
  const { order, reshape, cval } = { ...DEFAULT_ROTATE_OPTIONS, ...opts };
  assertOneOf(order, [0, 1, 3] as const, fn, 'order');
  if (typeof reshape !== 'boolean') {
    throw new TypeError(`${fn}: option 'reshape' must be a boolean, got ${String(reshape)}`);
  }
  if (typeof cval !== 'number') {
    throw new TypeError(`${fn}: option 'cval' must be a number, got ${String(cval)}`);
  }
  const [R, C] = frame?.shape ?? (img.shape as [number, number]);
  if (frame !== undefined && order === 3) {
    throw new RangeError(`${fn}: order 3 needs the whole image (its prefilter reads every pixel)`);
  }
  const [oR, oC] = rotatedShape([R, C], degrees, reshape);
  const [c, s] = cosSinDeg(degrees);
  // scipy: input = M · output + offset with M = [[c, s], [-s, c]], centres at (n - 1) / 2.
  const hr = (oR - 1) / 2;
  const hc = (oC - 1) / 2;
  const off0 = (R - 1) / 2 - fma(c, hr, s * hc);
  const off1 = (C - 1) / 2 - fma(-s, hr, c * hc);
  const [r0, r1] = window?.rows ?? [0, oR];
  const [c0, c1] = window?.cols ?? [0, oC];
  if (!(Number.isInteger(r0) && Number.isInteger(r1) && 0 <= r0 && r0 < r1 && r1 <= oR)) {
    throw new RangeError(`${fn}: window rows [${r0}, ${r1}) outside the ${oR} output rows`);
  }
  if (!(Number.isInteger(c0) && Number.isInteger(c1) && 0 <= c0 && c0 < c1 && c1 <= oC)) {
    throw new RangeError(`${fn}: window cols [${c0}, ${c1}) outside the ${oC} output columns`);
  }
  const out = imageLike(img, r1 - r0, c1 - c0);
  const params: Affine = { m00: c, m01: s, m10: -s, m11: c, off0, off1, cval, r0, r1, c0, c1 };
  if (order === 3) {
    const { data, offset } = rowMajor(img);
    const coef = new Float64Array(R * C);
    for (let i = 0; i < coef.length; i++) coef[i] = data[offset + i];
    splineFilter3(coef, R, C);
    sampleCubic(coef, R, C, out.data, params);
  } else {
    const { data, offset } = rowMajor(img);
    // Pixel (i, j) of the image lies at data[base + i * stride + j].
    const stride = img.shape[1];
    const base = offset - (frame ? frame.origin[0] * stride + frame.origin[1] : 0);
    if (order === 1) sampleLinear(data, base, stride, R, C, out.data, params);
    else sampleNearest(data, base, stride, R, C, out.data, params);
  }
  return out;
}

/** The sampling: matrix, offset, fill value, and the window `[r0, r1) x [c0, c1)` of the output to fill. */
interface Affine {
  m00: number;
  m01: number;
  m10: number;
  m11: number;
  off0: number;
  off1: number;
  cval: number;
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

type Pixels = Float32Array | Float64Array;

/**
 * Output is produced in square tiles so each tile's input footprint stays in cache (a rotated
 * row of a large image would otherwise touch hundreds of input rows per output row).
 */
const TILE = 64;

// The coordinate arithmetic below keeps scipy's order of operations, (r·m0 + c·m1) + offset,
// so in/out decisions at the image edge fall exactly where scipy's do.

function sampleNearest(
  d: Pixels,
  base: number,
  stride: number,
  R: number,
  C: number,
  out: Pixels,
  t: Affine,
): void {
  const { m00, m01, m10, m11, off0, off1, cval, r0, r1, c0, c1 } = t;
  const oC = c1 - c0;
  const rMax = R - 1;
  const cMax = C - 1;
  for (let tr = r0; tr < r1; tr += TILE) {
    const rEnd = Math.min(r1, tr + TILE);
    for (let tc = c0; tc < c1; tc += TILE) {
      const cEnd = Math.min(c1, tc + TILE);
      for (let r = tr; r < rEnd; r++) {
        const a0 = r * m00;
        const a1 = r * m10;
        for (let col = tc, k = (r - r0) * oC + (tc - c0); col < cEnd; col++, k++) {
          const y = a0 + col * m01 + off0;
          const x = a1 + col * m11 + off1;
          if (y >= 0 && y <= rMax && x >= 0 && x <= cMax) {
            out[k] = d[base + Math.floor(y + 0.5) * stride + Math.floor(x + 0.5)];
          } else {
            out[k] = cval;
          }
        }
      }
    }
  }
}

function sampleLinear(
  d: Pixels,
  base: number,
  stride: number,
  R: number,
  C: number,
  out: Pixels,
  t: Affine,
): void {
  const { m00, m01, m10, m11, off0, off1, cval, r0, r1, c0, c1 } = t;
  const oC = c1 - c0;
  const rMax = R - 1;
  const cMax = C - 1;
  // At the last row/column the second tap has weight 0 and scipy mirrors it inward.
  const lastRowStep = R > 1 ? -stride : 0;
  const lastColStep = C > 1 ? -1 : 0;
  for (let tr = r0; tr < r1; tr += TILE) {
    const rEnd = Math.min(r1, tr + TILE);
    for (let tc = c0; tc < c1; tc += TILE) {
      const cEnd = Math.min(c1, tc + TILE);
      for (let r = tr; r < rEnd; r++) {
        const a0 = r * m00;
        const a1 = r * m10;
        for (let col = tc, k = (r - r0) * oC + (tc - c0); col < cEnd; col++, k++) {
          const y = a0 + col * m01 + off0;
          const x = a1 + col * m11 + off1;
          if (!(y >= 0 && y <= rMax && x >= 0 && x <= cMax)) {
            out[k] = cval;
            continue;
          }
          const i = y | 0;
          const j = x | 0;
          const wr0 = 1 - (y - i);
          const wr1 = 1 - wr0;
          const wc0 = 1 - (x - j);
          const wc1 = 1 - wc0;
          const p = base + i * stride + j;
          const dr = i < rMax ? stride : lastRowStep;
          const dc = j < cMax ? 1 : lastColStep;
          out[k] =
            d[p] * wr0 * wc0 +
            d[p + dc] * wr0 * wc1 +
            d[p + dr] * wr1 * wc0 +
            d[p + dr + dc] * wr1 * wc1;
        }
      }
    }
  }
}

function sampleCubic(coef: Float64Array, R: number, C: number, out: Pixels, t: Affine): void {
  const { m00, m01, m10, m11, off0, off1, cval, r0, r1, c0, c1 } = t;
  const oC = c1 - c0;
  const rMax = R - 1;
  const cMax = C - 1;
  const w = new Float64Array(8);
  const rowAt = new Int32Array(4);
  const colAt = new Int32Array(4);
  for (let tr = r0; tr < r1; tr += TILE) {
    const rEnd = Math.min(r1, tr + TILE);
    for (let tc = c0; tc < c1; tc += TILE) {
      const cEnd = Math.min(c1, tc + TILE);
      for (let r = tr; r < rEnd; r++) {
        const a0 = r * m00;
        const a1 = r * m10;
        for (let col = tc, k = (r - r0) * oC + (tc - c0); col < cEnd; col++, k++) {
          const y = a0 + col * m01 + off0;
          const x = a1 + col * m11 + off1;
          if (!(y >= 0 && y <= rMax && x >= 0 && x <= cMax)) {
            out[k] = cval;
            continue;
          }
          const i = y | 0;
          const j = x | 0;
          const fy = y - i;
          const fx = x - j;
          const z = 1 - fy;
          const wr0 = (z * z * z) / 6;
          const wr1 = (fy * fy * (fy - 2) * 3 + 4) / 6;
          const wr2 = (z * z * (z - 2) * 3 + 4) / 6;
          const wr3 = 1 - wr0 - wr1 - wr2;
          const u = 1 - fx;
          const wc0 = (u * u * u) / 6;
          const wc1 = (fx * fx * (fx - 2) * 3 + 4) / 6;
          const wc2 = (u * u * (u - 2) * 3 + 4) / 6;
          const wc3 = 1 - wc0 - wc1 - wc2;
          if (i >= 1 && i + 2 < R && j >= 1 && j + 2 < C) {
            let p = (i - 1) * C + (j - 1);
            const s0 = coef[p] * wc0 + coef[p + 1] * wc1 + coef[p + 2] * wc2 + coef[p + 3] * wc3;
            p += C;
            const s1 = coef[p] * wc0 + coef[p + 1] * wc1 + coef[p + 2] * wc2 + coef[p + 3] * wc3;
            p += C;
            const s2 = coef[p] * wc0 + coef[p + 1] * wc1 + coef[p + 2] * wc2 + coef[p + 3] * wc3;
            p += C;
            const s3 = coef[p] * wc0 + coef[p + 1] * wc1 + coef[p + 2] * wc2 + coef[p + 3] * wc3;
            out[k] = wr0 * s0 + wr1 * s1 + wr2 * s2 + wr3 * s3;
            continue;
          }
          // Near an edge the taps that fall outside are mirrored back in, as scipy does.
          w[0] = wr0;
          w[1] = wr1;
          w[2] = wr2;
          w[3] = wr3;
          w[4] = wc0;
          w[5] = wc1;
          w[6] = wc2;
          w[7] = wc3;
          for (let q = 0; q < 4; q++) {
            rowAt[q] = mirrorIndex(i - 1 + q, R) * C;
            colAt[q] = mirrorIndex(j - 1 + q, C);
          }
          let acc = 0;
          for (let a = 0; a < 4; a++) {
            const rp = rowAt[a];
            const sum =
              coef[rp + colAt[0]] * w[4] +
              coef[rp + colAt[1]] * w[5] +
              coef[rp + colAt[2]] * w[6] +
              coef[rp + colAt[3]] * w[7];
            acc += w[a] * sum;
          }
          out[k] = acc;
        }
      }
    }
  }
}
