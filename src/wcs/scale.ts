import { WcsError } from '../core/errors.js';
import { atan2d, cosd, R0, sind } from './internal.js';
import type { Wcs } from './parse.js';
import { pixelToWorld } from './transform.js';

/** How an image samples the sky around one pixel: see {@link pixelScale}. */
export interface PixelScale {
  /** Sky length of one step along a row (one column further), arcsec. */
  colArcsec: number;
  /** Sky length of one step along a column (one row further), arcsec. */
  rowArcsec: number;
  /** Side of a square pixel of the same area, `√areaArcsec2`, arcsec. */
  arcsec: number;
  /** Solid angle of one pixel, arcsec². */
  areaArcsec2: number;
  /**
   * Angle from the image's up direction (+row, with row 0 drawn at the bottom as DS9 and
   * `imshow(origin='lower')` draw it) to north, degrees, counter-clockwise positive: 0 for a
   * north-up image, 90 when north points left.
   */
  northDeg: number;
  /**
   * Whether the image is mirrored: false when, drawn with row 0 at the bottom and north up,
   * east is on the left (the sky as seen from Earth; every ALMA image), true when it is on the
   * right.
   */
  flipped: boolean;
}

/** Options of {@link pixelScale}. */
export interface PixelScaleOptions {
  /**
   * The pixel `[row, col]` (0-based) to measure at. Default: the reference pixel
   * (`CRPIX − 1`), where the projection does not distort.
   */
  at?: readonly [row: number, col: number];
}

/**
 * The sky size and orientation of a pixel, measured where it is: the sky offsets (east, north)
 * of the neighbours half a pixel away along each axis, so it holds for any projection (for the
 * usual images it equals astropy's `proj_plane_pixel_scales` at the reference pixel).
 *
 * @param wcs - from {@link parseWcs}
 * @param opts - see {@link PixelScaleOptions}
 * @throws WcsError when the pixel has no sky position
 */
export function pixelScale(wcs: Wcs, opts: PixelScaleOptions = {}): PixelScale {
  const at = opts.at ?? [wcs.crpix[1] - 1, wcs.crpix[0] - 1];
  const [a0, d0] = pixelToWorld(wcs, at);
  const sinD0 = sind(d0);
  const cosD0 = cosd(d0);
  // Standard coordinates (east, north) of a pixel on the plane tangent at the centre, arcsec.
  const offset = (row: number, col: number): [number, number] => {
    const [a, d] = pixelToWorld(wcs, [row, col]);
    const cosD = cosd(d);
    const sinD = sind(d);
    const cosDa = cosd(a - a0);
    const cosC = sinD0 * sinD + cosD0 * cosD * cosDa;
    return [
      ((cosD * sind(a - a0)) / cosC) * R0 * 3600,
      ((cosD0 * sinD - sinD0 * cosD * cosDa) / cosC) * R0 * 3600,
    ];
  };
  // Central differences at steps of ½ and ¼ pixel, combined (Richardson) to cancel the h² term.
  const derivative = (dr: number, dc: number): [number, number] => {
    const at = (h: number) => {
      const p = offset(r + dr * h, c + dc * h);
      const m = offset(r - dr * h, c - dc * h);
      return [(p[0] - m[0]) / (2 * h), (p[1] - m[1]) / (2 * h)];
    };
    const big = at(0.5);
    const small = at(0.25);
    return [(4 * small[0] - big[0]) / 3, (4 * small[1] - big[1]) / 3];
  };
  const [r, c] = at;
  // Jacobian: columns = d(east, north)/d(col), d(east, north)/d(row).
  const jc = derivative(0, 1);
  const jr = derivative(1, 0);
  const det = jc[0] * jr[1] - jr[0] * jc[1];
  if (!Number.isFinite(det) || det === 0) {
    throw new WcsError(
      `${wcs.source}: pixel [${at.join(', ')}] has no sky position to measure the pixel scale at`,
      wcs.source,
    );
  }
  // North in pixel coordinates: J⁻¹ (0, 1) = (−jr[0], jc[0]) / det, as (dcol, drow).
  const nCol = -jr[0] / det;
  const nRow = jc[0] / det;
  return {
    colArcsec: Math.hypot(jc[0], jc[1]),
    rowArcsec: Math.hypot(jr[0], jr[1]),
    arcsec: Math.sqrt(Math.abs(det)),
    areaArcsec2: Math.abs(det),
    northDeg: atan2d(-nCol, nRow),
    // East left of north (sky parity) when det(J) < 0: a step right (+col) goes west.
    flipped: det > 0,
  };
}
