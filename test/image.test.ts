import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cloneImage, createImage2D, toContiguous, type Image2D } from '../src/core/image2d.js';
import { createRng } from '../src/core/random.js';
import { requireImage } from '../src/fits/read.js';
import { readFitsFile } from '../src/fits/index.node.js';
import {
  cropAround,
  addNoise,
  cropAroundMax,
  cropCenter,
  cropCenterFraction,
  findSources,
  flip,
  gaussianBlur,
  geometricMean,
  normalize,
  pad,
  principalAngle,
  randomLinearTransform,
  resize,
  robustStd,
  rotate,
  rotatedShape,
} from '../src/image/index.js';
import { rotateWindow } from '../src/image/rotate.js';

const fitsDir = new URL('./fixtures/fits/', import.meta.url);
const COS850 = 'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits';

/** A `rows x cols` image with reproducible, all-distinct values. */
function ramp(rows: number, cols: number, seed = 1): Image2D {
  const rng = createRng(seed);
  const img = createImage2D(rows, cols);
  for (let i = 0; i < img.data.length; i++) img.data[i] = rng.normal();
  return img;
}

const pixels = (img: Image2D): number[] => Array.from(toContiguous(img));

/** An elongated Gaussian whose major axis points `degrees` counter-clockwise from +col (row 0 on top). */
function ellipse(size: number, degrees: number, sigmaMajor = 14, sigmaMinor = 3.5): Image2D {
  const img = createImage2D(size, size);
  const t = (degrees * Math.PI) / 180;
  const c0 = (size - 1) / 2;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const x = c - c0;
      const y = -(r - c0);
      const a = x * Math.cos(t) + y * Math.sin(t);
      const b = -x * Math.sin(t) + y * Math.cos(t);
      img.set(r, c, Math.exp(-(a * a) / (2 * sigmaMajor ** 2) - (b * b) / (2 * sigmaMinor ** 2)));
    }
  }
  return img;
}

/** Weighted second moments [mrr, mcc, mrc] of the pixels above 20 % of the peak. */
function moments(img: Image2D): [number, number, number] {
  const [R, C] = img.shape;
  let peak = -Infinity;
  for (let i = 0; i < img.size; i++) peak = Math.max(peak, img.data[i]);
  let sw = 0;
  let sr = 0;
  let sc = 0;
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const v = img.get(r, c);
      if (v < 0.2 * peak) continue;
      sw += v;
      sr += v * r;
      sc += v * c;
    }
  }
  const mr = sr / sw;
  const mc = sc / sw;
  let rr = 0;
  let cc = 0;
  let rc = 0;
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      const v = img.get(r, c);
      if (v < 0.2 * peak) continue;
      rr += v * (r - mr) ** 2;
      cc += v * (c - mc) ** 2;
      rc += v * (r - mr) * (c - mc);
    }
  }
  return [rr / sw, cc / sw, rc / sw];
}

describe('flip', () => {
  it('flipping twice is the identity, for every axis', () => {
    const img = ramp(5, 7);
    for (const axis of ['lr', 'ud', 'both'] as const) {
      expect(pixels(flip(flip(img, axis), axis))).toEqual(pixels(img));
    }
  });
  it('lr reverses the columns and ud the rows', () => {
    const img = ramp(3, 4);
    expect(flip(img, 'lr').get(1, 0)).toBe(img.get(1, 3));
    expect(flip(img, 'ud').get(0, 2)).toBe(img.get(2, 2));
    expect(flip(img, 'both').get(0, 0)).toBe(img.get(2, 3));
  });
  it('returns a contiguous copy even from a strided view', () => {
    const img = ramp(6, 6);
    const view = img.step(2, 2);
    const out = flip(view, 'lr');
    expect(out.stride).toEqual([3, 1]);
    expect(out.get(0, 0)).toBe(img.get(0, 4));
  });
});

describe('rotate', () => {
  it('by 0 degrees is the identity (orders 0 and 1 exactly, order 3 to float precision)', () => {
    const img = ramp(9, 12);
    expect(pixels(rotate(img, 0, { order: 0 }))).toEqual(pixels(img));
    expect(pixels(rotate(img, 0, { order: 1 }))).toEqual(pixels(img));
    const cubic = pixels(rotate(img, 0, { order: 3 }));
    pixels(img).forEach((v, i) => expect(cubic[i]).toBeCloseTo(v, 5));
  });
  it('by 90 degrees with order 0 equals a transpose followed by an up-down flip (np.rot90)', () => {
    const img = ramp(5, 7);
    const out = rotate(img, 90, { order: 0, reshape: true });
    expect([...out.shape]).toEqual([7, 5]);
    expect(pixels(out)).toEqual(pixels(flip(cloneImage(img.transpose(1, 0)), 'ud')));
    const square = ramp(6, 6);
    expect(pixels(rotate(square, 90, { order: 0 }))).toEqual(
      pixels(flip(cloneImage(square.transpose(1, 0)), 'ud')),
    );
  });
  it('four quarter turns give the image back, and 180 degrees equals flip both', () => {
    const img = ramp(8, 8);
    let out = img;
    for (let i = 0; i < 4; i++) out = rotate(out, 90, { order: 1 });
    expect(pixels(out)).toEqual(pixels(img));
    expect(pixels(rotate(img, 180, { order: 1 }))).toEqual(pixels(flip(img, 'both')));
  });
  it('a window of the output, computed alone, is that window of the whole output bit for bit', () => {
    const img = ramp(23, 30);
    img.set(4, 5, NaN);
    for (const order of [0, 1, 3] as const) {
      for (const degrees of [0, 13.7, -90, 211]) {
        for (const reshape of [false, true]) {
          const opts = { order, reshape, cval: -3 };
          const whole = rotate(img, degrees, opts);
          const [R, C] = whole.shape;
          for (const [rows, cols] of [
            [
              [0, R],
              [0, C],
            ],
            [
              [3, 9],
              [2, C - 1],
            ],
            [
              [R - 1, R],
              [0, 1],
            ],
          ] as [number, number][][]) {
            const part = rotateWindow(img, degrees, opts, {
              rows: rows as [number, number],
              cols: cols as [number, number],
            });
            const want = toContiguous(whole.hi(rows[1], cols[1]).lo(rows[0], cols[0]));
            expect(Buffer.from(toContiguous(part).buffer).equals(Buffer.from(want.buffer))).toBe(
              true,
            );
          }
        }
      }
    }
    expect(() => rotateWindow(img, 10, {}, { rows: [0, 24], cols: [0, 1] })).toThrow(RangeError);
  });
  it('a centred window of side n needs only the pixels within ceil((n + 2) / √2) + 3 of the centre (orders 0, 1)', () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 60; trial++) {
      const work = rng.int(40, 90);
      const side = rng.int(1, Math.floor(work / 2));
      const img = ramp(work, work, trial);
      const order = trial % 2 === 0 ? 1 : 0;
      const degrees = rng.next() * 720 - 360;
      const at = Math.floor(work / 2) - Math.floor(side / 2);
      const window = {
        rows: [at, at + side] as [number, number],
        cols: [at, at + side] as [number, number],
      };
      const whole = rotateWindow(img, degrees, { order }, window);
      const reach = Math.ceil((side + 2) / Math.SQRT2) + 3;
      const lo = Math.max(0, Math.floor(work / 2) - reach);
      const hi = Math.min(work, Math.floor(work / 2) + reach);
      const part = createImage2D(hi - lo, hi - lo, toContiguous(img.hi(hi, hi).lo(lo, lo)));
      const got = rotateWindow(part, degrees, { order }, window, {
        origin: [lo, lo],
        shape: [work, work],
      });
      expect(toContiguous(got), `trial ${trial}`).toEqual(toContiguous(whole));
    }
    expect(() =>
      rotateWindow(ramp(4, 4), 5, { order: 3 }, undefined, { origin: [0, 0], shape: [8, 8] }),
    ).toThrow(/order 3 needs the whole image/);
  });
  it('fills pixels that map outside the input with cval', () => {
    const img = createImage2D(20, 20).step(1, 1);
    img.data.fill(1);
    const out = rotate(img, 45, { cval: -7 });
    expect(out.get(0, 0)).toBe(-7);
    expect(out.get(10, 10)).toBe(1);
  });
  it('reshape grows the output to the bounding box as scipy does', () => {
    expect(rotatedShape([400, 400], 37, true)).toEqual([560, 560]);
    expect(rotatedShape([10, 30], 90, true)).toEqual([30, 10]);
    expect(rotatedShape([10, 30], 90, false)).toEqual([10, 30]);
  });
});

describe('resize', () => {
  it('to the same shape is the identity with order 1', () => {
    const img = ramp(11, 13);
    const out = pixels(resize(img, [11, 13]));
    pixels(img).forEach((v, i) => expect(out[i]).toBeCloseTo(v, 6));
  });
  it('keeps a constant image constant, shrinking and growing, every order', () => {
    const img = createImage2D(30, 40);
    img.data.fill(2.5);
    for (const order of [0, 1, 3] as const) {
      for (const shape of [
        [7, 9],
        [61, 80],
      ] as [number, number][]) {
        const out = resize(img, shape, { order });
        expect([...out.shape]).toEqual(shape);
        for (const v of pixels(out)) expect(v).toBeCloseTo(2.5, 5);
      }
    }
  });
  it('clips order-3 overshoot to the input range', () => {
    const img = createImage2D(8, 8);
    img.set(4, 4, 1);
    const out = resize(img, [32, 32], { order: 3 });
    const values = pixels(out);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
  });
});

describe('gaussianBlur', () => {
  it('leaves a constant image constant and sigma 0 leaves any image alone', () => {
    const flat = createImage2D(10, 10);
    flat.data.fill(3);
    for (const v of pixels(gaussianBlur(flat, 2))) expect(v).toBeCloseTo(3, 6);
    const img = ramp(6, 9);
    expect(pixels(gaussianBlur(img, 0))).toEqual(pixels(img));
  });
  it('spreads a NaN only as far as the kernel reaches (radius trunc(4 sigma + 0.5))', () => {
    const img = createImage2D(21, 21);
    img.set(10, 10, NaN);
    const out = gaussianBlur(img, 0.5);
    expect(out.get(10, 12)).toBeNaN();
    expect(out.get(12, 12)).toBeNaN();
    expect(out.get(10, 13)).toBe(0);
  });
});

describe('crops and pad', () => {
  it('cropCenterFraction keeps the middle half and never changes values', () => {
    const img = ramp(10, 9);
    const out = cropCenterFraction(img);
    expect([...out.shape]).toEqual([5, 4]);
    expect(out.get(0, 0)).toBe(img.get(2, 2));
    expect(out.get(4, 3)).toBe(img.get(6, 5));
  });
  it('cropCenter cuts rows [n//2 - size//2, ...) and pads when the image is smaller', () => {
    const img = ramp(8, 8);
    const out = cropCenter(img, { size: 4 });
    expect(out.get(0, 0)).toBe(img.get(2, 2));
    const big = cropCenter(img, { size: 12, padValue: -1 });
    expect([...big.shape]).toEqual([12, 12]);
    expect(big.get(0, 0)).toBe(-1);
    expect(big.get(2, 2)).toBe(img.get(0, 0));
  });
  it('cropAroundMax ignores NaN when locating the peak', () => {
    const img = ramp(40, 40);
    img.set(20, 21, 50);
    img.set(19, 19, NaN);
    const { image, center, offset } = cropAroundMax(img, { size: 10 });
    expect(center).toEqual([20, 21]);
    expect(offset).toEqual([15, 16]);
    expect(image.get(5, 5)).toBe(50);
    expect(image.get(4, 3)).toBeNaN();
  });
  it('cropAroundMax searches only the central window', () => {
    const img = ramp(40, 40);
    img.set(2, 2, 1000);
    img.set(22, 18, 40);
    expect(cropAroundMax(img, { size: 8 }).center).toEqual([22, 18]);
    expect(cropAroundMax(img, { size: 8, searchFraction: 1 }).center).toEqual([2, 2]);
  });
  it('cropAroundMax pads the 192 px COS850 product to a full 400 x 400 window', async () => {
    const img = requireImage(await readFitsFile(new URL(COS850, fitsDir).pathname));
    expect([...img.shape]).toEqual([192, 192]);
    const { image, center, offset } = cropAroundMax(img);
    expect([...image.shape]).toEqual([400, 400]);
    // astropy's nanargmax of this file (fits-stats.json) is [86, 92].
    expect(center).toEqual([86, 92]);
    expect(offset).toEqual([86 - 200, 92 - 200]);
    expect(image.get(200, 200)).toBe(img.get(86, 92));
    expect(image.get(0, 0)).toBe(0);
    const edge = cropAroundMax(img, { pad: 'edge' }).image;
    expect(edge.get(0, 0)).toBe(img.get(0, 0));
  });
  it('cropAroundMax: ties go to the first pixel in row-major order, -Infinity counts only when nothing is larger', () => {
    const img = createImage2D(4, 4, new Float32Array(16).fill(NaN));
    const all = { size: 2, searchFraction: 1 } as const;
    img.set(2, 3, -Infinity);
    img.set(3, 0, -Infinity);
    expect(cropAroundMax(img, all).center).toEqual([2, 3]);
    img.set(3, 1, -5);
    expect(cropAroundMax(img, all).center).toEqual([3, 1]);
    img.set(1, 2, 7);
    img.set(2, 0, 7);
    img.set(0, 3, 7);
    expect(cropAroundMax(img, all).center).toEqual([0, 3]);
    img.set(3, 3, Infinity);
    expect(cropAroundMax(img, all).center).toEqual([3, 3]);
    expect(() => cropAroundMax(createImage2D(3, 3, new Float32Array(9).fill(NaN)), all)).toThrow(
      /every pixel in the search window \(searchFraction 1\) is NaN/,
    );
  });
  it('cropAround pads like numpy (constant, edge, reflect), from contiguous and strided images of either type', () => {
    /** numpy.pad's index for position `i` of an axis of `n` (`-1` = the constant). */
    const index = (i: number, n: number, mode: string): number => {
      if (i >= 0 && i < n) return i;
      if (mode === 'constant') return -1;
      if (mode === 'edge') return i < 0 ? 0 : n - 1;
      if (n === 1) return 0;
      let k = i;
      while (k < 0 || k >= n) k = k < 0 ? -k : 2 * (n - 1) - k;
      return k;
    };
    const base = ramp(7, 9);
    const f64 = createImage2D(
      7,
      9,
      Float64Array.from(toContiguous(base), (v) => v / 3),
    );
    const images = [base, f64, flip(base, 'lr'), base.step(-1, 1), f64.transpose(1, 0)];
    for (const img of images) {
      const [rows, cols] = img.shape;
      for (const mode of ['constant', 'edge', 'reflect'] as const) {
        for (const center of [
          [0, 0],
          [rows - 1, cols - 1],
          [3, 4],
          [0, cols - 1],
        ] as [number, number][]) {
          for (const size of [5, 16, 30]) {
            const { image } = cropAround(img, center, { size, pad: mode, padValue: -2 });
            expect(image.data.constructor).toBe(img.data.constructor);
            const h = Math.floor(size / 2);
            for (let r = 0; r < size; r++) {
              for (let c = 0; c < size; c++) {
                const rr = index(center[0] - h + r, rows, mode);
                const cc = index(center[1] - h + c, cols, mode);
                const want = rr < 0 || cc < 0 ? -2 : img.get(rr, cc);
                if (image.get(r, c) !== want) {
                  expect.fail(
                    `${mode} ${size} at ${center}: [${r}, ${c}] = ${image.get(r, c)}, not ${want}`,
                  );
                }
              }
            }
          }
        }
      }
    }
  });
  it('pad centres the image in a border of value', () => {
    const img = ramp(2, 3);
    const out = pad(img, { to: [5, 6], value: 9 });
    expect(out.get(0, 0)).toBe(9);
    expect(out.get(1, 1)).toBe(img.get(0, 0));
    expect(out.get(2, 3)).toBe(img.get(1, 2));
    expect(out.get(4, 5)).toBe(9);
  });
});

describe('geometricMean', () => {
  it('is sqrt(|a| |b|) pixel by pixel and NaN where either input is', () => {
    const a = createImage2D(1, 3, Float32Array.from([4, -9, NaN]));
    const b = createImage2D(1, 3, Float32Array.from([1, -4, 2]));
    expect(pixels(geometricMean(a, b)).slice(0, 2)).toEqual([2, 6]);
    expect(geometricMean(a, b).get(0, 2)).toBeNaN();
  });
});

describe('normalize', () => {
  it('minmax of an image with no finite pixel is all the nan value; a constant image maps to 0', () => {
    const none = createImage2D(2, 2, Float32Array.from([NaN, Infinity, -Infinity, NaN]));
    expect(pixels(normalize(none, { nan: 3 }))).toEqual([3, 3, 3, 3]);
    const flat = createImage2D(1, 3, Float64Array.from([2, NaN, 2]));
    expect(pixels(normalize(flat))).toEqual([0, 0, 0]);
    // a strided view: the statistics and the output follow the view
    const img = createImage2D(2, 3, Float32Array.from([1, 3, NaN, 5, Infinity, 2]));
    expect(pixels(normalize(img.transpose(1, 0)))).toEqual([0, 1, 0.5, 0, 0, 0.25]);
  });
  const img = createImage2D(2, 3, Float32Array.from([1, 3, NaN, 5, Infinity, 2]));
  it('minmax maps the finite range to [0, 1] and NaN/Infinity to the nan value', () => {
    expect(pixels(normalize(img))).toEqual([0, 0.5, 0, 1, 0, 0.25]);
    expect(normalize(img, { nan: -1 }).get(0, 2)).toBe(-1);
  });
  it('zscore gives mean 0 and standard deviation 1 over the finite pixels', () => {
    const z = pixels(normalize(ramp(20, 20), { method: 'zscore' }));
    const mean = z.reduce((s, v) => s + v, 0) / z.length;
    const sd = Math.sqrt(z.reduce((s, v) => s + (v - mean) ** 2, 0) / z.length);
    expect(mean).toBeCloseTo(0, 5);
    expect(sd).toBeCloseTo(1, 5);
  });
  it('percentile clips beyond the chosen percentiles', () => {
    const line = createImage2D(
      1,
      101,
      Float32Array.from({ length: 101 }, (_, i) => i),
    );
    const out = normalize(line, { method: 'percentile', percentiles: [10, 90] });
    expect(out.get(0, 0)).toBe(0);
    expect(out.get(0, 50)).toBeCloseTo(0.5, 6);
    expect(out.get(0, 100)).toBe(1);
  });
  it('snr puts a 5σ feature at the same value beside a 20σ and a 500σ peak (asinh does not)', () => {
    const rng = createRng(8);
    const make = (peak: number): Image2D => {
      const img = createImage2D(64, 64);
      for (let i = 0; i < img.data.length; i++) img.data[i] = rng.normal();
      img.set(10, 10, 5);
      img.set(32, 32, peak);
      return img;
    };
    const [weak, strong] = [make(20), make(500)];
    const want = Math.asinh(5 / 3) / Math.asinh(100 / 3);
    for (const img of [weak, strong]) {
      const out = normalize(img, { method: 'snr' });
      // The robust sigma of 4096 unit normals is 1 within a few per cent.
      expect(out.get(10, 10)).toBeCloseTo(want, 1);
      expect(Math.abs(out.get(10, 10) - want)).toBeLessThan(0.03);
    }
    const a = normalize(weak, { method: 'asinh' }).get(10, 10);
    const b = normalize(strong, { method: 'asinh' }).get(10, 10);
    expect(a / b).toBeGreaterThan(2);
    expect(() => normalize(weak, { method: 'snr', snrReference: 0 })).toThrow(RangeError);
  });

  it('never outputs NaN, even for a constant or all-NaN image', () => {
    const flat = createImage2D(3, 3);
    flat.data.fill(7);
    expect(pixels(normalize(flat))).toEqual(new Array(9).fill(0));
    const blank = createImage2D(2, 2);
    blank.data.fill(NaN);
    for (const method of ['minmax', 'zscore', 'percentile', 'none'] as const) {
      expect(pixels(normalize(blank, { method })).some(Number.isNaN)).toBe(false);
    }
  });
});

describe('robustStd', () => {
  it('estimates the standard deviation of Gaussian noise despite outliers and NaN', () => {
    const img = ramp(200, 200, 3);
    for (let i = 0; i < 400; i++) img.data[i * 97] = 1e6;
    img.data[5] = NaN;
    expect(robustStd(img)).toBeGreaterThan(0.95);
    expect(robustStd(img)).toBeLessThan(1.07);
    expect(robustStd([1, 2, 3, 4, 100])).toBeCloseTo(1.4826, 6);
    expect(robustStd([NaN])).toBeNaN();
  });
});

describe('addNoise', () => {
  const img = ramp(60, 60, 7);
  it('gaussian adds noise scaled to the image robust noise, reproducibly by seed', () => {
    const a = addNoise(img, createRng(1), { kind: 'gaussian', scale: 0.5 });
    const b = addNoise(img, createRng(1), { kind: 'gaussian', scale: 0.5 });
    expect(pixels(a)).toEqual(pixels(b));
    const diff = pixels(a).map((v, i) => v - img.data[i]);
    const sd = Math.sqrt(diff.reduce((s, v) => s + v * v, 0) / diff.length);
    expect(sd / (0.5 * robustStd(img))).toBeGreaterThan(0.93);
    expect(sd / (0.5 * robustStd(img))).toBeLessThan(1.07);
  });
  it('jitter multiplies about `fraction` of the pixels by factors inside `range`', () => {
    const positive = createImage2D(100, 100);
    positive.data.fill(1);
    const out = pixels(addNoise(positive, createRng(2), { kind: 'jitter', fraction: 0.3 }));
    const changed = out.filter((v) => v !== 1);
    expect(changed.length / out.length).toBeGreaterThan(0.27);
    expect(changed.length / out.length).toBeLessThan(0.33);
    for (const v of changed) {
      expect(v).toBeGreaterThanOrEqual(Math.fround(0.97));
      expect(v).toBeLessThanOrEqual(Math.fround(1.03));
    }
  });
  it('neighbour draws each replaced pixel between its 4-neighbours min and max and keeps NaN', () => {
    const src = ramp(30, 30, 4);
    src.set(3, 3, NaN);
    const out = addNoise(src, createRng(3), { kind: 'neighbour', fraction: 1 });
    expect(out.get(3, 3)).toBeNaN();
    for (const [r, c] of [
      [10, 10],
      [0, 5],
      [29, 29],
    ]) {
      const nb = [
        [r - 1, c],
        [r + 1, c],
        [r, c - 1],
        [r, c + 1],
      ]
        .filter(([y, x]) => y >= 0 && y < 30 && x >= 0 && x < 30)
        .map(([y, x]) => src.get(y, x));
      expect(out.get(r, c)).toBeGreaterThanOrEqual(Math.min(...nb) - 1e-6);
      expect(out.get(r, c)).toBeLessThanOrEqual(Math.max(...nb) + 1e-6);
    }
  });
});

describe('randomLinearTransform', () => {
  const img = ellipse(120, 30);
  it('is reproducible by seed and differs between seeds', () => {
    const a = randomLinearTransform(img, createRng(11));
    const b = randomLinearTransform(img, createRng(11));
    const c = randomLinearTransform(img, createRng(12));
    expect([...a.shape]).toEqual([100, 100]);
    expect(pixels(a)).toEqual(pixels(b));
    expect(pixels(a)).not.toEqual(pixels(c));
  });
  it('with fixed size, angle, no flip and no jitter equals resize then rotate then crop', () => {
    const out = randomLinearTransform(img, createRng(5), {
      sizeRange: [200, 200],
      angleRange: [20, 20],
      flip: false,
      jitter: 0,
    });
    const want = cropCenter(rotate(resize(img, [200, 200]), 20), { size: 100 });
    expect(pixels(out)).toEqual(pixels(want));
  });
});

describe('findSources', () => {
  it('finds every object above the threshold, brightest first, with peaks, boxes and fluxes', () => {
    const img = ramp(80, 80, 9);
    for (let i = 0; i < img.data.length; i++) img.data[i] *= 0.01;
    const blobs = [
      [20, 20, 5],
      [60, 30, 2],
      [40, 65, 3],
    ];
    for (const [r0, c0, amp] of blobs) {
      for (let r = 0; r < 80; r++) {
        for (let c = 0; c < 80; c++) {
          img.set(r, c, img.get(r, c) + amp * Math.exp(-((r - r0) ** 2 + (c - c0) ** 2) / 8));
        }
      }
    }
    img.set(0, 79, NaN);
    const sources = findSources(img);
    expect(sources.map((s) => s.peak)).toEqual([
      [20, 20],
      [40, 65],
      [60, 30],
    ]);
    const first = sources[0];
    expect(first.centroid[0]).toBeCloseTo(20, 1);
    expect(first.centroid[1]).toBeCloseTo(20, 1);
    expect(first.bbox.rowMin).toBeLessThan(20);
    expect(first.bbox.rowMax).toBeGreaterThan(20);
    // The blob integrates to amp * 8π; the cut at 5 sigma keeps most of it.
    expect(first.flux).toBeGreaterThan(0.9 * 5 * 8 * Math.PI);
    expect(first.flux).toBeLessThan(5 * 8 * Math.PI);
    expect(findSources(img, { minPixels: 10_000 })).toEqual([]);
  });
  it('treats NaN as a separator between objects', () => {
    const img = createImage2D(5, 9);
    for (let c = 0; c < 9; c++) img.set(2, c, 10);
    img.set(2, 4, NaN);
    expect(findSources(img, { minPixels: 1, connectivity: 4 })).toHaveLength(2);
  });
});

describe('principalAngle', () => {
  it.each([0, 25, 60, 90, -35, -80])(
    'measures a %d° ellipse counter-clockwise from +col (row 0 on top)',
    (deg) => {
      expect(principalAngle(ellipse(101, deg))).toBeCloseTo(deg, 0);
    },
  );
  it.each([0, 25, 60, 90, -35, -80, 130])(
    'GUARANTEE: rotate(img, -principalAngle(img)) lays a %d° ellipse major axis along the columns',
    (deg) => {
      const img = ellipse(121, deg);
      const aligned = rotate(img, -principalAngle(img), { order: 1 });
      const [rr, cc, rc] = moments(aligned);
      expect(cc).toBeGreaterThan(5 * rr);
      expect(Math.abs(rc) / Math.sqrt(rr * cc)).toBeLessThan(0.02);
      expect(Math.abs(principalAngle(aligned))).toBeLessThan(0.5);
    },
  );
  it('ignores fainter sources and noise around the brightest one', () => {
    const img = ellipse(101, 40);
    const noise = createRng(8);
    for (let r = 0; r < 101; r++) {
      for (let c = 0; c < 101; c++) {
        const faint = 0.5 * Math.exp(-((r - 15) ** 2 + (c - 85) ** 2 / 40) / 10);
        img.set(r, c, img.get(r, c) + faint + 0.01 * noise.normal());
      }
    }
    expect(principalAngle(img)).toBeCloseTo(40, 0);
  });
});

describe('inputs are never mutated', () => {
  it('by any operation', () => {
    const img = ramp(24, 24, 5);
    img.set(3, 3, NaN);
    const before = pixels(img);
    const rng = createRng(1);
    cropCenterFraction(img);
    cropAroundMax(img, { size: 30 });
    cropCenter(img, { size: 10 });
    pad(img, { to: [30, 30] });
    flip(img, 'both');
    rotate(img, 33, { order: 3 });
    resize(img, [10, 40]);
    gaussianBlur(img, 1);
    geometricMean(img, img);
    normalize(img, { method: 'percentile' });
    addNoise(img, rng, { kind: 'neighbour' });
    randomLinearTransform(img, rng, { output: 20 });
    findSources(img);
    principalAngle(img);
    robustStd(img);
    expect(pixels(img)).toEqual(before);
  });
});

describe('bad input', () => {
  const img = ramp(10, 10);
  it('rejects empty images and non-images', () => {
    expect(() => rotate(createImage2D(0, 5), 10)).toThrow(RangeError);
    expect(() => cropCenter(createImage2D(3, 0))).toThrow(/empty/);
    expect(() => flip({} as Image2D, 'lr')).toThrow(TypeError);
  });
  it('rejects mismatched shapes naming both', () => {
    expect(() => geometricMean(img, ramp(10, 11))).toThrow(/shapes differ.*\[10, 10\].*\[10, 11\]/);
  });
  it('names the offending option', () => {
    expect(() => rotate(img, 10, { order: 2 as 1 })).toThrow(/option 'order'/);
    expect(() => rotate(img, NaN)).toThrow(/'degrees'/);
    expect(() => resize(img, [0, 5])).toThrow(/option 'shape'/);
    expect(() => cropCenter(img, { size: -1 })).toThrow(/option 'size'/);
    expect(() => cropCenterFraction(img, { fraction: 1.5 })).toThrow(/option 'fraction'/);
    expect(() => cropAroundMax(img, { pad: 'wrap' as 'edge' })).toThrow(/option 'pad'/);
    expect(() => pad(img, { to: [5, 20] })).toThrow(/option 'to'/);
    expect(() => flip(img, 'xy' as 'lr')).toThrow(/option 'axis'/);
    expect(() => normalize(img, { method: 'l2' as 'none' })).toThrow(/option 'method'/);
    expect(() => addNoise(img, createRng(1), { kind: 'salt' } as never)).toThrow(/option 'kind'/);
    expect(() => addNoise(img, createRng(1), { kind: 'jitter', fraction: 2 })).toThrow(
      /'fraction'/,
    );
    expect(() => randomLinearTransform(img, createRng(1), { sizeRange: [300, 200] })).toThrow(
      /option 'sizeRange'/,
    );
    expect(() => findSources(img, { connectivity: 6 as 4 })).toThrow(/option 'connectivity'/);
    expect(() => gaussianBlur(img, -1)).toThrow(/option 'sigma'/);
    expect(() => principalAngle(img, { fraction: 2 })).toThrow(/option 'fraction'/);
  });
  it('rejects an all-NaN search window', () => {
    const blank = createImage2D(4, 4);
    blank.data.fill(NaN);
    expect(() => cropAroundMax(blank)).toThrow(/NaN/);
    expect(() => principalAngle(blank)).toThrow(RangeError);
  });
});

describe('fixture sanity', () => {
  it('B335 crop around the maximum is centred on the peak from fits-stats.json', async () => {
    const stats = JSON.parse(
      readFileSync(new URL('./fixtures/reference/fits-stats.json', import.meta.url), 'utf8'),
    ) as Record<string, { nanArgMax: [number, number] }>;
    const img = requireImage(
      await readFitsFile(new URL('b335_2017_band6_0.fits', fitsDir).pathname),
    );
    const { center } = cropAroundMax(img);
    expect(center).toEqual(stats['b335_2017_band6_0.fits'].nanArgMax);
  });
});

describe('cropAround', () => {
  it('cuts the same window as cropAroundMax when centred on the peak it found', () => {
    const rng = createRng(3);
    const img = createImage2D(
      64,
      80,
      Float32Array.from({ length: 64 * 80 }, () => rng.next()),
    );
    const byMax = cropAroundMax(img, { size: 21, searchFraction: 1 });
    const byCenter = cropAround(img, byMax.center, { size: 21 });
    expect(byCenter.offset).toEqual(byMax.offset);
    expect(Array.from(toContiguous(byCenter.image))).toEqual(Array.from(toContiguous(byMax.image)));
  });
  it('pads past the edge and refuses a centre outside the image, naming it', () => {
    const img = createImage2D(10, 10, new Float32Array(100).fill(1));
    const { image } = cropAround(img, [0, 9], { size: 5, padValue: -1 });
    expect(image.get(0, 0)).toBe(-1);
    expect(image.get(2, 2)).toBe(1);
    expect(() => cropAround(img, [10, 0], { size: 5 })).toThrow(/center \[10, 0\]/);
  });
});

describe('nanArgmax', () => {
  /** numpy's nanargmax, one pixel at a time in row-major order. */
  function reference(img: Image2D): [number, number] | undefined {
    let best: [number, number] | undefined;
    let bestV = NaN;
    for (let r = 0; r < img.shape[0]; r++) {
      for (let c = 0; c < img.shape[1]; c++) {
        const v = img.get(r, c);
        if (Number.isNaN(v)) continue;
        if (best === undefined || v > bestV) {
          best = [r, c];
          bestV = v;
        }
      }
    }
    return best;
  }

  it('finds the first largest non-NaN pixel of any view, as numpy does', async () => {
    const { nanArgmax } = await import('../src/image/internal.js');
    const rng = createRng(41);
    for (let trial = 0; trial < 400; trial++) {
      const rows = 1 + rng.int(0, 12);
      const cols = 1 + rng.int(0, 13);
      const img = createImage2D(rows, cols);
      // Few distinct values, so ties are common; NaN, ±Infinity and -0 among them.
      const values = [NaN, -Infinity, Infinity, -0, 0, 1, 2, -3];
      const kind = rng.int(0, 3);
      for (let i = 0; i < img.data.length; i++) {
        img.data[i] =
          kind === 0
            ? values[rng.int(0, values.length - 1)]
            : kind === 1
              ? rng.next() < 0.5
                ? NaN
                : -Infinity
              : kind === 2
                ? NaN
                : rng.int(-2, 2);
      }
      const views: Image2D[] = [img, img.transpose(1, 0), img.step(-1, 1), img.step(1, 2)];
      if (rows > 2 && cols > 2) views.push(img.hi(rows - 1, cols - 1).lo(1, 1));
      for (const v of views) expect(nanArgmax(v)).toEqual(reference(v));
    }
  });
});
