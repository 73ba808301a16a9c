import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createImage2D, type Image2D } from '../src/core/image2d.js';
import { createRng } from '../src/core/random.js';
import { requireImage } from '../src/fits/read.js';
import { readFitsFile } from '../src/fits/index.node.js';
import { gaussianBlur } from '../src/image/gaussian-blur.js';
import {
  measureSource,
  sigmaClippedStats,
  type MeasureSourceOptions,
  type SourceMeasurement,
} from '../src/image/measure-source.js';
import { robustStd } from '../src/image/robust-std.js';

interface Reference {
  file: string;
  peak: [number, number];
  beamAreaPixels: number;
  wholeImage: {
    finitePixels: number;
    sigmaClipped: { mean: number; median: number; std: number };
    madStd: number;
  };
  cases: { name: string; options: MeasureSourceOptions; expected: Partial<SourceMeasurement> }[];
}

// Made by scripts/make-measure-reference.py with numpy, scipy.ndimage and astropy.stats.
const reference = JSON.parse(
  readFileSync(new URL('./fixtures/reference/measure-source.json', import.meta.url), 'utf8'),
) as Reference;

const SIZE = 129;
const BEAM_SIGMA = 3; // pixels: FWHM 7.06 px
const BEAM_AREA = 2 * Math.PI * BEAM_SIGMA ** 2;
const RMS = 1e-4;
const CENTRE = 64;

/**
 * A point source of `fluxJy` at the centre, observed with a Gaussian beam of BEAM_SIGMA, in
 * Jy/beam, plus noise of rms RMS correlated over one beam as an interferometer's is: white noise
 * blurred with σ/√2 has an autocorrelation of σ, so its correlation area is the beam area.
 */
function observe(fluxJy: number, seed: number): Image2D {
  const sky = createImage2D(SIZE, SIZE, new Float64Array(SIZE * SIZE));
  sky.set(CENTRE, CENTRE, fluxJy * BEAM_AREA); // blurring spreads it with sum 1: Σ I = S·A
  const source = gaussianBlur(sky, BEAM_SIGMA);
  const rng = createRng(seed);
  const white = createImage2D(SIZE, SIZE, new Float64Array(SIZE * SIZE));
  for (let i = 0; i < white.data.length; i++) white.data[i] = rng.normal();
  const noise = gaussianBlur(white, BEAM_SIGMA / Math.SQRT2);
  let ss = 0;
  for (const v of noise.data) ss += v * v;
  const scale = RMS / Math.sqrt(ss / noise.data.length);
  for (let i = 0; i < source.data.length; i++) source.data[i] += scale * noise.data[i];
  return source;
}

describe('sigmaClippedStats', () => {
  it('equals astropy sigma_clipped_stats on the finite pixels of Serpens South C7', async () => {
    const img = requireImage(await readFitsFile(fixturePath()));
    const got = sigmaClippedStats(img.data);
    const want = reference.wholeImage.sigmaClipped;
    expect(got.mean).toBeCloseTo(want.mean, 12);
    expect(got.median).toBeCloseTo(want.median, 12);
    expect(got.std / want.std - 1).toBeLessThan(1e-9);
    expect(Math.abs(robustStd(img) / reference.wholeImage.madStd - 1)).toBeLessThan(2e-6);
  });

  it('clips an outlier that a plain standard deviation would keep, ignoring NaN', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, NaN, 1000];
    const s = sigmaClippedStats(values);
    expect(s.count).toBe(10);
    expect(s.mean).toBe(5.5);
    expect(s.median).toBe(5.5);
    expect(s.std).toBeCloseTo(Math.sqrt(8.25), 12);
    expect(sigmaClippedStats([NaN]).count).toBe(0);
    expect(Number.isNaN(sigmaClippedStats([]).std)).toBe(true);
  });
});

describe('measureSource on Serpens South C7 agrees with numpy/scipy/astropy', () => {
  for (const c of reference.cases) {
    it(c.name, async () => {
      const img = requireImage(await readFitsFile(fixturePath()));
      const got = measureSource(img, reference.peak, c.options);
      const want = c.expected;
      // Counts and the object are exact; sums agree to float64 rounding.
      for (const key of [
        'rmsPixels',
        'detected',
        'detectedPixels',
        'iterations',
        'converged',
        'peak',
        'peakJyBeam',
        'pixels',
      ] as const) {
        expect(got[key], key).toEqual(want[key]);
      }
      for (const key of [
        'rmsJyBeam',
        'backgroundJyBeam',
        'snr',
        'sumJyBeam',
        'integratedJy',
        'integratedErrJy',
      ] as const) {
        const w = want[key];
        if (w === undefined) {
          expect(got[key], key).toBeUndefined();
          continue;
        }
        // The MAD estimator uses 1.4826, astropy's mad_std 1.482602218...: 1.5 ppm apart.
        const tol = c.options.rmsMethod === 'mad' && key !== 'sumJyBeam' ? 2e-6 : 1e-9;
        expect(Math.abs((got[key] as number) / w - 1), key).toBeLessThan(tol);
      }
      expect(got.centroid[0]).toBeCloseTo(want.centroid![0], 9);
      expect(got.centroid[1]).toBeCloseTo(want.centroid![1], 9);
    });
  }
});

describe('measureSource on a synthetic point source of known flux', () => {
  const FLUX = 5e-3; // Jy: peak S/N 50

  it('recovers the flux within its error, and the error matches the scatter over 30 noise draws', () => {
    const residuals: number[] = [];
    for (let seed = 1; seed <= 30; seed++) {
      const m = measureSource(observe(FLUX, seed), [CENTRE, CENTRE], {
        beamAreaPixels: BEAM_AREA,
      });
      expect(m.detected).toBe(true);
      expect(Math.abs(m.rmsJyBeam / RMS - 1)).toBeLessThan(0.1);
      residuals.push((m.integratedJy! - FLUX) / m.integratedErrJy!);
    }
    // Every draw within 3 sigma, about 68 % within 1 sigma, and no bias beyond 0.5 sigma.
    expect(Math.max(...residuals.map(Math.abs))).toBeLessThan(3);
    const within = residuals.filter((r) => Math.abs(r) < 1).length;
    expect(within).toBeGreaterThanOrEqual(14);
    expect(within).toBeLessThanOrEqual(27);
    const mean = residuals.reduce((a, b) => a + b, 0) / residuals.length;
    expect(Math.abs(mean)).toBeLessThan(0.5);
  });

  it('with grow 0 misses the documented detection × rms Jy below the 3σ contour', () => {
    // A 2-D Gaussian holds (1 − f) of its flux inside its contour at f × peak; for a point
    // source the peak in Jy/beam equals its flux in Jy, so 3·rms Jy lie outside the 3σ contour.
    const misses: number[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const m = measureSource(observe(FLUX, seed), [CENTRE, CENTRE], {
        beamAreaPixels: BEAM_AREA,
        grow: 0,
      });
      expect(m.pixels).toBe(m.detectedPixels);
      misses.push((FLUX - m.integratedJy!) / (3 * m.rmsJyBeam));
    }
    const mean = misses.reduce((a, b) => a + b, 0) / misses.length;
    expect(mean).toBeGreaterThan(0.6);
    expect(mean).toBeLessThan(1.4);
  });

  it('finds the peak and centroid at the source and gives the peak S/N', () => {
    const m = measureSource(observe(FLUX, 7), [CENTRE + 1, CENTRE - 1], {
      beamAreaPixels: BEAM_AREA,
    });
    expect(Math.abs(m.peak[0] - CENTRE)).toBeLessThanOrEqual(1);
    expect(Math.abs(m.peak[1] - CENTRE)).toBeLessThanOrEqual(1);
    expect(Math.hypot(m.centroid[0] - CENTRE, m.centroid[1] - CENTRE)).toBeLessThan(0.3);
    expect(m.snr).toBeCloseTo(m.peakJyBeam / m.rmsJyBeam, 12);
    expect(m.snr).toBeGreaterThan(40);
    expect(m.snr).toBeLessThan(60);
  });

  it('without a beam area gives Jy/beam figures only', () => {
    const m = measureSource(observe(FLUX, 3), [CENTRE, CENTRE]);
    expect(m.integratedJy).toBeUndefined();
    expect(m.integratedErrJy).toBeUndefined();
    expect(m.pixels).toBe(m.detectedPixels); // grow 'beam' is 0 without a beam
    expect(m.sumJyBeam).toBeGreaterThan(0);
    expect(m.rmsJyBeam).toBeGreaterThan(0);
  });
});

describe('measureSource edges', () => {
  it('takes an undetected pixel as not detected, with no flux', () => {
    const m = measureSource(observe(0, 4), [10, 10], { beamAreaPixels: BEAM_AREA, detection: 50 });
    expect(m.detected).toBe(false);
    expect(m.pixels).toBe(0);
    expect(m.integratedJy).toBeUndefined();
    expect(m.peak).toEqual([10, 10]);
    expect(m.centroid).toEqual([10, 10]);
  });

  it('ignores NaN pixels: they are neither object nor noise', () => {
    const img = observe(5e-3, 5);
    const clean = measureSource(img, [CENTRE, CENTRE], { beamAreaPixels: BEAM_AREA });
    // A hole inside the object: the rms (taken away from the object) stays, the object loses it.
    img.set(CENTRE, CENTRE + 3, NaN);
    const holed = measureSource(img, [CENTRE, CENTRE], { beamAreaPixels: BEAM_AREA });
    expect(holed.rmsJyBeam).toBe(clean.rmsJyBeam);
    expect(holed.detectedPixels).toBe(clean.detectedPixels - 1);
    expect(holed.pixels).toBe(clean.pixels - 1);
    // A blanked band far from the source: fewer rms pixels, every figure still finite.
    for (let r = 0; r < SIZE; r++) for (let c = 0; c < 20; c++) img.set(r, c, NaN);
    const m = measureSource(img, [CENTRE, CENTRE], { beamAreaPixels: BEAM_AREA });
    expect(m.rmsPixels).toBeLessThan(clean.rmsPixels - SIZE * 19);
    expect(Number.isFinite(m.rmsJyBeam)).toBe(true);
    expect(Number.isFinite(m.integratedJy!)).toBe(true);
  });

  it('keeps the object within maxRadius of the peak', () => {
    const m = measureSource(observe(5e-3, 6), [CENTRE, CENTRE], {
      beamAreaPixels: BEAM_AREA,
      maxRadius: 2,
    });
    expect(m.detectedPixels).toBeLessThanOrEqual(13); // pixels within 2 px: 13
    expect(m.pixels).toBe(m.detectedPixels);
  });

  it('throws a RangeError for a peak outside the image or on NaN', () => {
    const img = observe(5e-3, 8);
    expect(() => measureSource(img, [SIZE, 0])).toThrow(/not a \[row, col\] pixel of the 129x129/);
    expect(() => measureSource(img, [-1, 3])).toThrow(RangeError);
    expect(() => measureSource(img, [1.5, 3])).toThrow(RangeError);
    img.set(5, 6, NaN);
    expect(() => measureSource(img, [5, 6])).toThrow(/peak \[5, 6\] holds NaN/);
    expect(() => measureSource(img, [CENTRE, CENTRE], { beamAreaPixels: 0 })).toThrow(RangeError);
  });

  it('throws when no pixel is left for the rms', () => {
    const img = observe(5e-3, 9);
    expect(() => measureSource(img, [CENTRE, CENTRE], { annulus: [0, 3], maskMargin: 10 })).toThrow(
      /no finite pixel is left to estimate the rms/,
    );
  });
});

function fixturePath(): string {
  return new URL(`./fixtures/fits/${reference.file}`, import.meta.url).pathname;
}
