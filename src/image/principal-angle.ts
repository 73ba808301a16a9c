import type { Image2D } from '../core/image2d.js';
import { floodFill } from './find-sources.js';
import {
  assertImage,
  assertNumber,
  finitePixels,
  medianInPlace,
  nanArgmax,
  rowMajor,
} from './internal.js';

/** Options of {@link principalAngle}. */
export interface PrincipalAngleOptions {
  /**
   * The source is the region connected to the brightest pixel whose values exceed
   * `background + fraction * (peak - background)` (background = median of the finite pixels),
   * in (0, 1). Default 0.2: wide enough to see the shape, tight enough to leave noise out.
   */
  fraction?: number;
}

/** Defaults of {@link PrincipalAngleOptions}. */
export const DEFAULT_PRINCIPAL_ANGLE_OPTIONS: Required<PrincipalAngleOptions> = { fraction: 0.2 };

/**
 * The orientation of the brightest source's major axis, from the second moments of its
 * background-subtracted pixel values, so positives can be aligned without hand-typed angles.
 *
 * Convention: degrees in (-90, 90], measured counter-clockwise from the +column axis as the
 * image is displayed with row 0 at the top (matplotlib `origin='upper'`); 0 is horizontal, 90
 * vertical. This is the sense of {@link rotate}, so `rotate(img, -principalAngle(img))` turns the
 * source's major axis horizontal (along the columns). A round source gives an arbitrary angle
 * (0 when its moments are exactly equal).
 *
 * NaN: NaN pixels are never part of the source and are left out of the background.
 *
 * @param img - the image, `[rows, cols]`
 * @param opts - see {@link PrincipalAngleOptions}
 * @returns the angle in degrees
 * @throws RangeError when the image has no finite pixel, or on invalid options
 */
export function principalAngle(img: Image2D, opts: PrincipalAngleOptions = {}): number {
  const fn = 'principalAngle';
  assertImage(img, fn);
  const { fraction } = { ...DEFAULT_PRINCIPAL_ANGLE_OPTIONS, ...opts };
  assertNumber(fraction, fn, 'fraction', 0, 1);
  const peak = nanArgmax(img);
  if (peak === undefined) throw new RangeError(`${fn}: image has no finite pixel`);
  const [R, C] = img.shape as [number, number];
  const { data, offset } = rowMajor(img);
  const background = medianInPlace(finitePixels(img));
  const peakValue = data[offset + peak[0] * C + peak[1]];
  const level = background + fraction * (peakValue - background);
  const mask = new Uint8Array(R * C);
  for (let i = 0; i < mask.length; i++) mask[i] = data[offset + i] >= level ? 1 : 0;
  const members = floodFill(mask, R, C, peak[0] * C + peak[1], 8, new Int32Array(R * C));
  let sw = 0;
  let sr = 0;
  let sc = 0;
  for (let k = 0; k < members.length; k++) {
    const p = members[k];
    const w = data[offset + p] - background;
    const r = (p / C) | 0;
    sw += w;
    sr += w * r;
    sc += w * (p - r * C);
  }
  if (!(sw > 0)) return 0;
  const mr = sr / sw;
  const mc = sc / sw;
  let mrr = 0;
  let mcc = 0;
  let mrc = 0;
  for (let k = 0; k < members.length; k++) {
    const p = members[k];
    const w = data[offset + p] - background;
    const r = ((p / C) | 0) - mr;
    const c = p - ((p / C) | 0) * C - mc;
    mrr += w * r * r;
    mcc += w * c * c;
    mrc += w * r * c;
  }
  // Display "up" is -row, so the y-x covariance is -mrc.
  let angle = (0.5 * Math.atan2(-2 * mrc, mcc - mrr) * 180) / Math.PI;
  if (angle <= -90) angle += 180;
  return angle;
}
