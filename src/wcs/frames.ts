import { asind, atan2d, cosd, sind } from './internal.js';
import type { SkyPosition } from './transform.js';

type Matrix3 = [[number, number, number], [number, number, number], [number, number, number]];

/** astropy's `rotation_matrix(angle, axis)`: a rotation of the coordinate axes (passive). */
function rotation(deg: number, axis: 0 | 1 | 2): Matrix3 {
  const c = cosd(deg);
  const s = sind(deg);
  if (axis === 0)
    return [
      [1, 0, 0],
      [0, c, s],
      [0, -s, c],
    ];
  if (axis === 1)
    return [
      [c, 0, -s],
      [0, 1, 0],
      [s, 0, c],
    ];
  return [
    [c, s, 0],
    [-s, c, 0],
    [0, 0, 1],
  ];
}

function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const out = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ] as Matrix3;
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  return out;
}

/**
 * The frame bias from ICRS to FK5 J2000, as astropy builds it (`_icrs_to_fk5_matrix`, the
 * B-matrix of USNO Circular 179): η0 = −19.9 mas, ξ0 = 9.1 mas, dα0 = −22.9 mas.
 */
const ICRS_TO_FK5 = multiply(
  multiply(rotation(19.9 / 3.6e6, 0), rotation(9.1 / 3.6e6, 1)),
  rotation(-22.9 / 3.6e6, 2),
);

function apply(m: Matrix3, [lon, lat]: readonly [number, number], transpose: boolean): SkyPosition {
  const v = [cosd(lat) * cosd(lon), cosd(lat) * sind(lon), sind(lat)];
  const w = [0, 1, 2].map((i) =>
    transpose
      ? m[0][i] * v[0] + m[1][i] * v[1] + m[2][i] * v[2]
      : m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2],
  );
  let ra = atan2d(w[1], w[0]);
  if (ra < 0) ra += 360;
  return [ra, asind(Math.min(1, Math.max(-1, w[2] / Math.hypot(w[0], w[1], w[2]))))];
}

/**
 * An FK5 J2000 position in ICRS: the ~20 mas frame bias, as astropy's
 * `SkyCoord(ra, dec, frame=FK5(equinox='J2000')).icrs` (no proper motion, no epoch).
 *
 * @param position - `[ra, dec]` degrees, FK5 equinox J2000
 * @returns `[ra, dec]` degrees, ICRS, ra in [0°, 360°)
 */
export function fk5J2000ToIcrs(position: readonly [number, number]): SkyPosition {
  return apply(ICRS_TO_FK5, position, true);
}

/**
 * An ICRS position in FK5 J2000, the inverse of {@link fk5J2000ToIcrs}.
 *
 * @param position - `[ra, dec]` degrees, ICRS
 * @returns `[ra, dec]` degrees, FK5 equinox J2000
 */
export function icrsToFk5J2000(position: readonly [number, number]): SkyPosition {
  return apply(ICRS_TO_FK5, position, false);
}
