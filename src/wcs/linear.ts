// The linear part of a FITS WCS as the header writes it (PC with CDELT, CD, or CROTA with
// CDELT), in WCSLIB's order of precedence; shared by parseWcs and the cutout headers.
import type { FitsHeader } from '../fits/header.js';
import { cosd, sind } from './internal.js';

/** Which cards hold the linear part. */
export type LinearStyle = 'PC' | 'CD' | 'CROTA' | 'CDELT';

/** The linear part in header units: `matrix[i][j]` with 0-based axes, `M = diag(cdelt)·pc`. */
export interface LinearPart {
  /** Which cards it came from. */
  style: LinearStyle;
  /** `CDELTi` (1 for a CD matrix); undefined where the header has none. */
  cdelt: (number | undefined)[];
  /** `PCi_j` (the CROTA rotation for `'CROTA'`, `CDi_j` for `'CD'`). */
  pc: number[][];
}

/**
 * Read the linear part of an `naxis`-axis header: PC if any `PCi_j` card is there (or no
 * matrix card at all), else CD, else CROTA (of the latitude axis `latAxis`, else of the other
 * celestial axis), as WCSLIB's wcsset chooses. CROTA gives WCS Paper II's eq. (188) matrix.
 */
export function readLinear(
  header: FitsHeader,
  naxis: number,
  lonAxis = 1,
  latAxis = 2,
): LinearPart {
  let hasPC = false;
  let hasCD = false;
  for (let i = 1; i <= naxis; i++) {
    for (let j = 1; j <= naxis; j++) {
      if (header.has(`PC${i}_${j}`)) hasPC = true;
      if (header.has(`CD${i}_${j}`)) hasCD = true;
    }
  }
  const crota = header.number(`CROTA${latAxis}`) ?? header.number(`CROTA${lonAxis}`);
  const style: LinearStyle = hasPC ? 'PC' : hasCD ? 'CD' : crota !== undefined ? 'CROTA' : 'CDELT';
  const cdelt = Array.from({ length: naxis }, (_, i) =>
    style === 'CD' ? 1 : header.number(`CDELT${i + 1}`),
  );
  const pc = Array.from({ length: naxis }, (_, i) =>
    Array.from({ length: naxis }, (_, j) => {
      if (style === 'CD') return header.number(`CD${i + 1}_${j + 1}`) ?? 0;
      return header.number(`PC${i + 1}_${j + 1}`) ?? (i === j ? 1 : 0);
    }),
  );
  if (style === 'CROTA') {
    const rho = crota as number;
    const lo = lonAxis - 1;
    const la = latAxis - 1;
    const dLo = cdelt[lo] ?? 1;
    const dLa = cdelt[la] ?? 1;
    pc[lo][lo] = cosd(rho);
    pc[la][la] = cosd(rho);
    pc[lo][la] = (-sind(rho) * dLa) / dLo;
    pc[la][lo] = (sind(rho) * dLo) / dLa;
  }
  return { style, cdelt, pc };
}
