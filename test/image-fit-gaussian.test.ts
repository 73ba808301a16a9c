/**
 * fitGaussian2D against scipy.optimize.curve_fit (MINPACK Levenberg–Marquardt, tolerances
 * 1e-14): test/fixtures/reference/fit-gaussian.json and the .npy inputs under
 * test/fixtures/reference/fit/, made by scripts/make-fit-reference.py. Tolerances: 1e-6 relative
 * (of max(|value|, 1)) for the parameters of the generated cases (measured: 5e-8), 1e-3 relative
 * for their standard errors (measured: 2e-8), 1e-4 relative for the real Serpens South C7 window
 * (measured: 2e-6; the fit stops at ftol 1e-10, scipy at 1e-14).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createImage2D, type Image2D } from '../src/core/image2d.js';
import { createRng } from '../src/core/random.js';
import { readNpy } from '../src/fits/npy.js';
import { requireImage } from '../src/fits/read.js';
import { readFitsFile } from '../src/fits/index.node.js';
import {
  fitGaussian2D,
  renderGaussian2D,
  type FitWindow,
  type Gaussian2D,
  type Gaussian2DFit,
} from '../src/image/fit-gaussian.js';
import { principalAngle } from '../src/image/principal-angle.js';

const reference = new URL('./fixtures/reference/', import.meta.url);
const fitsDir = new URL('./fixtures/fits/', import.meta.url);
const KEYS = ['amplitude', 'row', 'col', 'sigmaMajor', 'sigmaMinor', 'angleDeg', 'offset'] as const;

interface ScipyFit {
  params: Gaussian2D;
  stderr: Gaussian2D;
  cost: number;
  residualRms: number;
  pixels: number;
  window: FitWindow;
}

interface Case {
  name: string;
  input?: string;
  fits?: string;
  weights?: string;
  mask?: string;
  windowSide?: number;
  truth?: Gaussian2D;
  p0: Gaussian2D;
  reference: ScipyFit;
}

const doc = JSON.parse(readFileSync(new URL('fit-gaussian.json', reference), 'utf8')) as {
  cases: Case[];
};

function npy(file: string): Image2D {
  const a = readNpy(new Uint8Array(readFileSync(new URL(file, reference))), { name: file });
  return a as unknown as Image2D;
}

function mask(file: string): Uint8Array {
  const a = readNpy(new Uint8Array(readFileSync(new URL(file, reference))), { name: file });
  return Uint8Array.from(a.data as ArrayLike<number>);
}

/** |ours - ref| <= rel * max(|ref|, floor) for every parameter. */
function expectClose(
  ours: Gaussian2D,
  ref: Gaussian2D,
  rel: number,
  floor: Partial<Gaussian2D> = {},
) {
  for (const k of KEYS) {
    const scale = Math.max(Math.abs(ref[k]), floor[k] ?? 1);
    expect(Math.abs(ours[k] - ref[k]), `${k}: ${ours[k]} vs ${ref[k]}`).toBeLessThanOrEqual(
      rel * scale,
    );
  }
}

function fitCase(c: Case, initial?: Gaussian2D): Gaussian2DFit {
  const img = npy(c.input!);
  return fitGaussian2D(img, {
    weights: c.weights ? npy(c.weights) : null,
    mask: c.mask ? mask(c.mask) : null,
    window: c.windowSide ?? null,
    initial: initial ?? null,
  });
}

describe('fitGaussian2D matches scipy curve_fit', () => {
  for (const c of doc.cases.filter((x) => x.input !== undefined)) {
    it(`${c.name}: parameters to 1e-6, stderr to 1e-3, same pixels and cost, from its own moment guess`, () => {
      const fit = fitCase(c);
      expect(fit.converged).toBe(true);
      expect(fit.pixels).toBe(c.reference.pixels);
      expect(fit.window).toEqual(c.reference.window);
      expectClose(fit, c.reference.params, 1e-6);
      expectClose(fit.stderr, c.reference.stderr, 1e-3, {
        amplitude: 0,
        row: 0,
        col: 0,
        sigmaMajor: 0,
        sigmaMinor: 0,
        angleDeg: 0,
        offset: 0,
      });
      expect(fit.cost).toBeCloseTo(c.reference.cost, 8);
      expect(Math.abs(fit.residualRms / c.reference.residualRms - 1)).toBeLessThan(1e-6);
    });

    it(`${c.name}: the same answer from scipy's starting point`, () => {
      const fit = fitCase(c, c.p0);
      expect(fit.converged).toBe(true);
      expectClose(fit, c.reference.params, 1e-6);
    });
  }

  it('the central window of Serpens South C7 (real, non-Gaussian) to 1e-4', async () => {
    const c = doc.cases.find((x) => x.name === 'serpens')!;
    const img = requireImage(await readFitsFile(new URL(c.fits!, fitsDir).pathname));
    const fit = fitGaussian2D(img, { window: c.windowSide! });
    expect(fit.converged).toBe(true);
    expect(fit.window).toEqual(c.reference.window);
    expect(fit.pixels).toBe(c.reference.pixels);
    expectClose(fit, c.reference.params, 1e-4, { amplitude: 1e-3, offset: 1e-3 });
  });
});

describe('fitGaussian2D behaviour', () => {
  const truth: Gaussian2D = {
    amplitude: 2,
    row: 31.4,
    col: 28.2,
    sigmaMajor: 5,
    sigmaMinor: 2,
    angleDeg: 35,
    offset: 0.1,
  };

  it('recovers a noiseless Gaussian exactly and agrees with principalAngle on the angle', () => {
    const img = renderGaussian2D(truth, 64, 60);
    const fit = fitGaussian2D(img);
    expect(fit.converged).toBe(true);
    expectClose(fit, truth, 1e-5);
    expect(Math.abs(principalAngle(img) - fit.angleDeg)).toBeLessThan(1);
  });

  it('measures the angle counter-clockwise from +column with row 0 displayed at the top', () => {
    // Major axis from bottom-left to top-right on screen: columns grow as rows shrink.
    const img = createImage2D(41, 41);
    for (let r = 0; r < 41; r++) {
      for (let c = 0; c < 41; c++) {
        const along = (c - 20 - (r - 20)) / Math.SQRT2;
        const across = (c - 20 + (r - 20)) / Math.SQRT2;
        img.set(r, c, Math.exp(-0.5 * ((along / 6) ** 2 + (across / 2) ** 2)));
      }
    }
    const fit = fitGaussian2D(img);
    expect(fit.angleDeg).toBeCloseTo(45, 6);
    expect(fit.sigmaMajor).toBeCloseTo(6, 6);
    expect(fit.sigmaMinor).toBeCloseTo(2, 6);
  });

  it('follows a 90° counter-clockwise rotation (a strided view) with angle + 90', () => {
    const rng = createRng(4);
    const img = renderGaussian2D(truth, 64, 60);
    for (let i = 0; i < img.data.length; i++) img.data[i] += 0.02 * rng.normal();
    const a = fitGaussian2D(img);
    // numpy rot90: out[i, j] = in[j, C - 1 - i].
    const rot = img.transpose(1, 0).step(-1, 1);
    const b = fitGaussian2D(rot);
    expect(b.row).toBeCloseTo(60 - 1 - a.col, 6);
    expect(b.col).toBeCloseTo(a.row, 6);
    expect(b.sigmaMajor).toBeCloseTo(a.sigmaMajor, 6);
    expect(b.sigmaMinor).toBeCloseTo(a.sigmaMinor, 6);
    expect(b.angleDeg).toBeCloseTo(a.angleDeg + 90 > 90 ? a.angleDeg - 90 : a.angleDeg + 90, 5);
  });

  it('leaves NaN pixels out: the same fit as masking those pixels of a NaN-free copy', () => {
    const rng = createRng(5);
    const img = renderGaussian2D(truth, 64, 60);
    for (let i = 0; i < img.data.length; i++) img.data[i] += 0.05 * rng.normal();
    const holes = img.data.slice();
    const keep = new Uint8Array(holes.length).fill(1);
    for (let i = 0; i < holes.length; i += 7) {
      holes[i] = NaN;
      keep[i] = 0;
    }
    const withNaN = fitGaussian2D(createImage2D(64, 60, holes));
    const masked = fitGaussian2D(img, { mask: keep });
    expect(withNaN.pixels).toBe(masked.pixels);
    expectClose(withNaN, masked, 1e-9);
  });

  it('keeps sigmas at or above minSigma on a single-pixel spike', () => {
    const img = createImage2D(15, 15);
    img.set(7, 7, 1);
    const fit = fitGaussian2D(img, { minSigma: 0.25 });
    expect(fit.sigmaMinor).toBeGreaterThanOrEqual(0.25);
    expect(fit.sigmaMajor).toBeGreaterThanOrEqual(fit.sigmaMinor);
    expect(Number.isFinite(fit.amplitude)).toBe(true);
  });

  it('answers converged: false (no throw) when the iteration cap is hit', () => {
    const rng = createRng(6);
    const img = renderGaussian2D(truth, 64, 60);
    for (let i = 0; i < img.data.length; i++) img.data[i] += 0.05 * rng.normal();
    const fit = fitGaussian2D(img, {
      maxIterations: 1,
      initial: { sigmaMajor: 15, sigmaMinor: 1, angleDeg: -40 },
    });
    expect(fit.converged).toBe(false);
    expect(fit.reason).toBe('maxIterations');
    expect(fit.iterations).toBe(1);
  });

  it('stops within the cap on pure noise and returns finite numbers', () => {
    const rng = createRng(7);
    const img = createImage2D(50, 50);
    for (let i = 0; i < img.data.length; i++) img.data[i] = rng.normal();
    const fit = fitGaussian2D(img, { maxIterations: 50 });
    expect(fit.iterations).toBeLessThanOrEqual(50);
    for (const k of KEYS) expect(Number.isFinite(fit[k])).toBe(true);
    expect(fit.sigmaMajor).toBeLessThanOrEqual(100);
  });

  it('throws RangeError when fewer usable pixels than parameters remain', () => {
    const img = createImage2D(10, 10, new Float32Array(100).fill(NaN));
    expect(() => fitGaussian2D(img)).toThrow(RangeError);
    for (let i = 0; i < 6; i++) img.data[i * 11] = i;
    expect(() => fitGaussian2D(img)).toThrow(/6 usable pixels, fewer than the 7 parameters/);
    img.data[99] = 1;
    expect(() => fitGaussian2D(img)).not.toThrow();
  });

  it('holds fixed parameters at their starting value and fits the rest', () => {
    const rng = createRng(8);
    const img = renderGaussian2D(truth, 64, 60);
    for (let i = 0; i < img.data.length; i++) img.data[i] += 0.02 * rng.normal();
    const fit = fitGaussian2D(img, { fixed: ['offset'], initial: { offset: 0.1 } });
    expect(fit.offset).toBe(0.1);
    expect(fit.stderr.offset).toBe(0);
    expect(fit.converged).toBe(true);
    expectClose(fit, truth, 0.01);
    expect(() => fitGaussian2D(img, { fixed: ['width' as 'offset'] })).toThrow(
      /names no parameter/,
    );
  });

  it('needs only as many pixels as free parameters', () => {
    const img = createImage2D(10, 10, new Float32Array(100).fill(NaN));
    for (let i = 0; i < 6; i++) img.data[i * 11] = 1 + i;
    expect(() => fitGaussian2D(img, { fixed: ['offset'], initial: { offset: 0 } })).not.toThrow();
  });

  it('rejects a weight map of the wrong shape', () => {
    const img = renderGaussian2D(truth, 64, 60);
    expect(() => fitGaussian2D(img, { weights: createImage2D(60, 64) })).toThrow(RangeError);
  });
});
