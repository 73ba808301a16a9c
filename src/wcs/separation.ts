import { atan2d, cosd, sind } from './internal.js';
import type { SkyPosition } from './transform.js';

/**
 * The angle between two sky positions, degrees, by Vincenty's formula (accurate at every
 * separation, from microarcseconds to antipodes), as astropy's `angular_separation`.
 *
 * @param a - `[lon, lat]` degrees
 * @param b - `[lon, lat]` degrees, in the same frame as `a`
 * @returns the separation in degrees, in [0°, 180°]; NaN when either position is NaN
 */
export function angularSeparation(
  a: readonly [number, number],
  b: readonly [number, number],
): number {
  const dLon = b[0] - a[0];
  const s1 = sind(a[1]);
  const c1 = cosd(a[1]);
  const s2 = sind(b[1]);
  const c2 = cosd(b[1]);
  const sd = sind(dLon);
  const cd = cosd(dLon);
  const num = Math.hypot(c2 * sd, c1 * s2 - s1 * c2 * cd);
  const den = s1 * s2 + c1 * c2 * cd;
  return atan2d(num, den);
}

/**
 * The position angle of `to` seen from `from`, degrees east of north (north 0°, east 90°), as
 * astropy's `position_angle`.
 *
 * @param from - `[lon, lat]` degrees
 * @param to - `[lon, lat]` degrees, in the same frame
 * @returns degrees in [0°, 360°); 0 when the positions coincide
 */
export function positionAngle(
  from: SkyPosition | readonly [number, number],
  to: readonly [number, number],
): number {
  const dLon = to[0] - from[0];
  const y = sind(dLon) * cosd(to[1]);
  const x = cosd(from[1]) * sind(to[1]) - sind(from[1]) * cosd(to[1]) * cosd(dLon);
  const pa = atan2d(y, x);
  return pa < 0 ? pa + 360 : pa;
}
