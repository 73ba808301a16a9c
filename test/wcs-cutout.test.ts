// Cutouts keep their place on the sky: cutoutHeader / resampledHeader / withoutSkyWcs, checked
// in the library and by astropy reading the files the library writes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FitsHeader, type FitsCard } from '../src/fits/index.js';
import { readFitsFile, writeFitsFile } from '../src/fits/index.node.js';
import { cropAround, resize } from '../src/image/index.js';
import {
  angularSeparation,
  cutoutHeader,
  parseWcs,
  pixelToWorld,
  resampledHeader,
  withoutSkyWcs,
  type PixelMap,
} from '../src/wcs/index.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';
import { astropyWorld, pythonHas } from './helpers/python.js';

const tmp = mkdtempSync(join(tmpdir(), 'wcs-cutout-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const astropy = pythonHas('astropy.wcs');
const MAS = 1 / 3.6e6;
const SERPENS = `${FITS_DIR}${REAL_FITS.serpens}`;
const PEAK: [number, number] = [241, 242]; // astropy: nanargmax of Serpens South C7

const header = (cards: [string, string | number][]) =>
  new FitsHeader(cards.map(([key, value]): FitsCard => ({ key, value })));
const SKY: [string, string | number][] = [
  ['NAXIS', 2],
  ['NAXIS1', 300],
  ['NAXIS2', 200],
  ['CTYPE1', 'RA---SIN'],
  ['CTYPE2', 'DEC--SIN'],
  ['CRVAL1', 83.822083],
  ['CRVAL2', -5.391111],
  ['CRPIX1', 150.5],
  ['CRPIX2', 100.5],
];
const STYLES: Record<string, [string, string | number][]> = {
  CDELT: [...SKY, ['CDELT1', -2e-5], ['CDELT2', 3e-5]],
  PC: [
    ...SKY,
    ['CDELT1', -2e-5],
    ['CDELT2', 2e-5],
    ['PC1_1', 0.9],
    ['PC1_2', -0.3],
    ['PC2_1', 0.2],
    ['PC2_2', 1.1],
  ],
  CD: [...SKY, ['CD1_1', -2e-5], ['CD1_2', 4e-6], ['CD2_1', 3e-6], ['CD2_2', 2.2e-5]],
  CROTA: [...SKY, ['CDELT1', -2e-5], ['CDELT2', 2e-5], ['CROTA2', 33]],
};

/** parent = map(new) for a pixel of the new image. */
function apply(map: PixelMap, p: [number, number]): [number, number] {
  const [[a, b], [c, d]] = map.matrix;
  return [a * p[0] + b * p[1] + map.offset[0], c * p[0] + d * p[1] + map.offset[1]];
}

/** A map that rotates by `deg` about `centre` (parent) and samples every `f` parent pixels. */
function rotateAndScale(deg: number, f: number, centre: [number, number], size: number): PixelMap {
  const t = (deg * Math.PI) / 180;
  const matrix: PixelMap['matrix'] = [
    [f * Math.cos(t), -f * Math.sin(t)],
    [f * Math.sin(t), f * Math.cos(t)],
  ];
  const h = (size - 1) / 2;
  const offset: [number, number] = [
    centre[0] - matrix[0][0] * h - matrix[0][1] * h,
    centre[1] - matrix[1][0] * h - matrix[1][1] * h,
  ];
  return { matrix, offset };
}

describe('cutoutHeader', () => {
  it.each(Object.keys(STYLES))(
    'shifts CRPIX so each pixel keeps its sky position (%s header)',
    (style) => {
      const parent = header(STYLES[style]);
      const window = { rows: [40, 90], cols: [-10, 70] } as const; // reaches past the left edge
      const cut = cutoutHeader(parent, window);
      expect(cut.number('CRPIX1')).toBe(160.5);
      expect(cut.number('CRPIX2')).toBe(60.5);
      expect(cut.number('NAXIS1')).toBe(80);
      expect(cut.number('NAXIS2')).toBe(50);
      expect(cut.cards.at(-1)?.value).toMatch(/cutout rows \[40, 90\) cols \[-10, 70\)/);
      const a = parseWcs(parent);
      const b = parseWcs(cut);
      for (const p of [
        [0, 0],
        [49, 79],
        [12.5, 33.25],
      ] as [number, number][]) {
        const there = pixelToWorld(a, [p[0] + 40, p[1] - 10]);
        expect(angularSeparation(pixelToWorld(b, p), there) / MAS).toBeLessThan(1e-6);
      }
    },
  );

  it('drops the parent checksums and refuses an empty window', () => {
    const parent = header([...STYLES.CDELT, ['CHECKSUM', 'abc'], ['DATASUM', '1']]);
    const cut = cutoutHeader(parent, { rows: [0, 1], cols: [0, 1] });
    expect(cut.has('CHECKSUM') || cut.has('DATASUM')).toBe(false);
    expect(parent.number('CRPIX1')).toBe(150.5);
    expect(() => cutoutHeader(parent, { rows: [5, 5], cols: [0, 3] })).toThrow(RangeError);
    expect(() => cutoutHeader(parent, { rows: [0.5, 5], cols: [0, 3] })).toThrow(RangeError);
  });
});

describe('resampledHeader', () => {
  it.each(Object.keys(STYLES))(
    'a rotated and resampled image keeps every sky position (%s header)',
    (style) => {
      const parent = header(STYLES[style]);
      const map = rotateAndScale(37, 1.7, [80, 120], 64);
      const out = resampledHeader(parent, map, [64, 64]);
      expect(out.number('NAXIS1')).toBe(64);
      if (style === 'CD') expect(out.has('CD1_2') && !out.has('PC1_1')).toBe(true);
      else expect(out.has('PC1_1') && !out.has('CD1_1') && !out.has('CROTA2')).toBe(true);
      const a = parseWcs(parent);
      const b = parseWcs(out);
      for (const p of [
        [0, 0],
        [63, 63],
        [31.5, 31.5],
        [-5, 70],
      ] as [number, number][]) {
        const there = pixelToWorld(a, apply(map, p));
        expect(angularSeparation(pixelToWorld(b, p), there) / MAS).toBeLessThan(1e-6);
      }
    },
  );

  it('a pure resampling scales CDELT and keeps PC the identity', () => {
    const out = resampledHeader(header(STYLES.CDELT), {
      matrix: [
        [2, 0],
        [0, 2],
      ],
      offset: [0.5, 0.5],
    });
    expect(out.number('CDELT1')).toBeCloseTo(-4e-5, 18);
    expect(out.number('CDELT2')).toBeCloseTo(6e-5, 18);
    expect(out.has('PC1_1')).toBe(false);
    // New pixel 0 covers parent pixels 0 and 1, centred on 0.5: CRPIX 150.5 → 75.5.
    expect(out.number('CRPIX1')).toBeCloseTo(75.5, 12);
  });

  it('refuses a singular map', () => {
    expect(() =>
      resampledHeader(header(STYLES.CDELT), {
        matrix: [
          [1, 1],
          [1, 1],
        ],
        offset: [0, 0],
      }),
    ).toThrow(/singular/);
  });
});

describe('withoutSkyWcs', () => {
  it('leaves no celestial WCS and says why', () => {
    const out = withoutSkyWcs(
      header([...STYLES.PC, ['RADESYS', 'ICRS'], ['BMAJ', 1e-4], ['CTYPE3', 'FREQ']]),
      'geometric mean of two sources',
    );
    expect(() => parseWcs(out)).toThrow(/no celestial WCS/);
    expect(out.has('BMAJ') && out.has('CTYPE3') && out.has('NAXIS1')).toBe(true);
    expect(out.cards.at(-1)).toEqual({
      key: 'COMMENT',
      value: 'No sky WCS: geometric mean of two sources',
    });
  });
});

describe.skipIf(!astropy)('astropy reads the cutouts the library writes', () => {
  it('a Serpens South C7 crop written with cutoutHeader puts the peak where the parent has it', async () => {
    const rows: [number, number] = [PEAK[0] - 40, PEAK[0] + 40];
    const cols: [number, number] = [PEAK[1] - 30, PEAK[1] + 50];
    const f = await readFitsFile(SERPENS, { region: { rows, cols } });
    const good = join(tmp, 'serpens-crop.fits');
    const naive = join(tmp, 'serpens-crop-parent-header.fits');
    await writeFitsFile(good, f.image!, cutoutHeader(f.header, f.region!));
    await writeFitsFile(naive, f.image!, f.header);
    const inCrop: [number, number] = [PEAK[0] - rows[0], PEAK[1] - cols[0]];
    const [parent, crop, wrong] = astropyWorld([
      [SERPENS, PEAK[0], PEAK[1]],
      [good, inCrop[0], inCrop[1]],
      [naive, inCrop[0], inCrop[1]],
    ]);
    expect(angularSeparation(crop!, parent!) / MAS).toBeLessThan(1e-3);
    // The issue's finding: the parent's header puts the peak ~20" away.
    expect(angularSeparation(wrong!, parent!) * 3600).toBeGreaterThan(15);
    // And the library's own reading of the crop agrees with astropy's.
    const ours = pixelToWorld(parseWcs((await readFitsFile(good)).header), inCrop);
    expect(angularSeparation(ours, parent!) / MAS).toBeLessThan(1e-3);
  });

  it('a padded crop (window past the edge) and a rotated, resampled image stay on the sky', async () => {
    const f = await readFitsFile(SERPENS);
    const corner = cropAround(f.image!, [5, 470], { size: 40, pad: 'constant', padValue: NaN });
    const padded = join(tmp, 'padded.fits');
    const window = {
      rows: [corner.offset[0], corner.offset[0] + 40],
      cols: [corner.offset[1], corner.offset[1] + 40],
    } as const;
    await writeFitsFile(padded, corner.image, cutoutHeader(f.header, window));
    const half = resize(f.image!, [240, 240]);
    const map: PixelMap = {
      matrix: [
        [2, 0],
        [0, 2],
      ],
      offset: [0.5, 0.5],
    };
    const resampled = join(tmp, 'resampled.fits');
    await writeFitsFile(resampled, half, resampledHeader(f.header, map, [240, 240]));
    const rotated = join(tmp, 'rotated.fits');
    const rot = rotateAndScale(-25, 0.8, PEAK, 50);
    await writeFitsFile(
      rotated,
      cropAround(f.image!, PEAK, { size: 50 }).image,
      resampledHeader(f.header, rot, [50, 50]),
    );
    const [p1, c1, p2, c2, p3, c3] = astropyWorld([
      [SERPENS, 5, 470],
      [padded, 5 - window.rows[0], 470 - window.cols[0]],
      [SERPENS, 100.5, 300.5],
      [resampled, 50, 150],
      [SERPENS, ...apply(rot, [10, 37])],
      [rotated, 10, 37],
    ]);
    expect(angularSeparation(c1!, p1!) / MAS).toBeLessThan(1e-3);
    expect(angularSeparation(c2!, p2!) / MAS).toBeLessThan(1e-3);
    expect(angularSeparation(c3!, p3!) / MAS).toBeLessThan(1e-3);
  });

  it('a header without sky WCS has no celestial WCS for astropy', async () => {
    const f = await readFitsFile(SERPENS, { region: { rows: [0, 8], cols: [0, 8] } });
    const path = join(tmp, 'nosky.fits');
    await writeFitsFile(path, f.image!, withoutSkyWcs(f.header, 'model input'));
    expect(astropyWorld([[path, 0, 0]])).toEqual([null]);
  });
});
