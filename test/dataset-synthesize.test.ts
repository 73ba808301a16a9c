import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Image2D } from '../src/core/image2d.js';
import { createRng } from '../src/core/random.js';
import { cropCenter, principalAngle, robustStd } from '../src/image/index.js';
import {
  SYNTHETIC_SCENE_KINDS,
  synthesize,
  synthesizeScene,
  type DustInWindLabel,
  type SynthesizeSceneOptions,
  type SyntheticScene,
} from '../src/dataset/index.js';
import { FitsHeader, writeFits } from '../src/fits/index.js';
import {
  FWHM_PER_SIGMA,
  beamCovariance,
  beamResponse,
  planBeamConvolution,
} from '../src/dataset/synthesize-beam.js';

describe('synthesize', () => {
  it('is seeded: the same seed gives the same image, another seed another', () => {
    const a = synthesize(createRng(1), { kind: 'wind', size: 64 });
    const b = synthesize(createRng(1), { kind: 'wind', size: 64 });
    const c = synthesize(createRng(2), { kind: 'wind', size: 64 });
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
    expect(a.shape).toEqual([64, 64]);
    expect(a.data).toBeInstanceOf(Float32Array);
  });
  it('adds beam-correlated noise at the requested rms', () => {
    const img = synthesize(createRng(3), {
      kind: 'noise',
      size: 256,
      rms: 1e-4,
      pointSources: [0, 0],
    });
    expect(robustStd(img)).toBeCloseTo(1e-4, 5);
    // Correlated at the beam scale: neighbours are alike, pixels a few beams apart are not.
    const corr = (dr: number): number => {
      let s = 0;
      let n = 0;
      for (let r = 0; r + dr < 256; r++)
        for (let c = 0; c < 256; c++, n++) s += img.get(r, c) * img.get(r + dr, c);
      return s / n / 1e-8;
    };
    expect(corr(1)).toBeGreaterThan(0.8);
    expect(Math.abs(corr(20))).toBeLessThan(0.1);
  });
  it('puts a disk at the position angle asked for, as principalAngle measures it', () => {
    for (const pa of [0, 35, -50]) {
      // A circular beam, so the angle measured is the disk's and not the beam's.
      const img = synthesize(createRng(4), {
        kind: 'disk',
        size: 128,
        beamFwhm: 5,
        positionAngle: pa,
        inclination: 60,
        pointSources: [0, 0],
        snrRange: [500, 500],
      });
      expect(Math.abs(principalAngle(img) - pa)).toBeLessThan(5);
    }
  });
  it('wind adds emission along the minor axis that a plain disk lacks', () => {
    const opts = {
      size: 128,
      positionAngle: 0,
      inclination: 70,
      pointSources: [0, 0] as [number, number],
      snrRange: [300, 300] as [number, number],
    };
    const strip = (img: ReturnType<typeof synthesize>, vertical: boolean): number => {
      let s = 0;
      for (let d = 14; d < 40; d++) {
        for (const sign of [-1, 1])
          s += vertical ? img.get(64 + sign * d, 64) : img.get(64, 64 + sign * d);
      }
      return s;
    };
    let windier = 0;
    for (let seed = 0; seed < 5; seed++) {
      const wind = synthesize(createRng(seed), { ...opts, kind: 'wind' });
      const disk = synthesize(createRng(seed), { ...opts, kind: 'disk' });
      if (
        strip(wind, true) - strip(disk, true) >
        2 * Math.abs(strip(wind, false) - strip(disk, false))
      )
        windier++;
    }
    expect(windier).toBeGreaterThanOrEqual(4);
  });
  it('blanks the corners outside the primary beam and keeps the centre finite', () => {
    const img = synthesize(createRng(5), { size: 100, primaryBeam: 0.9 });
    expect(Number.isNaN(img.get(0, 0))).toBe(true);
    expect(Number.isNaN(img.get(99, 99))).toBe(true);
    for (const v of cropCenter(img, { size: 60 }).data) expect(Number.isFinite(v)).toBe(true);
  });
  it('draws spiral arms: brightness varies around a ring where a face-on disk is even', () => {
    const ringContrast = (kind: 'disk' | 'spiral'): number => {
      const img = synthesize(createRng(6), {
        kind,
        size: 128,
        inclination: 0,
        pointSources: [0, 0],
        snrRange: [1000, 1000],
        diskFraction: [0.1, 0.1],
      });
      // The centre is jittered: ring around the brightest pixel.
      let best = -Infinity;
      let cr = 0;
      let cc = 0;
      for (let r = 0; r < 128; r++)
        for (let c = 0; c < 128; c++)
          if (img.get(r, c) > best) [best, cr, cc] = [img.get(r, c), r, c];
      const values: number[] = [];
      for (let k = 0; k < 72; k++) {
        const t = (k * Math.PI) / 36;
        const y = cr + 10 * Math.sin(t);
        const x = cc + 10 * Math.cos(t);
        const [r0, c0] = [Math.floor(y), Math.floor(x)];
        const [fy, fx] = [y - r0, x - c0];
        values.push(
          (1 - fy) * ((1 - fx) * img.get(r0, c0) + fx * img.get(r0, c0 + 1)) +
            fy * ((1 - fx) * img.get(r0 + 1, c0) + fx * img.get(r0 + 1, c0 + 1)),
        );
      }
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      return (Math.max(...values) - Math.min(...values)) / mean;
    };
    expect(ringContrast('spiral')).toBeGreaterThan(3 * ringContrast('disk'));
  });
  it('rejects a size too small to hold a source', () => {
    expect(() => synthesize(createRng(1), { size: 8 })).toThrow(RangeError);
  });
});

/** A scene with nothing but the source: no noise, stripes, primary beam or background sources. */
const QUIET = {
  noise: false,
  sidelobes: false,
  primaryBeam: false,
  pointSources: [0, 0],
} as const satisfies SynthesizeSceneOptions;

const WIND_KINDS = SYNTHETIC_SCENE_KINDS.filter((k) => k.label === 'positive').map((k) => k.kind);

function num(scene: SyntheticScene, key: string): number {
  const v = scene.params[key];
  if (typeof v !== 'number') throw new Error(`param ${key} is ${String(v)}`);
  return v;
}

/** Flux-weighted second moments of the positive pixels: FWHMs and the major axis east of north. */
function shapeOf(img: Image2D): { major: number; minor: number; pa: number } {
  const [R, C] = img.shape;
  let s = 0;
  let sr = 0;
  let sc = 0;
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const v = Math.max(img.get(r, c), 0);
      s += v;
      sr += v * r;
      sc += v * c;
    }
  const mr = sr / s;
  const mc = sc / s;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let r = 0; r < R; r++)
    for (let c = 0; c < C; c++) {
      const v = Math.max(img.get(r, c), 0);
      xx += (v * (c - mc) ** 2) / s;
      yy += (v * (r - mr) ** 2) / s;
      xy += (v * (c - mc) * (r - mr)) / s;
    }
  const tr = (xx + yy) / 2;
  const d = Math.sqrt(((xx - yy) / 2) ** 2 + xy * xy);
  // Major axis (dx, dy) = (column, row); east of north with rows north and columns west.
  const angle = 0.5 * Math.atan2(2 * xy, xx - yy);
  const pa =
    ((((Math.atan2(-Math.cos(angle), Math.sin(angle)) * 180) / Math.PI) % 180) + 180) % 180;
  return {
    major: Math.sqrt(tr + d) * FWHM_PER_SIGMA,
    minor: Math.sqrt(tr - d) * FWHM_PER_SIGMA,
    pa,
  };
}

function angleDiff(a: number, b: number): number {
  const d = (((a - b) % 180) + 180) % 180;
  return Math.min(d, 180 - d);
}

describe('synthesizeScene', () => {
  it('is deterministic: the same rng state gives the same image, params and cards', () => {
    for (const kind of ['wind-walls', 'binary', 'sidelobes'] as const) {
      const a = synthesizeScene(createRng(7), { kind, size: 96 });
      const b = synthesizeScene(createRng(7), { kind, size: 96 });
      expect(a.image.data).toEqual(b.image.data);
      expect(a.params).toEqual(b.params);
      expect(a.cards).toEqual(b.cards);
      const c = synthesizeScene(createRng(8), { kind, size: 96 });
      expect(c.image.data).not.toEqual(a.image.data);
    }
    // The generator always advances the caller's rng by the same amount.
    const r1 = createRng(3);
    const r2 = createRng(3);
    synthesizeScene(r1, { kind: 'disk', size: 32 });
    synthesizeScene(r2, { label: 'positive', size: 64, primaryBeam: 0.9 });
    expect(r1.next()).toBe(r2.next());
  });

  it('pinning one parameter leaves every other draw, and the noise, unchanged', () => {
    const a = synthesizeScene(createRng(21), { kind: 'wind-cone', size: 128 });
    const b = synthesizeScene(createRng(21), { kind: 'wind-cone', size: 128, inclination: 85 });
    const changed = Object.keys(a.params).filter((k) => a.params[k] !== b.params[k]);
    // The projected wind length follows from the inclination; nothing else moves.
    expect(changed.sort()).toEqual(['inclination', 'windLengthPx']);
    const c = synthesizeScene(createRng(21), { kind: 'disk', size: 128, beamPositionAngle: 10 });
    const d = synthesizeScene(createRng(21), { kind: 'disk', size: 128, beamPositionAngle: 100 });
    expect(Object.keys(c.params).filter((k) => c.params[k] !== d.params[k])).toEqual([
      'beamPositionAngle',
    ]);
  });

  it('shares observation, disk and noise between a wind and a plain disk from one rng state', () => {
    for (const kind of WIND_KINDS) {
      const wind = synthesizeScene(createRng(5), { kind, size: 128 });
      const disk = synthesizeScene(createRng(5), { kind: 'disk', size: 128 });
      for (const key of Object.keys(disk.params)) {
        if (key === 'kind' || key === 'label') continue;
        expect(wind.params[key], key).toEqual(disk.params[key]);
      }
      // The noise, stripes and point sources cancel: noisy wind − disk is the noise-free wind.
      const windClean = synthesizeScene(createRng(5), { kind, size: 128, noise: false });
      const diskClean = synthesizeScene(createRng(5), { kind: 'disk', size: 128, noise: false });
      const tol = 1e-5 * num(disk, 'peak');
      let differs = 0;
      for (let i = 0; i < wind.image.size; i++) {
        const noisy = wind.image.data[i] - disk.image.data[i];
        const clean = windClean.image.data[i] - diskClean.image.data[i];
        if (Number.isNaN(noisy)) expect(Number.isNaN(clean)).toBe(true);
        else if (Math.abs(noisy - clean) > tol) differs++;
      }
      expect(differs, kind).toBe(0);
    }
  });

  it('makes the structure beside the disk clumpy on request, leaving disk, noise and draws alone', () => {
    for (const kind of ['wind-cone', 'envelope'] as const) {
      const smooth = synthesizeScene(createRng(9), { kind, size: 96, noise: false });
      const clumpy = synthesizeScene(createRng(9), {
        kind,
        size: 96,
        noise: false,
        clumpyFraction: 1,
      });
      const disk = synthesizeScene(createRng(9), { kind: 'disk', size: 96, noise: false });
      // Every other parameter is drawn as before; only the clumps' own are added.
      for (const key of Object.keys(smooth.params)) {
        expect(clumpy.params[key], key).toEqual(smooth.params[key]);
      }
      expect(num(clumpy, 'clumpiness')).toBeGreaterThan(0);
      // The structure beside the disk changes, and becomes less smooth: its pixel-to-pixel
      // variation grows relative to its total.
      const feature = (s: typeof smooth): Float64Array =>
        Float64Array.from(s.image.data, (v, i) => (Number.isNaN(v) ? 0 : v - disk.image.data[i]));
      const a = feature(smooth);
      const b = feature(clumpy);
      const roughness = (f: Float64Array): number => {
        let d = 0;
        let t = 0;
        for (let r = 0; r < 96; r++) {
          for (let c = 1; c < 96; c++) {
            d += Math.abs(f[r * 96 + c] - f[r * 96 + c - 1]);
            t += Math.abs(f[r * 96 + c]);
          }
        }
        return d / t;
      };
      expect(roughness(b), kind).toBeGreaterThan(1.2 * roughness(a));
    }
    // Off by default: the same scene as clumpyFraction 0, pixel for pixel.
    const a = synthesizeScene(createRng(4), { kind: 'wind-lobes', size: 64 });
    const b = synthesizeScene(createRng(4), { kind: 'wind-lobes', size: 64, clumpyFraction: 0 });
    expect(b.image.data).toEqual(a.image.data);
  });

  it('writes a SIN WCS and a beam that agree with the pixel scale and the beam used', () => {
    const rng = createRng(30);
    for (let i = 0; i < 40; i++) {
      const scene = synthesizeScene(rng.fork(), { size: 48, noise: false });
      const h = new FitsHeader(scene.cards);
      const scale = num(scene, 'pixelScale');
      expect(h.get('CTYPE1')).toBe('RA---SIN');
      expect(h.get('CTYPE2')).toBe('DEC--SIN');
      expect(h.get('CUNIT1')).toBe('deg');
      expect(h.get('CUNIT2')).toBe('deg');
      expect(h.get('RADESYS')).toBe('ICRS');
      expect(h.get('BUNIT')).toBe('Jy/beam');
      expect(h.get('ORIGIN')).toBe('alma-classifier synthesizeScene()');
      expect(h.get('OBJECT')).toMatch(/^SYNTH J\d{6}\.\d[+-]\d{6}$/);
      expect(h.number('CRPIX1')).toBe(24.5);
      expect(h.number('CRPIX2')).toBe(24.5);
      expect(h.number('CDELT1')).toBeCloseTo(-scale / 3600, 15);
      expect(h.number('CDELT2')).toBeCloseTo(scale / 3600, 15);
      expect(h.number('CRVAL1')).toBe(num(scene, 'ra'));
      expect(h.number('CRVAL2')).toBe(num(scene, 'dec'));
      expect(num(scene, 'ra')).toBeGreaterThanOrEqual(0);
      expect(num(scene, 'ra')).toBeLessThan(360);
      expect(num(scene, 'dec')).toBeGreaterThanOrEqual(-80);
      expect(num(scene, 'dec')).toBeLessThanOrEqual(45);
      // The beam in the header, in pixels, is the beam the image was convolved with.
      const cdelt = Math.abs(h.number('CDELT1')!);
      expect((h.number('BMAJ')! * 3600) / (cdelt * 3600)).toBeCloseTo(num(scene, 'beamMajor'), 9);
      expect(h.number('BMIN')! / cdelt).toBeCloseTo(num(scene, 'beamMinor'), 9);
      expect(h.number('BPA')).toBe(num(scene, 'beamPositionAngle'));
      expect(scene.image.shape).toEqual([48, 48]);
    }
    const pinned = synthesizeScene(createRng(1), { position: [83.8, -5.4], object: 'OMC' });
    const h = new FitsHeader(pinned.cards);
    expect([h.number('CRVAL1'), h.number('CRVAL2'), h.get('OBJECT')]).toEqual([83.8, -5.4, 'OMC']);
  });

  it('draws the image through that beam: a point source is elongated along BPA, east of north', () => {
    for (const bpa of [0, 30, 75, 120, 160]) {
      const scene = synthesizeScene(createRng(2), {
        ...QUIET,
        kind: 'disk',
        size: 96,
        diskRadius: 1,
        diskProfile: 'gaussian',
        inclination: 0,
        beamMajor: 8,
        beamAxisRatio: 1.8,
        beamPositionAngle: bpa,
      });
      const s = shapeOf(scene.image);
      expect(angleDiff(s.pa, bpa)).toBeLessThan(2);
      // The ~1 px source and its pixel sampling add up to ~0.5 px² to each axis's variance.
      expect(Math.abs(s.major / 8 - 1)).toBeLessThan(0.03);
      expect(Math.abs(s.minor / (8 / 1.8) - 1)).toBeLessThan(0.08);
    }
  });

  const python = '/usr/bin/python3';
  const astropy = (() => {
    if (!existsSync(python)) return false;
    try {
      execFileSync(python, ['-c', 'import astropy.wcs'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const tmp = mkdtempSync(join(tmpdir(), 'synthesize-scene-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(!astropy)(
    'writes cards astropy.wcs reads as the same sky position, scale and beam',
    () => {
      const scene = synthesizeScene(createRng(12), { kind: 'wind-lobes', size: 64 });
      const path = join(tmp, 'scene.fits');
      writeFileSync(path, writeFits(scene.image, scene.cards));
      const out = execFileSync(python, [
        '-c',
        [
          'import sys, json',
          'from astropy.io import fits',
          'from astropy.wcs import WCS',
          'from astropy.wcs.utils import proj_plane_pixel_scales',
          'h = fits.getheader(sys.argv[1])',
          'w = WCS(h)',
          'ra, dec = w.wcs_pix2world([[31.5, 31.5]], 0)[0]',
          'sx, sy = proj_plane_pixel_scales(w) * 3600',
          'print(json.dumps([float(ra), float(dec), float(sx), float(sy), h["BMAJ"] * 3600, h["BMIN"] * 3600, h["BPA"], w.wcs.radesys]))',
        ].join('\n'),
        path,
      ]).toString();
      const [ra, dec, sx, sy, bmaj, bmin, bpa, radesys] = JSON.parse(out) as number[];
      // The image centre (0-based 31.5) is the reference pixel.
      expect(ra).toBeCloseTo(num(scene, 'ra'), 9);
      expect(dec).toBeCloseTo(num(scene, 'dec'), 9);
      expect(sx / num(scene, 'pixelScale')).toBeCloseTo(1, 9);
      expect(sy / num(scene, 'pixelScale')).toBeCloseTo(1, 9);
      expect(bmaj / num(scene, 'pixelScale')).toBeCloseTo(num(scene, 'beamMajor'), 6);
      expect(bmin / num(scene, 'pixelScale')).toBeCloseTo(num(scene, 'beamMinor'), 6);
      expect(bpa).toBeCloseTo(num(scene, 'beamPositionAngle'), 9);
      expect(radesys).toBe('ICRS');
    },
  );

  it('scales the beam-correlated noise to the requested rms, correlated as the beam predicts', () => {
    const scene = synthesizeScene(createRng(4), {
      kind: 'noise',
      size: 256,
      rms: 2e-4,
      sidelobes: false,
      primaryBeam: false,
      pointSources: [0, 0],
      beamMajor: 8,
      beamAxisRatio: 1.6,
      beamPositionAngle: 0,
    });
    const img = scene.image;
    let s2 = 0;
    for (const v of img.data) s2 += v * v;
    expect(Math.sqrt(s2 / img.size) / 2e-4).toBeCloseTo(1, 6);
    expect(robustStd(img) / 2e-4).toBeGreaterThan(0.95);
    expect(robustStd(img) / 2e-4).toBeLessThan(1.05);
    // Noise through the beam has covariance 2Σ: at lag d the correlation is exp(-d²/4σ²) along
    // an axis. BPA 0 puts the major axis along the rows.
    const corr = (dr: number, dc: number): number => {
      let s = 0;
      let n = 0;
      for (let r = 0; r + dr < 256; r++)
        for (let c = 0; c + dc < 256; c++, n++) s += img.get(r, c) * img.get(r + dr, c + dc);
      return s / n / 4e-8;
    };
    const sMaj = 8 / FWHM_PER_SIGMA;
    const sMin = 8 / 1.6 / FWHM_PER_SIGMA;
    expect(corr(3, 0)).toBeCloseTo(Math.exp(-9 / (4 * sMaj * sMaj)), 1);
    expect(corr(0, 3)).toBeCloseTo(Math.exp(-9 / (4 * sMin * sMin)), 1);
    expect(Math.abs(corr(0, 20))).toBeLessThan(0.1);
    // With a primary-beam cut the centre keeps the rms and the noise rises towards the edge.
    const pb = synthesizeScene(createRng(4), {
      kind: 'noise',
      size: 256,
      rms: 2e-4,
      pointSources: [0, 0],
      sidelobes: false,
      primaryBeam: 0.9,
    });
    const ring = (r0: number, r1: number): number[] => {
      const out: number[] = [];
      for (let r = 0; r < 256; r++)
        for (let c = 0; c < 256; c++) {
          const d = Math.hypot(r - 127.5, c - 127.5);
          if (d >= r0 && d < r1) out.push(pb.image.get(r, c));
        }
      return out;
    };
    expect(robustStd(ring(0, 30)) / 2e-4).toBeCloseTo(1, 0);
    expect(robustStd(ring(100, 115))).toBeGreaterThan(2.5 * robustStd(ring(0, 30)));
  });

  it('puts the wind flux along the disk minor axis (noise-free wind minus the same disk)', () => {
    for (const kind of [...WIND_KINDS, 'jet-knots'] as const) {
      const errors: number[] = [];
      for (let seed = 0; seed < 12; seed++) {
        const wind = synthesizeScene(createRng(seed), { ...QUIET, kind, size: 160 });
        const disk = synthesizeScene(createRng(seed), { ...QUIET, kind: 'disk', size: 160 });
        const theta = (num(wind, 'positionAngle') * Math.PI) / 180;
        const cy = num(wind, 'centreRow');
        const cx = num(wind, 'centreCol');
        const cut = 0.2 * num(wind, 'peak');
        let nearMinor = 0;
        let total = 0;
        let c2 = 0;
        let s2 = 0;
        for (let r = 0; r < 160; r++)
          for (let c = 0; c < 160; c++) {
            // The wind as seen beyond the disk: where the disk is below 20 % of its peak.
            const f = wind.image.get(r, c) - disk.image.get(r, c);
            if (!(f > 0) || disk.image.get(r, c) >= cut) continue;
            const dx = c - cx;
            const dy = r - cy;
            const u = dx * Math.cos(theta) - dy * Math.sin(theta);
            const v = dx * Math.sin(theta) + dy * Math.cos(theta);
            total += f;
            if (Math.abs(v) > Math.abs(u)) nearMinor += f;
            const phi = 2 * Math.atan2(u, v);
            c2 += f * Math.cos(phi);
            s2 += f * Math.sin(phi);
          }
        expect(total, `${kind} seed ${seed}`).toBeGreaterThan(0);
        // Wide fans of nearly pole-on winds spread, but never more across than along the axis.
        expect(nearMinor / total, `${kind} seed ${seed}`).toBeGreaterThan(0.45);
        errors.push(Math.abs((Math.atan2(s2, c2) / 2) * (180 / Math.PI)));
      }
      // The flux-weighted direction is the minor axis, within the misalignment (±4°) and the
      // image edge cutting long winds.
      expect(Math.max(...errors), kind).toBeLessThan(20);
      expect(errors.reduce((a, b) => a + b, 0) / errors.length, kind).toBeLessThan(5);
    }
  });

  it('scales a wind to windSnr σ at its peak beyond the disk, and keeps default winds faint', () => {
    for (const kind of WIND_KINDS) {
      const opts = { ...QUIET, kind, size: 128, windSnr: 5 };
      const wind = synthesizeScene(createRng(9), opts);
      const disk = synthesizeScene(createRng(9), { ...opts, kind: 'disk' });
      let peak = 0;
      const cut = 0.2 * num(disk, 'peak');
      for (let i = 0; i < wind.image.size; i++)
        if (disk.image.data[i] < cut)
          peak = Math.max(peak, wind.image.data[i] - disk.image.data[i]);
      expect(peak / num(wind, 'rms')).toBeCloseTo(5, 3);
    }
    const rng = createRng(10);
    for (let i = 0; i < 60; i++) {
      const s = synthesizeScene(rng.fork(), { ...QUIET, label: 'positive', size: 32 });
      expect(num(s, 'windSnr')).toBeGreaterThanOrEqual(3 - 1e-9);
      expect(num(s, 'windSnr')).toBeLessThanOrEqual(Math.max(3, 0.3 * num(s, 'snr')) + 1e-9);
      expect(angleDiff(num(s, 'windMisalignment'), 0)).toBeLessThanOrEqual(4);
    }
  });

  it('draws an edge-on disk thin but resolved, not a line', () => {
    const scene = synthesizeScene(createRng(1), {
      ...QUIET,
      kind: 'edge-on',
      size: 200,
      inclination: 90,
      positionAngle: 0,
      diskRadius: 60,
      diskThickness: 0.1,
      diskProfile: 'gaussian',
      beamMajor: 3,
      beamAxisRatio: 1,
    });
    const r0 = Math.round(num(scene, 'centreRow'));
    const c0 = Math.round(num(scene, 'centreCol'));
    const peak = scene.image.get(r0, c0);
    const width = (values: number[]): number => values.filter((v) => v >= peak / 2).length;
    const across = Array.from({ length: 200 }, (_, r) => scene.image.get(r, c0));
    const along = Array.from({ length: 200 }, (_, c) => scene.image.get(r0, c));
    // Intrinsic minor FWHM 2·6·√(ln 2 / ln 10) ≈ 6.6 px, through a 3 px beam ≈ 7.2 px.
    expect(width(across)).toBeGreaterThanOrEqual(6);
    expect(width(across)).toBeLessThanOrEqual(9);
    expect(width(along)).toBeGreaterThan(8 * width(across));
  });

  it('renders every kind with no NaN inside the primary beam and only NaN beyond it', () => {
    for (const info of SYNTHETIC_SCENE_KINDS) {
      for (let seed = 0; seed < 3; seed++) {
        const open = synthesizeScene(createRng(seed), {
          kind: info.kind,
          size: 96,
          primaryBeam: false,
        });
        expect(open.image.data.every(Number.isFinite), info.kind).toBe(true);
        const cut = synthesizeScene(createRng(seed), {
          kind: info.kind,
          size: 96,
          primaryBeam: 0.8,
        });
        let wrong = 0;
        for (let r = 0; r < 96; r++)
          for (let c = 0; c < 96; c++) {
            const inside = Math.hypot(r - 47.5, c - 47.5) <= 0.8 * 48;
            if (Number.isFinite(cut.image.get(r, c)) !== inside) wrong++;
          }
        expect(wrong, info.kind).toBe(0);
        expect(cut.params.primaryBeam).toBe(0.8);
      }
    }
    // pbcor-edge always has its cut, drawn as any scene's.
    const edge = synthesizeScene(createRng(0), { kind: 'pbcor-edge', size: 64 });
    expect(typeof edge.params.primaryBeam).toBe('number');
    expect(Number.isNaN(edge.image.get(0, 0))).toBe(true);
  });

  it('labels each kind for dust-in-wind and draws the kinds of a label by their weights', () => {
    for (const info of SYNTHETIC_SCENE_KINDS) {
      const scene = synthesizeScene(createRng(1), { ...QUIET, kind: info.kind, size: 16 });
      expect([scene.kind, scene.label]).toEqual([info.kind, info.label]);
    }
    expect(WIND_KINDS).toEqual(['wind-cone', 'wind-walls', 'wind-lobes', 'wind-arcs']);
    for (const label of ['positive', 'negative'] as const) {
      const kinds = SYNTHETIC_SCENE_KINDS.filter((k) => k.label === label);
      expect(kinds.reduce((s, k) => s + k.weight, 0)).toBeCloseTo(1, 12);
      const counts = new Map<string, number>();
      const rng = createRng(label === 'positive' ? 1 : 2);
      const n = 1500;
      for (let i = 0; i < n; i++) {
        const s = synthesizeScene(rng, { ...QUIET, label, size: 16 });
        expect(s.label).toBe(label);
        counts.set(s.kind, (counts.get(s.kind) ?? 0) + 1);
      }
      for (const k of kinds) {
        const p = (counts.get(k.kind) ?? 0) / n;
        expect(Math.abs(p - k.weight), k.kind).toBeLessThan(
          4 * Math.sqrt((k.weight * (1 - k.weight)) / n),
        );
      }
    }
    // Hard negatives dominate: plain disks are a fifth of the negatives.
    expect(SYNTHETIC_SCENE_KINDS.find((k) => k.kind === 'disk')!.weight).toBe(0.2);
    const only = synthesizeScene(createRng(3), {
      ...QUIET,
      label: 'negative',
      size: 16,
      weights: {
        disk: 0,
        'edge-on': 0,
        binary: 0,
        rings: 0,
        envelope: 0,
        sidelobes: 0,
        'pbcor-edge': 0,
        'point-sources': 0,
        noise: 0,
        spiral: 0,
      },
    });
    expect(only.kind).toBe('jet-knots');
    const rng = createRng(4);
    let mixed = 0;
    for (let i = 0; i < 400; i++)
      if (synthesizeScene(rng, { ...QUIET, size: 16 }).label === 'positive') mixed++;
    expect(mixed / 400).toBeGreaterThan(0.42);
    expect(mixed / 400).toBeLessThan(0.58);
  });

  it('draws the observation alike for both labels, so it cannot tell the class', () => {
    const observation = [
      'size',
      'pixelScale',
      'beamMajor',
      'beamMinor',
      'beamPositionAngle',
      'rms',
      'ra',
      'dec',
    ];
    // The same rng state gives the same observation whatever the label or kind.
    for (let seed = 0; seed < 20; seed++) {
      const pos = synthesizeScene(createRng(seed), {
        ...QUIET,
        label: 'positive',
        size: [64, 128],
      });
      const neg = synthesizeScene(createRng(seed), {
        ...QUIET,
        label: 'negative',
        size: [64, 128],
      });
      for (const key of observation) expect(pos.params[key]).toBe(neg.params[key]);
    }
    // And independent draws of either label have the same distributions: 300 of each.
    const draw = (label: DustInWindLabel, seed: number): Record<string, number[]> => {
      const rng = createRng(seed);
      const out: Record<string, number[]> = { pb: [], sidelobes: [], logScale: [], logRms: [] };
      for (const key of ['size', 'beamMajor', 'beamMinor']) out[key] = [];
      for (let i = 0; i < 300; i++) {
        const s = synthesizeScene(rng, { noise: false, label, size: [64, 128] });
        out.size.push(num(s, 'size'));
        out.beamMajor.push(num(s, 'beamMajor'));
        out.beamMinor.push(num(s, 'beamMinor'));
        out.logScale.push(Math.log(num(s, 'pixelScale')));
        out.logRms.push(Math.log(num(s, 'rms')));
        out.pb.push(s.params.primaryBeam === false ? 0 : 1);
        out.sidelobes.push(s.params.sidelobes ? 1 : 0);
      }
      return out;
    };
    const pos = draw('positive', 100);
    const neg = draw('negative', 200);
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    const sd = (a: number[]): number => Math.sqrt(mean(a.map((x) => (x - mean(a)) ** 2)));
    for (const key of ['size', 'beamMajor', 'beamMinor', 'logScale', 'logRms']) {
      // 0.25 standard deviations is three standard errors of the difference of two means of 300.
      expect(Math.abs(mean(pos[key]) - mean(neg[key])), key).toBeLessThan(
        0.25 * sd([...pos[key], ...neg[key]]),
      );
    }
    expect(Math.abs(mean(pos.pb) - mean(neg.pb))).toBeLessThan(0.1);
    expect(Math.abs(mean(pos.sidelobes) - mean(neg.sidelobes))).toBeLessThan(0.08);
    // pbcor-edge and sidelobes negatives always have their artefact; positives drawn by label
    // make up for it. With only those two negative kinds, every positive has both.
    const forced = { disk: 0, 'edge-on': 0, binary: 0, rings: 0, envelope: 0, 'jet-knots': 0 };
    const rest = { 'point-sources': 0, noise: 0, spiral: 0 };
    const rng = createRng(300);
    for (let i = 0; i < 20; i++) {
      const onlyPb = synthesizeScene(rng, {
        ...QUIET,
        primaryBeam: undefined,
        sidelobes: undefined,
        label: 'positive',
        size: 16,
        weights: { ...forced, ...rest, sidelobes: 0 },
      });
      expect(onlyPb.params.primaryBeam).not.toBe(false);
      const onlySide = synthesizeScene(rng, {
        ...QUIET,
        primaryBeam: undefined,
        sidelobes: undefined,
        label: 'positive',
        size: 16,
        weights: { ...forced, ...rest, 'pbcor-edge': 0 },
      });
      expect(onlySide.params.sidelobes).toBe(true);
    }
  });

  it('draws as many jet knots and as bright stripes as asked', () => {
    let most = 0;
    let brightest = 0;
    const rng = createRng(17);
    for (let i = 0; i < 30; i++) {
      const own = rng.fork();
      const knots = synthesizeScene(own.fork(), {
        kind: 'jet-knots',
        size: 96,
        jetKnots: [9, 12],
        oneSidedFraction: 0,
      });
      // Two sides of 9–12 knots each.
      expect(num(knots, 'knots')).toBeGreaterThanOrEqual(18);
      expect(num(knots, 'knots')).toBeLessThanOrEqual(24);
      most = Math.max(most, num(knots, 'knots'));
      const striped = synthesizeScene(own.fork(), {
        kind: 'sidelobes',
        size: 64,
        snr: 400,
        sidelobeMaxFraction: 0.06,
      });
      // Up to 6 % of a 400σ disk: 24σ.
      expect(num(striped, 'sidelobeAmplitude')).toBeLessThanOrEqual(24 + 1e-9);
      brightest = Math.max(brightest, num(striped, 'sidelobeAmplitude'));
    }
    expect(most).toBeGreaterThan(18);
    // Beyond the default's 2 % (8σ here).
    expect(brightest).toBeGreaterThan(8);
  });

  it('rejects options outside their domain', () => {
    const bad: SynthesizeSceneOptions[] = [
      { size: 8 },
      { size: [64, 32] },
      { inclination: 95 },
      { beamAxisRatio: 0.5 },
      { beamAxisRatio: 3 },
      { windOpening: 90 },
      { primaryBeamFraction: 1.5 },
      { clumpyFraction: 2 },
      { clumpiness: -1 },
      { clumpScale: 0 },
      { jetKnots: [0, 3] },
      { jetKnots: [4, 3] },
      { jetKnots: [2, 5.5] },
      { sidelobeMaxFraction: 0 },
      { kind: 'disk', label: 'positive' },
      { kind: 'comet' as never },
      {
        label: 'positive',
        weights: { 'wind-cone': 0, 'wind-walls': 0, 'wind-lobes': 0, 'wind-arcs': 0 },
      },
    ];
    for (const opts of bad)
      expect(() => synthesizeScene(createRng(1), opts), JSON.stringify(opts)).toThrow(RangeError);
  });

  it('renders 400 px scenes (the size of an ALMA product cutout) whole and finite inside the beam', () => {
    // Its speed is not asserted here (a timed test fails on a loaded machine): the demo's time,
    // which the quality bench prints, carries it.
    const rng = createRng(11);
    for (let i = 0; i < 3; i++) {
      const s = synthesizeScene(rng, { size: 400 });
      expect(s.image.shape).toEqual([400, 400]);
      expect(Number.isFinite(s.image.get(200, 200))).toBe(true);
    }
  });
});

describe('elliptical beam convolution', () => {
  it("gives a point the beam's second moments exactly and a Gaussian's shape within 4.5 %", () => {
    for (const beam of [
      { major: 9, minor: 5, positionAngle: 30 },
      { major: 6, minor: 4, positionAngle: 90 },
      { major: 4, minor: 4 / 1.8, positionAngle: 45 },
      { major: 7, minor: 7, positionAngle: 0 },
      { major: 9, minor: 9 / 1.8, positionAngle: 160 },
      { major: 2.5, minor: 2.5 / 1.8, positionAngle: 120 },
    ]) {
      const n = 101;
      const src = new Float32Array(n * n);
      src[50 * n + 50] = 1;
      const out = planBeamConvolution(beam).apply(src, n, n);
      const cov = beamCovariance(beam);
      const g = beamResponse(cov);
      const norm = 1 / (2 * Math.PI * Math.sqrt(cov.xx * cov.yy - cov.xy * cov.xy));
      let sum = 0;
      let xx = 0;
      let yy = 0;
      let xy = 0;
      let err = 0;
      for (let r = 0; r < n; r++)
        for (let c = 0; c < n; c++) {
          const v = out[r * n + c];
          sum += v;
          xx += v * (c - 50) ** 2;
          yy += v * (r - 50) ** 2;
          xy += v * (c - 50) * (r - 50);
          err = Math.max(err, Math.abs(v - norm * g(c - 50, r - 50)));
        }
      expect(sum).toBeCloseTo(1, 5);
      expect(xx).toBeCloseTo(cov.xx, 3);
      expect(yy).toBeCloseTo(cov.yy, 3);
      expect(xy).toBeCloseTo(cov.xy, 3);
      // An undersampled beam (minor FWHM under 2 px) has no good sampled Gaussian to match.
      if (beam.minor >= 2) expect(err / norm, JSON.stringify(beam)).toBeLessThan(0.045);
    }
  });
});
