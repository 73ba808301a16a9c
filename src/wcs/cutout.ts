import { WcsError } from '../core/errors.js';
import { FitsHeader, type FitsCard } from '../fits/header.js';
import { readLinear } from './linear.js';

/**
 * Where a cutout lies in its parent image: half-open ranges `[start, end)` of rows and columns,
 * 0-based (numpy's `parent[r0:r1, c0:c1]`, the `region` of `readFits`). They may reach past the
 * parent's edges (a padded crop), even start below 0.
 */
export interface CutoutWindow {
  /** Rows `[start, end)` of the parent. */
  rows: readonly [start: number, end: number];
  /** Columns `[start, end)` of the parent. */
  cols: readonly [start: number, end: number];
}

/**
 * An affine map from a new image's pixels to its parent's, both 0-based `[row, col]`:
 * `parent = matrix · [row, col] + offset`. A crop is the identity matrix with the crop's
 * origin as offset; a resampling by `f` parent pixels per new pixel is `f·I`; a rotation adds
 * the rotation matrix.
 */
export interface PixelMap {
  /** `[[∂row/∂row', ∂row/∂col'], [∂col/∂row', ∂col/∂col']]`. */
  matrix: readonly [readonly [number, number], readonly [number, number]];
  /** The parent pixel of the new pixel `[0, 0]`, `[row, col]`. */
  offset: readonly [row: number, col: number];
}

/** Cards that describe the bytes of the parent's data and would be wrong for any new image. */
const CHECKSUMS = new Set(['CHECKSUM', 'DATASUM']);

/**
 * The header of a cutout, as astropy's `Cutout2D` makes it: the parent's cards with `CRPIX1`
 * and `CRPIX2` shifted by the window's origin (and IRAF's `LTV1`/`LTV2`), `NAXIS1`/`NAXIS2`
 * set to the window, `CHECKSUM`/`DATASUM` dropped and a `HISTORY` card saying where the cutout
 * came from. Every sky position then falls on the same feature in the cutout as in the parent:
 * write the cutout with `writeFits(crop, cutoutHeader(header, window))`. The WCS's other cards
 * (CRVAL, CDELT, PC, CD, projection, beam) are unchanged, since cutting moves no pixel.
 *
 * @example
 * ```ts
 * const f = await readFits(path, { region: { rows: [200, 280], cols: [200, 280] } });
 * await writeFitsFile('crop.fits', f.image!, cutoutHeader(f.header, f.region!));
 * ```
 *
 * @param header - the parent image's header (not modified)
 * @param window - where the cutout lies, see {@link CutoutWindow}
 * @returns a new header
 * @throws RangeError when the window is empty or its bounds are not integers
 */
export function cutoutHeader(header: FitsHeader, window: CutoutWindow): FitsHeader {
  const [r0, r1] = window.rows;
  const [c0, c1] = window.cols;
  for (const v of [r0, r1, c0, c1]) {
    if (!Number.isInteger(v))
      throw new RangeError(
        `cutoutHeader: window bounds must be integers, got ${JSON.stringify(window)}`,
      );
  }
  if (!(r1 > r0 && c1 > c0)) {
    throw new RangeError(`cutoutHeader: the window ${JSON.stringify(window)} is empty`);
  }
  return rewrite(
    header,
    {
      CRPIX1: (v) => v - c0,
      CRPIX2: (v) => v - r0,
      LTV1: (v) => v - c0,
      LTV2: (v) => v - r0,
    },
    { NAXIS1: c1 - c0, NAXIS2: r1 - r0 },
    `alma-classifier cutout rows [${r0}, ${r1}) cols [${c0}, ${c1}) of the parent (0-based)`,
  );
}

/**
 * The header of an image resampled, rotated or cut from a parent (any affine {@link PixelMap}):
 * `CRPIX1/2` moved to the new pixel of the parent's reference pixel, and the linear part made
 * to match, so that astropy places every feature at the parent's position. A `CD` matrix stays
 * one (`CD' = CD·P`); otherwise the result is written as `CDELTi` and `PCi_j` (a `CROTA2` header
 * becomes one): for a map that scales by `f` and rotates (or flips), `CDELT' = f·CDELT` and
 * `PC' = PC·R`; for a general one, `CDELT` scaled by `√|det P|` and the rest in `PC`.
 *
 * When the new image is not an affine view of the parent (a geometric mean of two images, an
 * image normalised beyond recognition), use {@link withoutSkyWcs} instead.
 *
 * @param header - the parent image's header (not modified)
 * @param map - new pixels → parent pixels, see {@link PixelMap}
 * @param shape - `[rows, cols]` of the new image, for `NAXIS1`/`NAXIS2`; default: left as they are
 * @returns a new header
 * @throws WcsError when the map's matrix is singular or not finite
 */
export function resampledHeader(
  header: FitsHeader,
  map: PixelMap,
  shape?: readonly [rows: number, cols: number],
): FitsHeader {
  const [[a00, a01], [a10, a11]] = map.matrix;
  const [b0, b1] = map.offset;
  // The map in FITS order (x = col + 1, y = row + 1): parent = P · new + q.
  const P = [
    [a11, a10],
    [a01, a00],
  ];
  const q = [b1 + 1 - a10 - a11, b0 + 1 - a00 - a01];
  const det = P[0][0] * P[1][1] - P[0][1] * P[1][0];
  if (!(Math.abs(det) > 0) || !Number.isFinite(det + q[0] + q[1])) {
    throw new WcsError(
      `resampledHeader: the pixel map ${JSON.stringify(map)} is singular or not finite`,
    );
  }
  const naxis = Math.max(2, header.number('NAXIS') ?? 2, header.number('WCSAXES') ?? 0);
  const linear = readLinear(header, naxis);
  // New CRPIX: P⁻¹ (r − q).
  const rx = (header.number('CRPIX1') ?? 0) - q[0];
  const ry = (header.number('CRPIX2') ?? 0) - q[1];
  const crpix1 = (P[1][1] * rx - P[0][1] * ry) / det;
  const crpix2 = (-P[1][0] * rx + P[0][0] * ry) / det;
  // M' = M · P on the first two columns; M = diag(cdelt) · pc.
  const cdelt = linear.cdelt.map((v) => v ?? 1);
  const m = linear.pc.map((row, i) => row.map((v) => v * cdelt[i]));
  const m2 = m.map((row) => [
    row[0] * P[0][0] + row[1] * P[1][0],
    row[0] * P[0][1] + row[1] * P[1][1],
    ...row.slice(2),
  ]);
  const cards: Record<string, number> = { CRPIX1: crpix1, CRPIX2: crpix2 };
  const drop = /^(PC|CD)\d+_\d+$|^CROTA\d+$/;
  if (linear.style === 'CD') {
    m2.forEach((row, i) =>
      row.forEach((v, j) => {
        if (v !== 0 || header.has(`CD${i + 1}_${j + 1}`)) cards[`CD${i + 1}_${j + 1}`] = v;
      }),
    );
  } else {
    const f = Math.sqrt(Math.abs(det));
    const newCdelt = cdelt.map((v, i) => (i < 2 ? v * f : v));
    m2.forEach((row, i) =>
      row.forEach((v, j) => {
        const pc = v / newCdelt[i];
        if (pc !== (i === j ? 1 : 0) || header.has(`PC${i + 1}_${j + 1}`))
          cards[`PC${i + 1}_${j + 1}`] = pc;
      }),
    );
    cards.CDELT1 = newCdelt[0];
    cards.CDELT2 = newCdelt[1];
  }
  return rewrite(
    header,
    {},
    { ...(shape ? { NAXIS1: shape[1], NAXIS2: shape[0] } : {}), ...cards },
    `alma-classifier resampled: parent [row, col] = ${JSON.stringify(map.matrix)} . [row, col] + ${JSON.stringify(map.offset)}`,
    drop,
  );
}

/** Keys of the celestial WCS of FITS axes 1 and 2, primary or alternate (`CTYPE1A`). */
const SKY_KEYS =
  /^(?:(?:CTYPE|CRVAL|CRPIX|CDELT|CUNIT|CROTA|CNAME|CRDER|CSYER)[12]|(?:PC|CD)(?:[12]_\d+|\d+_[12])|PV[12]_\d+|PS[12]_\d+|LONPOLE|LATPOLE|RADESYS|RADECSYS|EQUINOX|EPOCH|WCSNAME)[A-Z]?$/;

/**
 * A header whose image has no sky coordinates: the parent's cards without the celestial WCS of
 * axes 1 and 2 (CTYPE, CRVAL, CRPIX, CDELT, CUNIT, CROTA, PC/CD rows and columns, PV, LONPOLE,
 * LATPOLE, RADESYS, EQUINOX; alternate WCSs too), with a `COMMENT` that says so and why.
 * astropy then finds no celestial WCS rather than a wrong one. Use it for images that are no
 * affine view of the sky: a normalised, warped or combined model input.
 *
 * @param header - the parent's header (not modified)
 * @param reason - why, e.g. `'geometric mean of two sources'`
 * @returns a new header
 */
export function withoutSkyWcs(header: FitsHeader, reason: string): FitsHeader {
  const cards: FitsCard[] = header.cards.filter(
    (c) => !SKY_KEYS.test(c.key) && !CHECKSUMS.has(c.key),
  );
  cards.push({ key: 'COMMENT', value: `No sky WCS: ${reason}`.replace(/[^\x20-\x7e]/g, '?') });
  return new FitsHeader(cards);
}

/**
 * The header's cards with `shift` applied to existing numeric cards, `set` cards replaced or
 * appended (after the last WCS card of the same kind), `drop` cards left out, checksums
 * dropped, and a HISTORY line.
 */
function rewrite(
  header: FitsHeader,
  shift: Record<string, (v: number) => number>,
  set: Record<string, number>,
  history: string,
  drop?: RegExp,
): FitsHeader {
  // Image sizes are only updated, never added: the writer sets them.
  const pending = new Map(
    Object.entries(set).filter(([key]) => !key.startsWith('NAXIS') || header.has(key)),
  );
  const cards: FitsCard[] = [];
  for (const c of header.cards) {
    if (CHECKSUMS.has(c.key)) continue;
    if (pending.has(c.key)) {
      cards.push({ ...c, value: pending.get(c.key) as number });
      pending.delete(c.key);
      continue;
    }
    if (drop?.test(c.key)) continue;
    const f = shift[c.key];
    if (f !== undefined && typeof c.value === 'number') {
      cards.push({ ...c, value: f(c.value) });
      continue;
    }
    cards.push({ ...c });
  }
  // CRPIX of a header that had none (the FITS default is 0) must be written to be shifted.
  for (const key of ['CRPIX1', 'CRPIX2'] as const) {
    const f = shift[key];
    if (f !== undefined && !header.has(key) && header.has(`CTYPE${key.slice(-1)}`)) {
      pending.set(key, f(0));
    }
  }
  const at = lastWcsIndex(cards);
  cards.splice(at, 0, ...[...pending].map(([key, value]) => ({ key, value })));
  cards.push({ key: 'HISTORY', value: history });
  return new FitsHeader(cards);
}

function lastWcsIndex(cards: readonly FitsCard[]): number {
  let at = cards.length;
  for (let i = cards.length - 1; i >= 0; i--) {
    if (/^(CTYPE|CRVAL|CRPIX|CDELT|CUNIT|PC|CD)\d/.test(cards[i].key)) {
      at = i + 1;
      break;
    }
  }
  return at;
}
