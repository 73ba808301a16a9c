import { describe, expect, it } from 'vitest';
import { createImage2D, type Image2D } from '../src/core/image2d.js';
import { createRng } from '../src/core/random.js';
import type { FitsCard } from '../src/fits/header.js';
import {
  convolveEllipticalBeam,
  DEFAULT_SECOND_SCENE_OPTIONS,
  DEFAULT_SECOND_SET_OPTIONS,
  generateSecondScene,
  generateSecondSet,
  SECOND_GENERATOR_KINDS,
  type SecondScene,
} from '../bench/quality/second-generator.js';

const FWHM_TO_SIGMA = 1 / (2 * Math.sqrt(2 * Math.LN2));

function card(cards: FitsCard[], key: string): FitsCard['value'] {
  return cards.find((c) => c.key === key)?.value;
}

/** The peak-1 elliptical Gaussian at pixel offset (dx = columns, dy = rows), PA east of north. */
function beamValue(dx: number, dy: number, major: number, minor: number, paDeg: number): number {
  const t = (paDeg * Math.PI) / 180;
  const p = -dx * Math.sin(t) + dy * Math.cos(t);
  const q = dx * Math.cos(t) + dy * Math.sin(t);
  const sa = major * FWHM_TO_SIGMA;
  const sb = minor * FWHM_TO_SIGMA;
  return Math.exp(-0.5 * ((p * p) / (sa * sa) + (q * q) / (sb * sb)));
}

function rmsOf(values: number[]): number {
  return Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
}

/** Flux of `img` outside the projected disk ellipse, in ±halfDeg wedges about the minor and major axes. */
function wedgeFlux(img: Image2D, p: SecondScene['params'], halfDeg: number) {
  const cx = Number(p.diskCentreX);
  const cy = Number(p.diskCentreY);
  const radius = Number(p.diskRadiusPx);
  const pa = (Number(p.diskPaDeg) * Math.PI) / 180;
  const ux = -Math.sin(pa);
  const uy = Math.cos(pa);
  const beam = Number(p.beamMajorPx);
  const semiMajor = 1.2 * radius + beam;
  const semiMinor = 1.2 * radius * Math.cos((Number(p.diskInclinationDeg) * Math.PI) / 180) + beam;
  const [rows, cols] = img.shape;
  let minor = 0;
  let major = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const dx = c - cx;
      const dy = r - cy;
      const a = dx * ux + dy * uy;
      const b = -dx * uy + dy * ux;
      if ((a / semiMajor) ** 2 + (b / semiMinor) ** 2 < 1) continue;
      const fromMajor = (Math.atan2(Math.abs(b), Math.abs(a)) * 180) / Math.PI;
      const v = img.get(r, c);
      if (fromMajor > 90 - halfDeg) minor += v;
      else if (fromMajor < halfDeg) major += v;
    }
  }
  return { minor, major };
}

describe('convolveEllipticalBeam', () => {
  // 37x45 and 50x64 pad to FFT sizes with factors 3 and 5 as well as 2 and 4.
  it.each([
    [37, 45, { majorPx: 6, minorPx: 3, paDeg: 30 }],
    [50, 64, { majorPx: 4, minorPx: 4, paDeg: 0 }],
    [40, 50, { majorPx: 8, minorPx: 4.5, paDeg: 125 }],
  ])(
    'turns a unit point on a %ix%i grid into the sampled beam at its position angle',
    (rows, cols, beam) => {
      const img = createImage2D(rows, cols);
      const r0 = Math.floor(rows / 2);
      const c0 = Math.floor(cols / 2) + 1;
      img.set(r0, c0, 1);
      const out = convolveEllipticalBeam(img, beam);
      let worst = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const want = beamValue(c - c0, r - r0, beam.majorPx, beam.minorPx, beam.paDeg);
          worst = Math.max(worst, Math.abs(out.get(r, c) - want));
        }
      }
      expect(out.get(r0, c0)).toBeCloseTo(1, 6);
      expect(worst).toBeLessThan(1e-6);
    },
  );

  it('stretches a beam at PA 0 along the rows (north) and at PA 90 along the columns', () => {
    const img = createImage2D(41, 41);
    img.set(20, 20, 1);
    const north = convolveEllipticalBeam(img, { majorPx: 8, minorPx: 4, paDeg: 0 });
    expect(north.get(24, 20)).toBeGreaterThan(north.get(20, 24));
    const east = convolveEllipticalBeam(img, { majorPx: 8, minorPx: 4, paDeg: 90 });
    expect(east.get(20, 24)).toBeGreaterThan(east.get(24, 20));
  });
});

describe('generateSecondSet', () => {
  it('is deterministic: the same seed gives the same pixels, scene i depends only on (seed, i)', () => {
    const a = generateSecondSet(7, { count: 6, size: 96 });
    const b = generateSecondSet(7, { count: 6, size: 96 });
    const prefix = generateSecondSet(7, { count: 3, size: 96 });
    const other = generateSecondSet(8, { count: 6, size: 96 });
    for (let i = 0; i < 6; i++) {
      expect(b[i].image.data).toEqual(a[i].image.data);
      expect(b[i].params).toEqual(a[i].params);
      expect(b[i].cards).toEqual(a[i].cards);
    }
    for (let i = 0; i < 3; i++) expect(prefix[i].image.data).toEqual(a[i].image.data);
    expect(other[0].image.data).not.toEqual(a[0].image.data);
  });

  it('renders the same sky with and without noise (noise has its own stream), to float rounding', () => {
    const noisy = generateSecondScene(createRng(5), {
      kind: 'wind-cone',
      size: 96,
      includeModel: true,
    });
    const clean = generateSecondScene(createRng(5), { kind: 'wind-cone', size: 96, noise: false });
    const model = noisy.model as Image2D;
    let peak = 0;
    let worst = 0;
    for (let k = 0; k < model.size; k++) {
      peak = Math.max(peak, Math.abs(model.data[k]));
      worst = Math.max(worst, Math.abs(clean.image.data[k] - model.data[k]));
    }
    expect(worst).toBeLessThan(1e-6 * peak);
    expect(clean.params.diskRadiusPx).toBe(noisy.params.diskRadiusPx);
  });

  it('gives each scene the label of its kind and spreads winds at the default fraction 0.37', () => {
    expect(DEFAULT_SECOND_SCENE_OPTIONS.windFraction).toBe(0.37);
    expect(DEFAULT_SECOND_SET_OPTIONS.windFraction).toBe(0.37);
    const labels = new Map<string, number>(SECOND_GENERATOR_KINDS.map((k) => [k.kind, k.label]));
    const set = generateSecondSet(11, { count: 100, size: 64 });
    for (const s of set) {
      expect(s.label).toBe(labels.get(s.kind));
      expect(s.params.label).toBe(s.label);
      expect(s.params.kind).toBe(s.kind);
    }
    expect(set.filter((s) => s.label === 1)).toHaveLength(37);
    for (const k of SECOND_GENERATOR_KINDS) {
      const scene = generateSecondScene(createRng(3), { kind: k.kind, size: 64 });
      expect(scene.label).toBe(k.label);
      expect(scene.kind).toBe(k.kind);
    }
  });

  it('lists positives (winds) and the non-round negatives the evaluation needs', () => {
    const names = SECOND_GENERATOR_KINDS.map((k) => k.kind);
    expect(SECOND_GENERATOR_KINDS.filter((k) => k.label === 1).map((k) => k.kind)).toEqual([
      'wind-cone',
      'wind-shell',
      'wind-clumpy',
    ]);
    for (const n of [
      'edge-on-disk',
      'binary',
      'circumbinary-ring',
      'envelope',
      'knot-jet',
      'stripes',
      'pbcor-edge',
      'point-sources',
    ]) {
      expect(names).toContain(n);
    }
  });
});

describe('generateSecondScene', () => {
  it('writes a SIN header whose beam in degrees matches the beam in pixels', () => {
    const set = generateSecondSet(21, { count: 26, size: 80 });
    for (const s of set) {
      const c = s.cards;
      expect(card(c, 'CTYPE1')).toBe('RA---SIN');
      expect(card(c, 'CTYPE2')).toBe('DEC--SIN');
      expect(card(c, 'BUNIT')).toBe('Jy/beam');
      expect(card(c, 'OBJECT')).toBe(`second-generator ${s.kind} ${s.params.index}`);
      expect(String(card(c, 'ORIGIN'))).toContain('second-generator');
      const cdelt1 = Number(card(c, 'CDELT1'));
      const cdelt2 = Number(card(c, 'CDELT2'));
      expect(cdelt1).toBeLessThan(0);
      expect(cdelt2).toBeGreaterThan(0);
      expect(-cdelt1).toBeCloseTo(cdelt2, 15);
      const arcsecPerPx = cdelt2 * 3600;
      expect(arcsecPerPx).toBeCloseTo(Number(s.params.pixelScaleArcsec), 12);
      expect(arcsecPerPx).toBeGreaterThanOrEqual(0.005);
      expect(arcsecPerPx).toBeLessThanOrEqual(0.15);
      expect((Number(card(c, 'BMAJ')) * 3600) / (Math.abs(cdelt1) * 3600)).toBeCloseTo(
        Number(s.params.beamMajorPx),
        9,
      );
      expect((Number(card(c, 'BMIN')) * 3600) / (cdelt2 * 3600)).toBeCloseTo(
        Number(s.params.beamMinorPx),
        9,
      );
      expect(Number(card(c, 'BMIN'))).toBeLessThanOrEqual(Number(card(c, 'BMAJ')));
      expect(card(c, 'BPA')).toBe(s.params.beamPaDeg);
      expect(Number(s.params.beamMajorPx)).toBeGreaterThanOrEqual(3);
      expect(Number(s.params.beamMajorPx)).toBeLessThanOrEqual(8);
      expect(card(c, 'CRPIX1')).toBe(40.5);
      expect(card(c, 'CRPIX2')).toBe(40.5);
      const ra = Number(card(c, 'CRVAL1'));
      const dec = Number(card(c, 'CRVAL2'));
      expect(ra >= 0 && ra < 360 && dec >= -90 && dec <= 90).toBe(true);
      expect(c.some((x) => ['SIMPLE', 'BITPIX', 'NAXIS'].includes(x.key))).toBe(false);
    }
  });

  it('has noise at the target rms: image minus model, and a robust estimate far from the source', () => {
    const set = generateSecondSet(31, { count: 30, size: 160, includeModel: true });
    for (const s of set) {
      const rms = Number(s.params.rmsJyBeam);
      const pbFwhm = Number(s.params.pbFwhmPx ?? NaN);
      const residual: number[] = [];
      const [rows, cols] = s.image.shape;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const v = s.image.get(r, c) - (s.model as Image2D).get(r, c);
          if (!Number.isFinite(v)) continue;
          // A corrected image's noise is rms / PB; bring it back to the centre's level.
          const r2 = (c - (cols - 1) / 2) ** 2 + (r - (rows - 1) / 2) ** 2;
          const pb = Number.isFinite(pbFwhm) ? Math.exp((-4 * Math.LN2 * r2) / pbFwhm ** 2) : 1;
          residual.push(v * pb);
        }
      }
      expect(Math.abs(rmsOf(residual) / rms - 1)).toBeLessThan(0.1);
    }
    // Independent of the model: 1.4826·MAD of the pixels where the model is below 0.05 rms.
    let robust = 0;
    for (const s of generateSecondSet(32, { count: 12, size: 160, includeModel: true })) {
      if (s.params.pbcor === 1) continue;
      const rms = Number(s.params.rmsJyBeam);
      const quiet: number[] = [];
      for (let k = 0; k < s.image.size; k++) {
        if (Math.abs((s.model as Image2D).data[k]) < 0.05 * rms) quiet.push(s.image.data[k]);
      }
      if (quiet.length < 5000) continue;
      quiet.sort((x, y) => x - y);
      const median = quiet[quiet.length >> 1];
      const dev = quiet.map((v) => Math.abs(v - median)).sort((x, y) => x - y);
      expect(Math.abs((1.4826 * dev[dev.length >> 1]) / rms - 1)).toBeLessThan(0.1);
      robust++;
    }
    expect(robust).toBeGreaterThan(5);
  });

  it('correlates its noise like the beam: autocorrelation exp(-dᵀΣ⁻¹d / 4) at lags of a few pixels', () => {
    const s = generateSecondScene(createRng(41), {
      kind: 'point-sources',
      size: 256,
      includeModel: true,
    });
    expect(s.params.pbcor).toBe(0);
    const { beamMajorPx, beamMinorPx, beamPaDeg } = s.params;
    const [rows, cols] = s.image.shape;
    const noise = (r: number, c: number) => s.image.get(r, c) - (s.model as Image2D).get(r, c);
    for (const [dr, dc] of [
      [0, 2],
      [2, 0],
      [2, 2],
      [2, -2],
    ]) {
      let sxy = 0;
      let sxx = 0;
      for (let r = 10; r < rows - 10; r++) {
        for (let c = 10; c < cols - 10; c++) {
          sxy += noise(r, c) * noise(r + dr, c + dc);
          sxx += noise(r, c) ** 2;
        }
      }
      // White noise through a Gaussian of covariance Σ has covariance 2Σ.
      const want = Math.sqrt(
        beamValue(dc, dr, Number(beamMajorPx), Number(beamMinorPx), Number(beamPaDeg)),
      );
      expect(Math.abs(sxy / sxx - want)).toBeLessThan(0.07);
    }
  });

  it('puts the wind along the projected minor axis: more wind flux there than along the major axis outside the disk', () => {
    const rng = createRng(51);
    let checked = 0;
    for (let k = 0; k < 45; k++) {
      const kind = (['wind-cone', 'wind-shell', 'wind-clumpy'] as const)[k % 3];
      const s = generateSecondScene(rng.fork(), {
        kind,
        size: 200,
        noise: false,
        includeComponents: true,
      });
      // Near face-on a wind surrounds the disk and has no preferred direction on the sky.
      if (Number(s.params.diskInclinationDeg) < 30) continue;
      const wind = s.components?.wind as Image2D;
      const { minor, major } = wedgeFlux(wind, s.params, 20);
      expect(minor, `${kind} ${JSON.stringify(s.params)}`).toBeGreaterThan(major);
      expect(minor).toBeGreaterThan(0);
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('scales the wind between 3 rms and 30 % of the disk peak, measured outside the disk', () => {
    const rng = createRng(61);
    for (let k = 0; k < 12; k++) {
      const s = generateSecondScene(rng.fork(), {
        label: 1,
        size: 128,
        noise: false,
        includeComponents: true,
      });
      const p = s.params;
      const sigma = Number(p.windPeakSigma);
      expect(sigma).toBeGreaterThanOrEqual(3 - 1e-9);
      expect(Number(p.windContrast)).toBeLessThanOrEqual(0.3 + 1e-9);
      const disk = (s.components as NonNullable<SecondScene['components']>).disk;
      const wind = (s.components as NonNullable<SecondScene['components']>).wind;
      let diskMax = 0;
      for (let i = 0; i < disk.size; i++) diskMax = Math.max(diskMax, disk.data[i]);
      expect(diskMax / Number(p.rmsJyBeam)).toBeCloseTo(Number(p.diskSnr), 3);
      if (p.windPeakOutsideDisk !== 1) continue;
      let outside = 0;
      for (let i = 0; i < wind.size; i++)
        if (disk.data[i] < 0.05 * diskMax) outside = Math.max(outside, wind.data[i]);
      expect(outside / Number(p.windPeakJyBeam)).toBeCloseTo(1, 4);
    }
  });

  it('leaves negatives without wind emission', () => {
    const rng = createRng(71);
    for (let k = 0; k < 10; k++) {
      const s = generateSecondScene(rng.fork(), {
        label: 0,
        size: 96,
        noise: false,
        includeComponents: true,
      });
      expect(s.label).toBe(0);
      expect(s.components?.wind.data.every((v) => v === 0)).toBe(true);
      expect(s.params.windGeometry).toBeUndefined();
    }
  });

  it('sets NaN exactly outside the primary-beam radius of a corrected image, and nowhere else', () => {
    const rng = createRng(81);
    let corrected = 0;
    for (let k = 0; k < 20; k++) {
      const s = generateSecondScene(rng.fork(), { size: 128 });
      const [rows, cols] = s.image.shape;
      const radius = s.params.pbcor === 1 ? Number(s.params.pbRadiusPx) : Infinity;
      if (Number.isFinite(radius)) corrected++;
      let mismatches = 0;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const outside = (c - (cols - 1) / 2) ** 2 + (r - (rows - 1) / 2) ** 2 > radius * radius;
          if (Number.isNaN(s.image.get(r, c)) !== outside) mismatches++;
        }
      }
      expect(mismatches).toBe(0);
    }
    const s = generateSecondScene(createRng(82), { kind: 'pbcor-edge', size: 128 });
    expect(s.params.pbcor).toBe(1);
    expect(s.image.data.some((v) => Number.isNaN(v))).toBe(true);
    expect(corrected).toBeGreaterThan(0);
  });

  it('records the drawn values within the documented ranges', () => {
    for (const s of generateSecondSet(91, { count: 40, size: 128 })) {
      const p = s.params;
      if (p.diskRadiusPx !== undefined) {
        expect(Number(p.diskInclinationDeg)).toBeLessThanOrEqual(88);
        expect(Number(p.diskRadiusArcsec)).toBeCloseTo(
          Number(p.diskRadiusPx) * Number(p.pixelScaleArcsec),
          12,
        );
      }
      if (s.label === 1) {
        expect(Number(p.windOpeningDeg)).toBeGreaterThanOrEqual(10);
        expect(Number(p.windOpeningDeg)).toBeLessThanOrEqual(45);
        expect(Math.abs(Number(p.windMisalignDeg))).toBeLessThanOrEqual(5);
        expect(['bipolar', 'one-sided']).toContain(p.windLobes);
      }
      expect(Number(p.rmsJyBeam)).toBeGreaterThanOrEqual(1e-5);
      expect(Number(p.rmsJyBeam)).toBeLessThanOrEqual(1e-3);
      expect(s.image.data).toBeInstanceOf(Float32Array);
      expect(s.image.shape).toEqual([128, 128]);
    }
    expect(generateSecondScene(createRng(1), { size: [64, 96], kind: 'disk' }).image.shape).toEqual(
      [64, 96],
    );
    expect(() => generateSecondScene(createRng(1), { size: 16 })).toThrow(RangeError);
  });

  it('generates 200 scenes of 256x256 (and prints the time it took)', () => {
    const t0 = performance.now();
    const set = generateSecondSet(101, { count: 200, size: 256 });
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `second generator: 200 scenes of 256x256 in ${seconds.toFixed(1)} s (${((1000 * seconds) / 200).toFixed(0)} ms each)`,
    );
    expect(set).toHaveLength(200);
  }, 180_000);
});
