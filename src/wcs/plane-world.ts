import type { FitsHeader } from '../fits/header.js';
import { readLinear } from './linear.js';

/** Stokes parameters by their FITS code (WCS Paper I, table 7). */
export const STOKES_CODES: Readonly<Record<number, string>> = {
  1: 'I',
  2: 'Q',
  3: 'U',
  4: 'V',
  [-1]: 'RR',
  [-2]: 'LL',
  [-3]: 'RL',
  [-4]: 'LR',
  [-5]: 'XX',
  [-6]: 'YY',
  [-7]: 'XY',
  [-8]: 'YX',
};

/**
 * The world coordinates of one plane of a cube along each axis beyond the image's two, by the
 * axis's `CTYPE` (`FREQ`, `VRAD`, `STOKES`, ...), linear as FITS WCS Paper I defines them:
 * `CRVALj + Σk Mjk (pk − CRPIXk)` over the plane axes, with `M` from `CDELT`·`PC` or `CD`.
 * Stokes codes are given by name (`'I'`). Axes without `CTYPE` or `CRVAL` are left out.
 *
 * @param header - the cube's header
 * @param plane - one index per axis beyond the second, outermost first (numpy order, as
 *   `readFits`'s `plane`)
 * @returns e.g. `{ STOKES: 'I', FREQ: 230538000000 }`
 */
export function planeWorld(
  header: FitsHeader,
  plane: readonly number[],
): Record<string, number | string> {
  const naxis = plane.length + 2;
  const linear = readLinear(header, naxis);
  const world: Record<string, number | string> = {};
  // plane[k] indexes FITS axis naxis − k.
  const pixel = (axis: number): number => plane[naxis - axis] + 1;
  // Outermost axis first, as numpy orders the plane indices.
  for (let j = naxis; j >= 3; j--) {
    const ctype = header.get(`CTYPE${j}`);
    const crval = header.number(`CRVAL${j}`);
    if (typeof ctype !== 'string' || crval === undefined) continue;
    let v = crval;
    for (let k = 3; k <= naxis; k++) {
      const m = (linear.cdelt[j - 1] ?? 1) * linear.pc[j - 1][k - 1];
      if (m !== 0) v += m * (pixel(k) - (header.number(`CRPIX${k}`) ?? 0));
    }
    const name = ctype.trim();
    world[name] = name.toUpperCase() === 'STOKES' ? (STOKES_CODES[v] ?? v) : v;
  }
  return world;
}
