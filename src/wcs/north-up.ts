import { createImage2D, type Image2D } from '../core/image2d.js';
import { WcsError } from '../core/errors.js';
import { asind, atan2d, cosd, R0, sind } from './internal.js';
import type { Wcs } from './parse.js';
import { pixelScale } from './scale.js';
import { cutoutHeader, resampledHeader, type CutoutWindow, type PixelMap } from './cutout.js';
import type { FitsHeader } from '../fits/header.js';
import { pixelToWorld, worldToPixel, type SkyPosition } from './transform.js';

/** Options of {@link northUpCutout}. */
export interface NorthUpCutoutOptions {
  /** Side of the square cutout in its own pixels. Default 64. */
  size?: number;
  /**
   * Pixel side of the cutout, arcsec. Default: the image's own pixel side at the centre, so an
   * image that is north up already is cut, not resampled.
   */
  pixelArcsec?: number;
  /** The parent's header: with it the result carries the cutout's own ({@link NorthUpCutout.header}). */
  header?: FitsHeader;
}

/** Defaults of {@link NorthUpCutoutOptions}. */
export const DEFAULT_NORTH_UP_CUTOUT_OPTIONS: Readonly<
  Required<Pick<NorthUpCutoutOptions, 'size'>>
> = { size: 64 };

/** A cutout with north up and east left, see {@link northUpCutout}. */
export interface NorthUpCutout {
  /**
   * The pixels, `[size, size]`: row 0 is the southern edge (drawn at the bottom, as `renderPng`
   * draws by default), column 0 the eastern edge; NaN where the parent has no data.
   */
  image: Image2D;
  /** Pixel side, arcsec. */
  pixelArcsec: number;
  /** Sky position of the cutout's centre (`[(size−1)/2, (size−1)/2]`), degrees. */
  center: SkyPosition;
  /** The parent pixel the cutout is centred on, `[row, col]`. */
  parentCenter: [row: number, col: number];
  /**
   * How the parent was turned to north up: 0 when it already was (the cutout is then a plain
   * cut, `window`); else the angle (degrees, counter-clockwise) its north was rotated by.
   */
  rotationDeg: number;
  /** Whether the pixels were interpolated (bilinear) rather than copied. */
  resampled: boolean;
  /** Where a plain cut lies in the parent (`cutoutHeader` takes it); undefined when resampled. */
  window?: CutoutWindow;
  /** Cutout pixels → parent pixels on the tangent plane at the centre (`resampledHeader` takes it). */
  map: PixelMap;
  /**
   * The cutout's header, when the parent's was given: `cutoutHeader` of a plain cut,
   * `resampledHeader` of a resampled one; write it with the pixels (`writeFits(cut.image,
   * cut.header)`) and astropy places every pixel where the parent has it.
   */
  header?: FitsHeader;
}

/**
 * Cut a square around a pixel with north up and east left, as astronomers draw the sky: a plain
 * cut (pixels copied, exact) when the image is north up, east left and square-pixelled already
 * (every ALMA image; "already" means that across the cutout its grid turns and stretches by
 * under 1/100 pixel), else a bilinear resampling onto a grid on the plane tangent at the centre,
 * with `pixelArcsec` pixels. Write it with its own WCS: `cutoutHeader(header, cut.window)` for a
 * plain cut, `resampledHeader(header, cut.map)` otherwise.
 *
 * NaN: a resampled pixel with a NaN neighbour is NaN; pixels beyond the parent are NaN.
 *
 * @param image - the parent image, `[rows, cols]`
 * @param wcs - its WCS ({@link parseWcs})
 * @param center - `[row, col]` of the centre in the parent; rounded for a plain cut
 * @param opts - see {@link NorthUpCutoutOptions}
 * @throws WcsError when the centre has no sky position; RangeError for a bad size
 */
export function northUpCutout(
  image: Image2D,
  wcs: Wcs,
  center: readonly [row: number, col: number],
  opts: NorthUpCutoutOptions = {},
): NorthUpCutout {
  const size = opts.size ?? DEFAULT_NORTH_UP_CUTOUT_OPTIONS.size;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`northUpCutout: size must be a positive integer, got ${size}`);
  }
  const [rows, cols] = image.shape as [number, number];
  const scale = pixelScale(wcs, { at: center });
  const pixelArcsec = opts.pixelArcsec ?? scale.arcsec;
  // A plain cut is exact when the grid turns and stretches by less than 1/100 pixel across it.
  const reach = size / 2;
  const aligned =
    !scale.flipped &&
    Math.abs((scale.northDeg * Math.PI) / 180) * reach < 0.01 &&
    Math.abs(scale.colArcsec / scale.rowArcsec - 1) * reach < 0.01 &&
    Math.abs(pixelArcsec / scale.arcsec - 1) * reach < 0.01;
  const out = createImage2D(size, size);
  const h = Math.floor(size / 2);
  if (aligned) {
    const r0 = Math.round(center[0]) - h;
    const c0 = Math.round(center[1]) - h;
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        const rr = r0 + r;
        const cc = c0 + c;
        out.set(r, c, rr >= 0 && rr < rows && cc >= 0 && cc < cols ? image.get(rr, cc) : NaN);
      }
    }
    const mid: [number, number] = [r0 + (size - 1) / 2, c0 + (size - 1) / 2];
    const window: CutoutWindow = { rows: [r0, r0 + size], cols: [c0, c0 + size] };
    return {
      image: out,
      pixelArcsec,
      center: pixelToWorld(wcs, mid),
      parentCenter: [r0 + h, c0 + h],
      rotationDeg: 0,
      resampled: false,
      window,
      map: {
        matrix: [
          [1, 0],
          [0, 1],
        ],
        offset: [r0, c0],
      },
      ...(opts.header !== undefined ? { header: cutoutHeader(opts.header, window) } : {}),
    };
  }
  const sky = pixelToWorld(wcs, center);
  if (!Number.isFinite(sky[0])) {
    throw new WcsError(
      `${wcs.source}: pixel [${center.join(', ')}] has no sky position`,
      wcs.source,
    );
  }
  const mid = (size - 1) / 2;
  const step = pixelArcsec / 3600;
  const parentAt = (r: number, c: number): [number, number] =>
    worldToPixel(wcs, fromTangent(sky, (mid - c) * step, (r - mid) * step));
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const [pr, pc] = parentAt(r, c);
      out.set(r, c, bilinear(image, pr, pc));
    }
  }
  // The affine map through the centre, from the parent pixels of neighbouring cutout pixels.
  const o = parentAt(mid, mid);
  const dr = parentAt(mid + 1, mid);
  const dc = parentAt(mid, mid + 1);
  const matrix: PixelMap['matrix'] = [
    [dr[0] - o[0], dc[0] - o[0]],
    [dr[1] - o[1], dc[1] - o[1]],
  ];
  const map: PixelMap = {
    matrix,
    offset: [
      o[0] - matrix[0][0] * mid - matrix[0][1] * mid,
      o[1] - matrix[1][0] * mid - matrix[1][1] * mid,
    ],
  };
  return {
    image: out,
    pixelArcsec,
    center: sky,
    parentCenter: [center[0], center[1]],
    rotationDeg: scale.northDeg,
    resampled: true,
    map,
    ...(opts.header !== undefined
      ? { header: resampledHeader(opts.header, map, [size, size]) }
      : {}),
  };
}

/** The sky position at standard coordinates (ξ east, η north; degrees) on the plane tangent at `at`. */
function fromTangent(at: SkyPosition, xi: number, eta: number): SkyPosition {
  const x = xi / R0;
  const y = eta / R0;
  const d0 = at[1];
  const den = cosd(d0) - y * sind(d0);
  let ra = at[0] + atan2d(x, den);
  ra = ((ra % 360) + 360) % 360;
  const dec = asind((sind(d0) + y * cosd(d0)) / Math.sqrt(1 + x * x + y * y));
  return [ra, dec];
}

/** Bilinear sample at a fractional `[row, col]`; NaN outside the image or next to a NaN pixel. */
function bilinear(image: Image2D, r: number, c: number): number {
  const [rows, cols] = image.shape as [number, number];
  if (!(r >= 0 && c >= 0 && r <= rows - 1 && c <= cols - 1)) return NaN;
  const r0 = Math.min(Math.floor(r), rows - 2 < 0 ? 0 : rows - 2);
  const c0 = Math.min(Math.floor(c), cols - 2 < 0 ? 0 : cols - 2);
  const fr = r - r0;
  const fc = c - c0;
  const r1 = Math.min(r0 + 1, rows - 1);
  const c1 = Math.min(c0 + 1, cols - 1);
  const v00 = image.get(r0, c0);
  const v01 = image.get(r0, c1);
  const v10 = image.get(r1, c0);
  const v11 = image.get(r1, c1);
  return (v00 * (1 - fc) + v01 * fc) * (1 - fr) + (v10 * (1 - fc) + v11 * fc) * fr;
}
