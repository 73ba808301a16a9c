// The WCS module against astropy.wcs (WCSLIB): answers recorded by scripts/make-wcs-reference.py
// in test/fixtures/wcs/, for the real ALMA fixtures and a table of generated headers.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WcsError } from '../src/core/errors.js';
import { FitsHeader, type FitsCard } from '../src/fits/index.js';
import { readFitsFile } from '../src/fits/index.node.js';
import {
  angularSeparation,
  beamFromHeader,
  formatDec,
  formatRa,
  formatSexagesimal,
  parseSexagesimal,
  parseWcs,
  pixelScale,
  pixelToWorld,
  positionAngle,
  worldToPixel,
  type Wcs,
} from '../src/wcs/index.js';
import { FITS_DIR, REAL_FITS } from './helpers/fits-fixtures.js';

interface Sample {
  pixel: [number, number];
  world: [number | null, number | null];
  back: [number | null, number | null];
}
interface Reference {
  name?: string;
  file?: string;
  shape: [number, number];
  cards?: [string, string | number][];
  ctype: string[];
  radesys: string | null;
  equinox: number | null;
  lonpole: number;
  latpole: number;
  scalesArcsec: [number, number];
  pixelAreaArcsec2: number;
  samples: Sample[];
}

const load = (name: string): Reference[] =>
  (
    JSON.parse(readFileSync(new URL(`./fixtures/wcs/${name}`, import.meta.url), 'utf8')) as {
      headers: Reference[];
    }
  ).headers;
const FIXTURES = load('fixtures.json');
const GENERATED = load('generated.json');

const MAS = 1 / 3.6e6; // degrees

function headerOf(cards: [string, string | number][]): FitsHeader {
  return new FitsHeader(cards.map(([key, value]): FitsCard => ({ key, value })));
}

/** Largest disagreements with astropy over a header's samples, in milliarcseconds. */
function disagreement(wcs: Wcs, ref: Reference) {
  let world = 0;
  let pixel = 0;
  let roundTrip = 0;
  let nanMismatches = 0;
  const scaleMas = Math.max(...ref.scalesArcsec) * 1000;
  for (const s of ref.samples) {
    const ours = pixelToWorld(wcs, s.pixel);
    const theirs = s.world;
    if (theirs[0] === null || theirs[1] === null) {
      if (!Number.isNaN(ours[0])) nanMismatches++;
      continue;
    }
    if (Number.isNaN(ours[0])) {
      nanMismatches++;
      continue;
    }
    const astropyWorld: [number, number] = [theirs[0], theirs[1]];
    world = Math.max(world, angularSeparation(ours, astropyWorld) / MAS);
    const back = worldToPixel(wcs, astropyWorld);
    if (s.back[0] !== null && s.back[1] !== null) {
      pixel = Math.max(pixel, Math.hypot(back[0] - s.back[0], back[1] - s.back[1]) * scaleMas);
    }
    const again = worldToPixel(wcs, ours);
    if (!Number.isNaN(again[0])) {
      // Round trip, compared on the sky (an all-sky map repeats beyond ±180°).
      roundTrip = Math.max(roundTrip, angularSeparation(pixelToWorld(wcs, again), ours) / MAS);
      if (Math.abs(again[1] - s.pixel[1]) < 1 && Math.abs(again[0] - s.pixel[0]) < 1) {
        roundTrip = Math.max(
          roundTrip,
          Math.hypot(again[0] - s.pixel[0], again[1] - s.pixel[1]) * scaleMas,
        );
      }
    }
  }
  return { world, pixel, roundTrip, nanMismatches };
}

describe('parseWcs + pixelToWorld/worldToPixel agree with astropy.wcs', () => {
  it.each(FIXTURES.map((f) => [f.file as string, f] as const))(
    'real ALMA image %s: within 1 mas (in fact under 1 µas)',
    async (file, ref) => {
      const fits = await readFitsFile(`${FITS_DIR}${file}`);
      const wcs = parseWcs(fits.header, { source: file });
      expect(wcs.projection).toBe('SIN');
      const d = disagreement(wcs, ref);
      expect(d.nanMismatches).toBe(0);
      expect(d.world).toBeLessThan(1);
      expect(d.pixel).toBeLessThan(1);
      expect(d.roundTrip).toBeLessThan(1);
      // What the implementation reaches, so that a loss of digits shows.
      expect(Math.max(d.world, d.pixel, d.roundTrip)).toBeLessThan(1e-3);
      expect(wcs.frame.radesys).toBe(ref.radesys);
      expect(wcs.frame.equinox ?? null).toBe(ref.equinox);
      expect(wcs.rotation.phiP).toBeCloseTo(ref.lonpole, 12);
      expect(wcs.rotation.deltaP).toBeCloseTo(ref.latpole, 12);
    },
  );

  it.each(GENERATED.map((g) => [g.name as string, g] as const))(
    'generated header %s: within 1 mas, NaN where astropy has no position',
    (name, ref) => {
      const wcs = parseWcs(headerOf(ref.cards ?? []), { source: name });
      const d = disagreement(wcs, ref);
      expect(d.nanMismatches).toBe(0);
      expect(d.world).toBeLessThan(1);
      expect(d.pixel).toBeLessThan(1);
      expect(d.roundTrip).toBeLessThan(1);
      expect(Math.max(d.world, d.pixel, d.roundTrip)).toBeLessThan(1e-3);
      expect(wcs.rotation.phiP).toBeCloseTo(ref.lonpole, 10);
      expect(wcs.rotation.deltaP).toBeCloseTo(ref.latpole, 10);
      if (ref.radesys !== null) expect(wcs.frame.radesys).toBe(ref.radesys);
      else expect(wcs.frame.system).not.toBe('equatorial');
      expect(wcs.frame.equinox ?? null).toBe(ref.equinox);
    },
  );

  it('covers every projection, CD, CROTA2, NCP, swapped axes and a reference pixel off the image', () => {
    const parsed = GENERATED.map((g) => parseWcs(headerOf(g.cards ?? []), { source: g.name }));
    expect(new Set(parsed.map((w) => w.projection))).toEqual(
      new Set(['SIN', 'TAN', 'ARC', 'ZEA', 'STG', 'CAR', 'AIT', 'MOL']),
    );
    expect(new Set(parsed.map((w) => w.matrix))).toEqual(new Set(['PC', 'CD', 'CROTA', 'CDELT']));
    expect(parsed.some((w) => w.notes.some((n) => n.startsWith('NCP')))).toBe(true);
    expect(parsed.some((w) => w.lonAxis === 'row')).toBe(true);
    const off = GENERATED.find((g) => g.name === 'tan-ref-off-image') as Reference;
    const w = parseWcs(headerOf(off.cards ?? []));
    expect(w.crpix[0]).toBeLessThan(0);
  });

  it('pixel scale and pixel area equal astropy proj_plane_pixel_scales at the reference pixel', async () => {
    // Mollweide is equal-area but stretches x and y at its centre: CDELT is not its pixel size.
    const cases: [Wcs, Reference][] = GENERATED.filter((g) => !g.name?.startsWith('mol')).map(
      (g) => [parseWcs(headerOf(g.cards ?? [])), g],
    );
    for (const f of FIXTURES) {
      cases.push([parseWcs((await readFitsFile(`${FITS_DIR}${f.file}`)).header), f]);
    }
    for (const [wcs, ref] of cases) {
      const s = pixelScale(wcs);
      // Measured on the sky; the slant SIN (NCP) bends within one 14" pixel by a few 1e-7.
      expect(s.colArcsec / ref.scalesArcsec[0]).toBeCloseTo(1, 5);
      expect(s.rowArcsec / ref.scalesArcsec[1]).toBeCloseTo(1, 5);
      expect(s.areaArcsec2 / ref.pixelAreaArcsec2).toBeCloseTo(1, 5);
    }
  });
});

describe('pixelScale orientation', () => {
  const tan = (cards: [string, number][]) =>
    parseWcs(
      headerOf([
        ['CTYPE1', 'RA---TAN'],
        ['CTYPE2', 'DEC--TAN'],
        ['CRVAL1', 10],
        ['CRVAL2', 20],
        ['CRPIX1', 50],
        ['CRPIX2', 50],
        ...cards,
      ]),
    );
  it('an ALMA image is north up, east left', async () => {
    const w = parseWcs((await readFitsFile(`${FITS_DIR}${REAL_FITS.serpens}`)).header);
    const s = pixelScale(w);
    expect(s.northDeg).toBeCloseTo(0, 9);
    expect(s.flipped).toBe(false);
    expect(s.arcsec).toBeCloseTo(0.093, 9);
  });
  it('CROTA2 = 30 turns north 30° counter-clockwise; a positive CDELT1 mirrors', () => {
    const rotated = pixelScale(
      tan([
        ['CDELT1', -1e-4],
        ['CDELT2', 1e-4],
        ['CROTA2', 30],
      ]),
    );
    expect(rotated.northDeg).toBeCloseTo(30, 6);
    expect(rotated.flipped).toBe(false);
    const mirrored = pixelScale(
      tan([
        ['CDELT1', 1e-4],
        ['CDELT2', 1e-4],
      ]),
    );
    expect(mirrored.flipped).toBe(true);
    expect(mirrored.northDeg).toBeCloseTo(0, 6);
  });
});

describe('parseWcs errors name the file and the problem', () => {
  const base: [string, string | number][] = [
    ['NAXIS', 2],
    ['CRVAL1', 10],
    ['CRVAL2', 20],
    ['CRPIX1', 1],
    ['CRPIX2', 1],
    ['CDELT1', -1e-4],
    ['CDELT2', 1e-4],
  ];
  const parse = (cards: [string, string | number][]) =>
    parseWcs(headerOf([...base, ...cards]), { source: 'x.fits' });
  it.each([
    ['no CTYPE', [], /x\.fits: no celestial WCS/],
    ['one axis', [['CTYPE1', 'RA---SIN']], /only one celestial axis/],
    [
      'unsupported projection',
      [
        ['CTYPE1', 'RA---AZP'],
        ['CTYPE2', 'DEC--AZP'],
      ],
      /projection 'AZP'.*not supported/,
    ],
    [
      'SIP distortion',
      [
        ['CTYPE1', 'RA---TAN-SIP'],
        ['CTYPE2', 'DEC--TAN-SIP'],
      ],
      /distortion/,
    ],
    [
      'unknown unit',
      [
        ['CTYPE1', 'RA---TAN'],
        ['CTYPE2', 'DEC--TAN'],
        ['CUNIT1', 'furlong'],
      ],
      /CUNIT1 = 'furlong'/,
    ],
    [
      'singular matrix',
      [
        ['CTYPE1', 'RA---TAN'],
        ['CTYPE2', 'DEC--TAN'],
        ['PC1_1', 1],
        ['PC1_2', 1],
        ['PC2_1', 1],
        ['PC2_2', 1],
      ],
      /singular/,
    ],
    [
      'celestial axes beyond the image',
      [
        ['NAXIS', 4],
        ['CTYPE1', 'FREQ'],
        ['CTYPE2', 'STOKES'],
        ['CTYPE3', 'RA---SIN'],
        ['CTYPE4', 'DEC--SIN'],
      ],
      /FITS axes 3 and 4/,
    ],
  ] as [string, [string, string | number][], RegExp][])('%s', (_, cards, message) => {
    let error: unknown;
    try {
      parse(cards);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WcsError);
    expect((error as WcsError).message).toMatch(message);
    expect((error as WcsError).message).toMatch(/^x\.fits: /);
    expect((error as WcsError).source).toBe('x.fits');
  });
});

describe('sexagesimal text', () => {
  it('formats as astropy to_string does', () => {
    // astropy: Angle(277.5172039582, 'deg').to_string(unit='hourangle', precision=3)
    expect(formatRa(277.5172039582)).toBe('18h30m04.129s');
    // Angle(-2.050756896391, 'deg').to_string(precision=2, alwayssign=True)
    expect(formatDec(-2.050756896391)).toBe('-02d03m02.72s');
    expect(formatDec(7.569330555556)).toBe('+07d34m09.59s');
    expect(formatRa(294.253725, { separator: ':' })).toBe('19:37:00.894');
    expect(formatDec(-0.0001, { separator: ' ' })).toBe('-00 00 00.36');
  });
  it('carries rounding into minutes and hours, and wraps 24h to 0h', () => {
    expect(formatRa(359.9999999)).toBe('00h00m00.000s');
    expect(formatDec(29.99999999)).toBe('+30d00m00.00s');
    expect(formatSexagesimal(15 * (1 + 59 / 60 + 59.9996 / 3600), 'hour')).toBe('02h00m00.000s');
    expect(formatDec(-1e-9)).toBe('+00d00m00.00s');
    expect(formatRa(NaN)).toBe('NaN');
  });
  it('reads back what it writes, within half the last digit', () => {
    for (const deg of [0, 0.001, 83.822083, 277.5172039582, 359.9]) {
      expect(parseSexagesimal(formatRa(deg), 'hour')).toBeCloseTo(deg, 6);
      expect(parseSexagesimal(formatRa(deg, { separator: ':' }), 'hour')).toBeCloseTo(deg, 6);
    }
    for (const deg of [-89.99, -2.050756896391, -0.5, 0, 7.5693, 89.9999]) {
      expect(parseSexagesimal(formatDec(deg), 'degree')).toBeCloseTo(deg, 5);
    }
    expect(parseSexagesimal('-00:30:00', 'degree')).toBe(-0.5);
    expect(() => parseSexagesimal('12h61m', 'hour')).toThrow(RangeError);
    expect(() => parseSexagesimal('north', 'degree')).toThrow(RangeError);
  });
});

describe('angular separation and position angle', () => {
  it('are exact on great circles and keep microarcseconds', () => {
    expect(angularSeparation([0, 0], [90, 0])).toBe(90);
    expect(angularSeparation([10, 89], [190, 89])).toBeCloseTo(2, 12);
    expect(angularSeparation([0, 0], [180, 0])).toBe(180);
    const tiny = angularSeparation([277.5172, -2.05], [277.5172, -2.05 + 1e-3 * MAS]);
    expect(tiny / MAS).toBeCloseTo(1e-3, 9);
    expect(positionAngle([10, 0], [10, 1])).toBeCloseTo(0, 12);
    expect(positionAngle([10, 0], [11, 0])).toBeCloseTo(90, 12);
    expect(positionAngle([10, 0], [9, 0])).toBeCloseTo(270, 12);
  });
});

describe('beamFromHeader', () => {
  it('reads BMAJ/BMIN/BPA of Serpens South C7 in arcsec and its area in pixels', async () => {
    const fits = await readFitsFile(`${FITS_DIR}${REAL_FITS.serpens}`);
    const wcs = parseWcs(fits.header);
    const beam = beamFromHeader(fits.header, pixelScale(wcs).areaArcsec2);
    expect(beam?.majorArcsec).toBeCloseTo(0.0001944611801041 * 3600, 12);
    expect(beam?.minorArcsec).toBeCloseTo(0.000126141599483 * 3600, 12);
    expect(beam?.paDeg).toBe(-60.88540649414);
    // π·bmaj·bmin / (4 ln 2) / |CDELT1·CDELT2|, the beam area every flux uses.
    const expected =
      (Math.PI * 0.0001944611801041 * 0.000126141599483) /
      (4 * Math.LN2) /
      (2.583333330859e-5 * 2.583333330859e-5);
    expect(beam?.areaPixels).toBeCloseTo(expected, 6);
  });
  it('falls back on an AIPS HISTORY line, and is undefined without a beam', () => {
    const aips = new FitsHeader([
      { key: 'HISTORY', value: 'AIPS   CLEAN BMAJ=  1.3889E-04 BMIN=  6.9444E-05 BPA=  45.00' },
    ]);
    const beam = beamFromHeader(aips);
    expect(beam?.from).toBe('history');
    expect(beam?.majorArcsec).toBeCloseTo(0.5, 4);
    expect(beam?.paDeg).toBe(45);
    expect(beamFromHeader(new FitsHeader([{ key: 'OBJECT', value: 'x' }]))).toBeUndefined();
  });
});
