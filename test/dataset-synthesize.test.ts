import { describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import { cropCenter, principalAngle, robustStd } from '../src/image/index.js';
import { synthesize } from '../src/dataset/index.js';

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
