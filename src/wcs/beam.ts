import type { FitsHeader } from '../fits/header.js';

/** The restoring beam of an interferometric image (its resolution). */
export interface Beam {
  /** FWHM along the major axis, arcsec. */
  majorArcsec: number;
  /** FWHM along the minor axis, arcsec. */
  minorArcsec: number;
  /** Position angle of the major axis, degrees east of north. */
  paDeg: number;
  /** Solid angle of the Gaussian beam, `π·major·minor / (4 ln 2)`, arcsec². */
  areaArcsec2: number;
  /**
   * The beam's area in pixels (`areaArcsec2` / pixel area), what turns a sum of Jy/beam
   * pixels into Jy; given when a pixel area was passed.
   */
  areaPixels?: number;
  /** Where it was read: the `BMAJ`/`BMIN`/`BPA` cards, or an AIPS `HISTORY` line. */
  from: 'cards' | 'history';
}

/**
 * The restoring beam from a FITS header: `BMAJ`, `BMIN`, `BPA` (degrees, as CASA and the FITS
 * convention write them; `BMIN` defaults to `BMAJ`, `BPA` to 0), or else the last AIPS
 * `HISTORY AIPS CLEAN BMAJ= … BMIN= … BPA= …` line. A cube with one beam per channel (a
 * `BEAMS` table) is not read here.
 *
 * @param header - the image HDU's header
 * @param pixelAreaArcsec2 - solid angle of a pixel (`pixelScale(wcs).areaArcsec2`), to give
 *   {@link Beam.areaPixels}
 * @returns the beam, or undefined when the header has none (or a non-positive one)
 */
export function beamFromHeader(header: FitsHeader, pixelAreaArcsec2?: number): Beam | undefined {
  let bmaj = header.number('BMAJ');
  let bmin = header.number('BMIN');
  let bpa = header.number('BPA');
  let from: Beam['from'] = 'cards';
  if (bmaj === undefined) {
    for (const card of header.cards) {
      if (card.key !== 'HISTORY' || typeof card.value !== 'string') continue;
      const m =
        /BMAJ\s*=\s*([-+\d.EeDd]+)\s+BMIN\s*=\s*([-+\d.EeDd]+)\s+BPA\s*=\s*([-+\d.EeDd]+)/.exec(
          card.value,
        );
      if (m === null) continue;
      [bmaj, bmin, bpa] = [m[1], m[2], m[3]].map((s) => Number(s.replace(/[Dd]/, 'E')));
      from = 'history';
    }
  }
  if (bmaj === undefined) return undefined;
  bmin ??= bmaj;
  bpa ??= 0;
  if (!(bmaj > 0 && bmin > 0) || !Number.isFinite(bmaj + bmin + bpa)) return undefined;
  const majorArcsec = bmaj * 3600;
  const minorArcsec = bmin * 3600;
  const areaArcsec2 = (Math.PI * majorArcsec * minorArcsec) / (4 * Math.LN2);
  return {
    majorArcsec,
    minorArcsec,
    paDeg: bpa,
    areaArcsec2,
    ...(pixelAreaArcsec2 !== undefined && pixelAreaArcsec2 > 0
      ? { areaPixels: areaArcsec2 / pixelAreaArcsec2 }
      : {}),
    from,
  };
}
