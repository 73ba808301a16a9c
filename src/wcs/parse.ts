import { WcsError } from '../core/errors.js';
import type { FitsHeader } from '../fits/header.js';
import { cosd, sind } from './internal.js';
import { readLinear, type LinearStyle } from './linear.js';
import {
  PROJECTION_CODES,
  projection,
  type Projection,
  type ProjectionCode,
} from './projections.js';
import { sphericalRotation, type SphericalRotation } from './sphere.js';

/** The celestial coordinate system of a WCS, from the first four letters of its `CTYPEi`. */
export type CelestialSystem =
  'equatorial' | 'galactic' | 'ecliptic' | 'helioecliptic' | 'supergalactic' | 'other';

/**
 * The equatorial reference system, FITS `RADESYS`: ICRS; FK5 (Julian equinox, J2000 by
 * default); FK4 (Besselian, B1950 by default) and FK4-NO-E (FK4 without the E-terms of
 * aberration), both only named, never converted; GAPPT (geocentric apparent).
 */
export type RaDecSystem = 'ICRS' | 'FK5' | 'FK4' | 'FK4-NO-E' | 'GAPPT';

/** The sky frame positions of a WCS are in. */
export interface CelestialFrame {
  /** The coordinate system. */
  system: CelestialSystem;
  /**
   * For `equatorial`: `RADESYS`, else by the FITS rule (WCS Paper II §3.1): `FK4` for an
   * `EQUINOX` before 1984, `FK5` from 1984 on, `ICRS` without an equinox.
   */
  radesys?: RaDecSystem;
  /** Equinox in years for FK5 (Julian, default 2000) and FK4 (Besselian, default 1950). */
  equinox?: number;
  /** Short name, as astronomers write it: `ICRS`, `FK5 J2000`, `FK4 B1950`, `galactic`. */
  name: string;
}

/** A non-celestial axis (spectral, Stokes, ...) of the header, taken as linear. */
export interface LinearAxis {
  /** FITS axis number, 1-based (3 = the first axis beyond the image's two). */
  axis: number;
  /** `CTYPEi`, e.g. `'FREQ'`, `'STOKES'`, `'VRAD'`. */
  ctype: string;
  /** `CUNITi`, e.g. `'Hz'`; `''` when absent. */
  unit: string;
  /** `CRVALi`, in `unit`. */
  crval: number;
  /** `CRPIXi`, 1-based. */
  crpix: number;
  /** World step per pixel along this axis, `unit` (`CDELTi·PCi_i` or `CDi_i`). */
  cdelt: number;
}

/**
 * The celestial world coordinate system of an image, as parsed by {@link parseWcs}. Plain
 * data: it can be cloned, sent to a worker or saved as JSON. Pixels are 0-based `[row, col]` in
 * numpy order (row = FITS y − 1, col = FITS x − 1); angles are degrees.
 */
export interface Wcs {
  /** The file the header came from, named in errors. */
  source: string;
  /** The projection. */
  projection: ProjectionCode;
  /** `PV2_1`, `PV2_2` of a SIN projection (ξ, η; 0 for the plain orthographic one). */
  sinSlant: [xi: number, eta: number];
  /** The sky frame. */
  frame: CelestialFrame;
  /** `CTYPE` of the longitude and latitude axes, e.g. `['RA---SIN', 'DEC--SIN']`. */
  ctype: [lon: string, lat: string];
  /** Which of the image's axes holds the longitude: `'col'` (FITS axis 1, the usual) or `'row'`. */
  lonAxis: 'col' | 'row';
  /** Celestial longitude and latitude of the reference point (`CRVAL`), degrees. */
  crval: [lon: number, lat: number];
  /** Reference pixel, FITS 1-based, in FITS axis order: `[CRPIX1, CRPIX2]`. */
  crpix: [x: number, y: number];
  /**
   * The linear part, degrees per pixel: row 0 gives the longitude axis's intermediate
   * coordinate, row 1 the latitude's; column 0 is FITS axis 1 (x, columns), column 1 axis 2
   * (y, rows). `CDi_j`, or `CDELTi·PCi_j`, or the `CROTA2` matrix, in degrees.
   */
  cd: [[number, number], [number, number]];
  /** Where {@link Wcs.cd} came from. */
  matrix: LinearStyle;
  /**
   * Intermediate coordinates (longitude, latitude) that the axes beyond the image's two add
   * at the chosen plane, degrees; `[0, 0]` unless the matrix couples them (it never does in
   * ALMA images).
   */
  offset: [lon: number, lat: number];
  /** The spherical rotation (native pole, `LONPOLE`, resolved `LATPOLE`). */
  rotation: SphericalRotation;
  /** The non-celestial axes, linear. */
  linearAxes: LinearAxis[];
  /** What was assumed or translated, e.g. `'NCP read as SIN with PV2_2 = cot(CRVAL2)'`. */
  notes: string[];
}

/** Options of {@link parseWcs}. */
export interface ParseWcsOptions {
  /** The file the header belongs to, named in errors. Default `'FITS header'`. */
  source?: string;
  /**
   * The plane of a cube the image is, one index per axis beyond the second, outermost first
   * (as `readFits`'s `plane`). Default: the first plane (index 0 on every axis).
   */
  plane?: readonly number[];
}

/** Defaults of {@link ParseWcsOptions}. */
export const DEFAULT_PARSE_WCS_OPTIONS: Readonly<Required<Pick<ParseWcsOptions, 'source'>>> = {
  source: 'FITS header',
};

/** Degrees per unit of angle, for `CUNITi` of a celestial axis. */
const ANGLE_UNITS: Record<string, number> = {
  '': 1,
  deg: 1,
  degree: 1,
  degrees: 1,
  arcmin: 1 / 60,
  arcsec: 1 / 3600,
  mas: 1 / 3_600_000,
  rad: 180 / Math.PI,
};

const SYSTEMS: Record<string, [CelestialSystem, 'lon' | 'lat']> = {
  'RA--': ['equatorial', 'lon'],
  'DEC-': ['equatorial', 'lat'],
  GLON: ['galactic', 'lon'],
  GLAT: ['galactic', 'lat'],
  ELON: ['ecliptic', 'lon'],
  ELAT: ['ecliptic', 'lat'],
  HLON: ['helioecliptic', 'lon'],
  HLAT: ['helioecliptic', 'lat'],
  SLON: ['supergalactic', 'lon'],
  SLAT: ['supergalactic', 'lat'],
};

interface CelestialAxisType {
  system: CelestialSystem;
  kind: 'lon' | 'lat';
  code: string;
  ctype: string;
}

/** The celestial meaning of a CTYPE value (`'RA---SIN'`), or undefined for a linear axis. */
function celestialType(ctype: string): CelestialAxisType | undefined {
  const t = ctype.trim().toUpperCase();
  if (t.length < 8 || t[4] !== '-') return undefined;
  const head = t.slice(0, 4);
  const known = SYSTEMS[head];
  let system: CelestialSystem;
  let kind: 'lon' | 'lat';
  if (known !== undefined) [system, kind] = known;
  else if (/^.LON$|^..LN$/.test(head)) [system, kind] = ['other', 'lon'];
  else if (/^.LAT$|^..LT$/.test(head)) [system, kind] = ['other', 'lat'];
  else return undefined;
  return { system, kind, code: t.slice(5, 8).replace(/-/g, ''), ctype: t };
}

/**
 * Parse the celestial WCS of a FITS image header, as WCSLIB (and so astropy.wcs) reads it:
 *
 * - `CTYPEi` names the longitude and latitude axes (`RA---`/`DEC--`, `GLON`/`GLAT`,
 *   `ELON`/`ELAT`, ...) and the projection; they must be the image's two axes (FITS axes 1
 *   and 2, in either order). Further axes (frequency, Stokes, ...) are read as linear
 *   ({@link LinearAxis}).
 * - The linear part from `PCi_j` with `CDELTi`, or `CDi_j`, or `CROTA2` with `CDELTi` (the old
 *   AIPS convention), in WCSLIB's order of precedence: PC over CD over CROTA. Celestial
 *   `CUNITi` may be `deg` (default), `arcmin`, `arcsec`, `mas` or `rad`.
 * - Projections: see {@link ProjectionCode}. `NCP` is read as SIN with `PV2_1 = 0`,
 *   `PV2_2 = cot δ0` (as WCSLIB's celfix, which astropy applies).
 * - `LONPOLE`/`LATPOLE` (or `PVi_3`/`PVi_4` of the longitude axis) with Paper II's defaults.
 * - The frame from `RADESYS`, `EQUINOX` (or the old `EPOCH`), with the FITS defaults.
 *
 * @param header - the image HDU's header
 * @param opts - see {@link ParseWcsOptions}
 * @returns the WCS; use {@link pixelToWorld} and {@link worldToPixel} with it
 * @throws WcsError naming the source and the problem: no celestial axes, only one of them,
 *   celestial axes that are not the image's two, an unsupported projection (`-SIP` and other
 *   distortions included), an unknown `CUNIT`, a missing `CRVAL`/`CDELT`, a singular matrix,
 *   or LONPOLE/LATPOLE that place no pole
 */
export function parseWcs(header: FitsHeader, opts: ParseWcsOptions = {}): Wcs {
  const source = opts.source ?? DEFAULT_PARSE_WCS_OPTIONS.source;
  const fail = (what: string): never => {
    throw new WcsError(`${source}: ${what}`, source);
  };
  const naxis = Math.max(
    2,
    header.number('NAXIS') ?? 0,
    header.number('WCSAXES') ?? 0,
    ...[3, 4, 5, 6].filter((i) => header.has(`CTYPE${i}`)),
  );
  const ctypes: string[] = [];
  for (let i = 1; i <= naxis; i++) {
    const v = header.get(`CTYPE${i}`);
    ctypes.push(typeof v === 'string' ? v.trim() : '');
  }
  const types = ctypes.map(celestialType);
  const lonIndex = types.findIndex((t) => t?.kind === 'lon');
  const latIndex = types.findIndex((t) => t?.kind === 'lat');
  if (lonIndex < 0 && latIndex < 0) {
    fail(
      `no celestial WCS (CTYPE1 = ${JSON.stringify(ctypes[0])}, CTYPE2 = ${JSON.stringify(ctypes[1])}; ` +
        'expected RA---xxx/DEC--xxx, GLON-xxx/GLAT-xxx, ...)',
    );
  }
  if (lonIndex < 0 || latIndex < 0) {
    fail(
      `only one celestial axis (CTYPE${(lonIndex < 0 ? latIndex : lonIndex) + 1} = ${JSON.stringify(ctypes[lonIndex < 0 ? latIndex : lonIndex])})`,
    );
  }
  const lonT = types[lonIndex] as CelestialAxisType;
  const latT = types[latIndex] as CelestialAxisType;
  if (lonIndex > 1 || latIndex > 1) {
    fail(
      `the celestial axes are FITS axes ${lonIndex + 1} and ${latIndex + 1}; they must be the image's axes 1 and 2`,
    );
  }
  if (lonT.system !== latT.system || lonT.ctype.slice(4) !== latT.ctype.slice(4)) {
    fail(
      `CTYPE${lonIndex + 1} = '${lonT.ctype}' and CTYPE${latIndex + 1} = '${latT.ctype}' do not pair`,
    );
  }
  if (lonT.ctype.length > 8) {
    fail(
      `CTYPE${lonIndex + 1} = '${lonT.ctype}': distortion conventions (${lonT.ctype.slice(8)}) are not supported`,
    );
  }
  const notes: string[] = [];
  let code = lonT.code;
  const lonAxis = lonIndex + 1;
  const latAxis = latIndex + 1;

  // Units of the celestial axes: converted to degrees, as WCSLIB's wcsset does.
  const unitScale = (axis: number): number => {
    const u = header.get(`CUNIT${axis}`);
    const key = typeof u === 'string' ? u.trim() : '';
    const scale = ANGLE_UNITS[key] ?? ANGLE_UNITS[key.toLowerCase()];
    if (scale === undefined)
      fail(`CUNIT${axis} = '${key}' is not an angle unit (deg, arcmin, arcsec, mas, rad)`);
    return scale as number;
  };
  const scale = Array.from({ length: naxis }, (_, i) =>
    i + 1 === lonAxis || i + 1 === latAxis ? unitScale(i + 1) : 1,
  );
  const crval = (axis: number): number => {
    const v = header.number(`CRVAL${axis}`);
    if (v === undefined) {
      if (axis === lonAxis || axis === latAxis) fail(`CRVAL${axis} is missing`);
      return 0;
    }
    return v * scale[axis - 1];
  };
  const crpix = (axis: number): number => header.number(`CRPIX${axis}`) ?? 0;

  // The linear part, WCSLIB's precedence: PC, else CD, else CROTA (with CDELT).
  const linear = readLinear(header, naxis, lonAxis, latAxis);
  const matrix = linear.style;
  for (const axis of [lonAxis, latAxis]) {
    if (linear.cdelt[axis - 1] === undefined)
      fail(`CDELT${axis} is missing (and there is no CD matrix)`);
  }
  const m = (i: number, j: number): number =>
    (linear.cdelt[i - 1] ?? 1) * linear.pc[i - 1][j - 1] * scale[i - 1];
  // Rows: intermediate coordinate of the lon, lat axis; columns: FITS axes 1, 2.
  const cd: Wcs['cd'] = [
    [m(lonAxis, 1), m(lonAxis, 2)],
    [m(latAxis, 1), m(latAxis, 2)],
  ];
  const det = cd[0][0] * cd[1][1] - cd[0][1] * cd[1][0];
  if (!(Math.abs(det) > 0) || !Number.isFinite(det)) {
    fail(`the pixel-to-sky matrix (${matrix}) is singular: ${JSON.stringify(cd)}`);
  }
  // Axes beyond the image's two at the chosen plane.
  const plane = opts.plane ?? [];
  const offset: [number, number] = [0, 0];
  const linearAxes: LinearAxis[] = [];
  for (let j = 3; j <= naxis; j++) {
    const index = plane[naxis - j] ?? 0;
    const p = index + 1 - crpix(j);
    offset[0] += m(lonAxis, j) * p;
    offset[1] += m(latAxis, j) * p;
    const unit = header.get(`CUNIT${j}`);
    linearAxes.push({
      axis: j,
      ctype: ctypes[j - 1],
      unit: typeof unit === 'string' ? unit.trim() : '',
      crval: crval(j),
      crpix: crpix(j),
      cdelt: m(j, j),
    });
  }

  // The projection and its parameters.
  const pv = (i: number, k: number): number | undefined => header.number(`PV${i}_${k}`);
  const alpha0 = crval(lonAxis);
  const delta0 = crval(latAxis);
  let xi = 0;
  let eta = 0;
  if (code === 'NCP') {
    if (delta0 === 0) fail('NCP with CRVAL on the equator cannot be read as SIN');
    code = 'SIN';
    eta = cosd(delta0) / sind(delta0);
    notes.push('NCP read as SIN with PV2_2 = cot(CRVAL2), as WCSLIB does');
  } else if (code === 'SIN') {
    xi = pv(latAxis, 1) ?? 0;
    eta = pv(latAxis, 2) ?? 0;
  }
  if (!(PROJECTION_CODES as readonly string[]).includes(code)) {
    fail(
      `projection '${code}' (CTYPE${lonAxis} = '${lonT.ctype}') is not supported; supported: ${PROJECTION_CODES.join(', ')} and NCP`,
    );
  }
  const theta0 = projection(code as ProjectionCode).theta0;
  if ((pv(lonAxis, 1) ?? 0) !== 0 || (pv(lonAxis, 2) ?? theta0) !== theta0) {
    fail(`PV${lonAxis}_1/PV${lonAxis}_2 (a moved fiducial point) are not supported`);
  }
  const proj: Projection = projection(code as ProjectionCode, xi, eta);
  const lonpole = header.number('LONPOLE') ?? pv(lonAxis, 3);
  const latpole = header.number('LATPOLE') ?? pv(lonAxis, 4);
  const rotation = sphericalRotation(alpha0, delta0, proj.theta0, lonpole, latpole, source);

  return {
    source,
    projection: code as ProjectionCode,
    sinSlant: [xi, eta],
    frame: frameOf(header, lonT.system, notes),
    ctype: [ctypes[lonIndex], ctypes[latIndex]],
    lonAxis: lonIndex === 0 ? 'col' : 'row',
    crval: [alpha0, delta0],
    crpix: [crpix(1), crpix(2)],
    cd,
    matrix,
    offset,
    rotation,
    linearAxes,
    notes,
  };
}

const RADESYS: readonly RaDecSystem[] = ['ICRS', 'FK5', 'FK4', 'FK4-NO-E', 'GAPPT'];

function frameOf(header: FitsHeader, system: CelestialSystem, notes: string[]): CelestialFrame {
  if (system !== 'equatorial') return { system, name: system };
  const given = header.get('RADESYS') ?? header.get('RADECSYS');
  let equinox = header.number('EQUINOX');
  if (equinox === undefined && header.number('EPOCH') !== undefined) {
    equinox = header.number('EPOCH');
    notes.push('equinox taken from the old EPOCH keyword');
  }
  let radesys: RaDecSystem;
  if (
    typeof given === 'string' &&
    (RADESYS as readonly string[]).includes(given.trim().toUpperCase())
  ) {
    radesys = given.trim().toUpperCase() as RaDecSystem;
  } else {
    if (given !== undefined)
      notes.push(`RADESYS = ${JSON.stringify(given)} is not known; the FITS default applies`);
    radesys = equinox === undefined ? 'ICRS' : equinox < 1984 ? 'FK4' : 'FK5';
  }
  if (radesys === 'FK5') equinox ??= 2000;
  else if (radesys === 'FK4' || radesys === 'FK4-NO-E') equinox ??= 1950;
  else equinox = undefined;
  if (radesys === 'FK4' || radesys === 'FK4-NO-E') {
    notes.push(`positions are ${radesys} B${equinox}, not converted to ICRS`);
  }
  const name =
    equinox === undefined
      ? radesys
      : `${radesys} ${radesys === 'FK5' ? 'J' : radesys.startsWith('FK4') ? 'B' : ''}${equinox}`;
  return { system, radesys, ...(equinox !== undefined ? { equinox } : {}), name };
}
