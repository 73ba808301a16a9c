import type { Image2D } from '../core/image2d.js';
import { WcsError } from '../core/errors.js';
import type { FitsHeader } from '../fits/header.js';
import { measureSource, type MeasureSourceOptions } from '../image/measure-source.js';
import { beamFromHeader, type Beam } from './beam.js';
import { parseWcs, type RaDecSystem, type Wcs } from './parse.js';
import { pixelScale } from './scale.js';
import { formatDec, formatRa } from './sexagesimal.js';
import { pixelToWorld } from './transform.js';

/** Options of {@link measureOnSky}. */
export interface MeasureOnSkyOptions {
  /** The file the image came from, named in errors and notes. Default `'image'`. */
  source?: string;
  /**
   * The image's WCS, parsed already (one parse for many sources); `null` when it has none.
   * Default: parsed from `header`, and none when that fails (the reason is in `notes`).
   */
  wcs?: Wcs | null;
  /** The plane of a cube the image is, for parsing the WCS (see `ParseWcsOptions.plane`). */
  plane?: readonly number[];
  /**
   * The noise and the object are measured within this many pixels of the source
   * (`measureSource`'s `annulus` and `maxRadius`), which keeps the noise local in a
   * primary-beam-corrected image, whose noise grows outwards, and the cost independent of the
   * image's size (only that window is read). Default 128; `Infinity`: the whole image.
   */
  rmsRadius?: number;
  /** Further options of `measureSource` (detection level, growth, rms estimator, ...). */
  measure?: Omit<MeasureSourceOptions, 'beamAreaPixels' | 'annulus'>;
}

/** Defaults of {@link MeasureOnSkyOptions}. */
export const DEFAULT_MEASURE_ON_SKY_OPTIONS: Readonly<
  Required<Pick<MeasureOnSkyOptions, 'source' | 'rmsRadius'>>
> = { source: 'image', rmsRadius: 128 };

/** A source on the sky: where it is, how bright, and how the image samples it. */
export interface SkySource {
  /** The pixel the position is of, `[row, col]`, 0-based numpy order. */
  pixel: [row: number, col: number];
  /** Right ascension (or the longitude of a non-equatorial frame), degrees. */
  ra?: number;
  /** Declination (or latitude), degrees. */
  dec?: number;
  /** The frame, e.g. `'ICRS'`, `'FK5 J2000'`, `'galactic'`. */
  frame?: string;
  /** `RADESYS` of an equatorial frame. */
  radesys?: RaDecSystem;
  /** Equinox of an FK4/FK5 frame, years. */
  equinox?: number;
  /** Right ascension as `18h30m04.129s` (equatorial frames only). */
  raHms?: string;
  /** Declination as `-02d03m02.72s` (equatorial frames only). */
  decDms?: string;
  /** The header's `OBJECT`. */
  object?: string;
  /** The header's `BUNIT`, e.g. `'Jy/beam'`. */
  unit?: string;
  /** Pixel side, arcsec (square root of the pixel's solid angle at the source). */
  pixelScaleArcsec?: number;
  /** The restoring beam (with its area in pixels when the pixel scale is known). */
  beam?: Beam;
  /** Brightest pixel of the detected object (or of `pixel`), image units (Jy/beam). */
  peakJyBeam?: number;
  /**
   * `[row, col]` of that brightest pixel: `pixel` itself, or a brighter peak that `pixel`'s
   * emission connects to (then `peakJyBeam`, `snr` and the integrated flux are that emission's).
   */
  objectPeak?: [row: number, col: number];
  /** Integrated flux density over the object, Jy (needs a beam and a detection). */
  integratedJy?: number;
  /** 1σ noise error of `integratedJy`, Jy. */
  integratedErrJy?: number;
  /** Image noise: robust rms away from the source (sigma-clipped), image units. */
  rmsJyBeam?: number;
  /** `peakJyBeam / rmsJyBeam`. */
  snr?: number;
  /** Why a figure is missing: no WCS, no beam, no finite pixel at the source, ... */
  notes: string[];
}

/**
 * Everything an astronomer asks of a source at a pixel of an image: its position (RA/Dec in
 * the header's frame, degrees and sexagesimal), the object name, the pixel scale and beam, and
 * its peak, integrated flux and S/N as `measureSource` measures them (noise robust and away from
 * the source, flux over the object grown by a beam, divided by the beam area). What cannot be
 * had is left undefined with the reason in `notes`; nothing throws for a missing WCS or beam.
 *
 * @param image - the image, `[rows, cols]`, in the header's units (Jy/beam for ALMA)
 * @param header - its FITS header
 * @param pixel - `[row, col]` of the source (its peak), 0-based numpy order
 * @param opts - see {@link MeasureOnSkyOptions}
 */
export function measureOnSky(
  image: Image2D,
  header: FitsHeader,
  pixel: readonly [row: number, col: number],
  opts: MeasureOnSkyOptions = {},
): SkySource {
  const source = opts.source ?? DEFAULT_MEASURE_ON_SKY_OPTIONS.source;
  const rmsRadius = opts.rmsRadius ?? DEFAULT_MEASURE_ON_SKY_OPTIONS.rmsRadius;
  const notes: string[] = [];
  const out: SkySource = { pixel: [pixel[0], pixel[1]], notes };
  const object = header.get('OBJECT');
  if (typeof object === 'string' && object.trim() !== '') out.object = object.trim();
  const bunit = header.get('BUNIT');
  if (typeof bunit === 'string' && bunit.trim() !== '') out.unit = bunit.trim();

  let wcs = opts.wcs;
  if (wcs === undefined) {
    try {
      wcs = parseWcs(header, { source, ...(opts.plane ? { plane: opts.plane } : {}) });
    } catch (err) {
      if (!(err instanceof WcsError)) throw err;
      notes.push(err.message);
      wcs = null;
    }
  } else if (wcs === null) {
    notes.push(`${source}: no celestial WCS`);
  }
  let pixelArea: number | undefined;
  if (wcs !== null) {
    const [lon, lat] = pixelToWorld(wcs, pixel);
    if (Number.isFinite(lon) && Number.isFinite(lat)) {
      out.ra = lon;
      out.dec = lat;
      out.frame = wcs.frame.name;
      if (wcs.frame.radesys !== undefined) {
        out.radesys = wcs.frame.radesys;
        out.raHms = formatRa(lon);
        out.decDms = formatDec(lat);
      }
      if (wcs.frame.equinox !== undefined) out.equinox = wcs.frame.equinox;
      const scale = pixelScale(wcs, { at: pixel });
      out.pixelScaleArcsec = scale.arcsec;
      pixelArea = scale.areaArcsec2;
    } else {
      notes.push(`${source}: pixel [${pixel.join(', ')}] has no sky position`);
    }
  }
  const beam = beamFromHeader(header, pixelArea);
  if (beam !== undefined) out.beam = beam;
  else notes.push(`${source}: no beam (BMAJ/BMIN), so no integrated flux`);

  const r = Math.round(pixel[0]);
  const c = Math.round(pixel[1]);
  try {
    // Only the pixels within rmsRadius count (noise and object alike), so measuring on that
    // window gives the same figures as on the whole image, at a cost that does not grow with it.
    const [rows, cols] = image.shape as [number, number];
    const reach = Number.isFinite(rmsRadius) ? Math.ceil(rmsRadius) : Infinity;
    const r0 = Math.max(0, r - reach);
    const c0 = Math.max(0, c - reach);
    const r1 = Math.min(rows, r + reach + 1);
    const c1 = Math.min(cols, c + reach + 1);
    const inside = r >= 0 && c >= 0 && r < rows && c < cols;
    const window = inside && (r0 > 0 || c0 > 0 || r1 < rows || c1 < cols);
    const view = window ? image.hi(r1, c1).lo(r0, c0) : image;
    const m = measureSource(view, window ? [r - r0, c - c0] : [r, c], {
      ...opts.measure,
      ...(beam?.areaPixels !== undefined ? { beamAreaPixels: beam.areaPixels } : {}),
      ...(Number.isFinite(rmsRadius)
        ? {
            annulus: [0, rmsRadius] as [number, number],
            maxRadius: Math.min(opts.measure?.maxRadius ?? Infinity, rmsRadius),
          }
        : {}),
    });
    out.peakJyBeam = m.peakJyBeam;
    out.objectPeak = window ? [m.peak[0] + r0, m.peak[1] + c0] : [m.peak[0], m.peak[1]];
    out.rmsJyBeam = m.rmsJyBeam;
    out.snr = m.snr;
    if (m.integratedJy !== undefined) {
      out.integratedJy = m.integratedJy;
      out.integratedErrJy = m.integratedErrJy;
    } else if (!m.detected) {
      const level = opts.measure?.detection ?? 3;
      notes.push(`${source}: nothing above ${level}σ at [${r}, ${c}] to integrate`);
    }
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    notes.push(`${source}: ${err.message}`);
  }
  return out;
}
