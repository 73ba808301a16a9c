import { FitsError } from '../core/errors.js';
import type { Image2D } from '../core/image2d.js';
import { FitsHeader, formatCard } from './header.js';
import type { FitsCard } from './header.js';
import { BLOCK } from './layout.js';

/** Options of {@link writeFits}. */
export interface WriteFitsOptions {
  /**
   * Storage type. `-32` (default) and `-64` write the pixels as IEEE floats, NaN as NaN. `16`
   * and `32` write integers `round((value - BZERO) / BSCALE)`, taking BSCALE/BZERO from the
   * given header (default 1 and 0); when the image holds NaN, NaN is stored as BLANK, the
   * type's most negative value, which is then reserved for it.
   */
  bitpix?: -32 | -64 | 16 | 32;
}

/** The defaults of {@link WriteFitsOptions}. */
export const DEFAULT_WRITE_FITS_OPTIONS = {
  /** IEEE float32. */
  bitpix: -32,
} as const satisfies WriteFitsOptions;

/** Keywords the writer sets itself from the image and options. */
const STRUCTURAL =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|END|BSCALE|BZERO|BLANK|CONTINUE)$/;

/**
 * Encode an image as a single-HDU FITS file: a primary header of 80-character cards in
 * 2880-byte blocks (`SIMPLE`, `BITPIX`, `NAXIS = 2`, `NAXIS1 = cols`, `NAXIS2 = rows`, then the
 * given header's other cards in order, so WCS, beam and COMMENT/HISTORY cards carry over),
 * followed by the big-endian pixels padded to 2880 bytes. `readFits(writeFits(img))` returns
 * the same pixels exactly for float32 images (and for float64 images with `bitpix: -64`).
 *
 * @param image - the image, any strides; never modified
 * @param header - cards to carry over; structural ones (SIMPLE, BITPIX, NAXISn, EXTEND, ...)
 *   are replaced by the writer's own
 * @param opts - see {@link WriteFitsOptions}
 * @throws FitsError when a pixel does not fit the integer type asked for, or a card cannot be
 *   written (keyword longer than 8 characters, non-ASCII text, a non-finite number)
 */
export function writeFits(
  image: Image2D,
  header?: FitsHeader | FitsCard[],
  opts: WriteFitsOptions = {},
): Uint8Array {
  const bitpix = opts.bitpix ?? DEFAULT_WRITE_FITS_OPTIONS.bitpix;
  const [rows, cols] = image.shape as [number, number];
  const given = header === undefined ? [] : header instanceof FitsHeader ? header.cards : header;
  const scaleHeader = new FitsHeader(given.filter((c) => c.key === 'BSCALE' || c.key === 'BZERO'));
  const bscale = bitpix > 0 ? (scaleHeader.number('BSCALE') ?? 1) : 1;
  const bzero = bitpix > 0 ? (scaleHeader.number('BZERO') ?? 0) : 0;
  const min = bitpix === 16 ? -32768 : -2147483648;
  const hasNaN = bitpix > 0 && anyNaN(image);
  // The most negative value means NaN only when there is NaN, so unsigned data keeps its range.
  const lowest = hasNaN ? min + 1 : min;

  const cards: FitsCard[] = [
    { key: 'SIMPLE', value: true, comment: 'conforms to FITS standard' },
    { key: 'BITPIX', value: bitpix, comment: 'array data type' },
    { key: 'NAXIS', value: 2, comment: 'number of array dimensions' },
    { key: 'NAXIS1', value: cols },
    { key: 'NAXIS2', value: rows },
  ];
  if (bitpix > 0) {
    if (bscale !== 1) cards.push({ key: 'BSCALE', value: bscale });
    if (bzero !== 0) cards.push({ key: 'BZERO', value: bzero });
    if (hasNaN) cards.push({ key: 'BLANK', value: min, comment: 'stored value of NaN pixels' });
  }
  for (const c of given) if (!STRUCTURAL.test(c.key.toUpperCase())) cards.push(c);

  let text: string;
  try {
    text = cards.map(formatCard).join('') + 'END'.padEnd(80);
  } catch (err) {
    throw new FitsError(`writeFits: ${(err as Error).message}`, undefined, { cause: err });
  }
  const headerBytes = Math.ceil(text.length / BLOCK) * BLOCK;
  const width = Math.abs(bitpix) / 8;
  const dataBytes = rows * cols * width;
  const out = new Uint8Array(headerBytes + Math.ceil(dataBytes / BLOCK) * BLOCK);
  out.fill(0x20, 0, headerBytes);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);

  const dv = new DataView(out.buffer, headerBytes, dataBytes);
  const src = image.data;
  const [s0, s1] = image.stride as [number, number];
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0, p = image.offset + r * s0; c < cols; c++, p += s1, k++) {
      const v = src[p];
      if (bitpix === -32) dv.setFloat32(k * 4, v, false);
      else if (bitpix === -64) dv.setFloat64(k * 8, v, false);
      else {
        let q = min;
        if (!Number.isNaN(v)) {
          q = Math.round((v - bzero) / bscale);
          const max = bitpix === 16 ? 32767 : 2147483647;
          if (!(q >= lowest && q <= max)) {
            throw new FitsError(
              `writeFits: pixel [${r}, ${c}] = ${v} does not fit BITPIX ${bitpix}` +
                ` (BSCALE ${bscale}, BZERO ${bzero}${hasNaN ? `; ${min} is reserved for NaN` : ''})`,
            );
          }
        }
        if (bitpix === 16) dv.setInt16(k * 2, q, false);
        else dv.setInt32(k * 4, q, false);
      }
    }
  }
  return out;
}

function anyNaN(image: Image2D): boolean {
  const [rows, cols] = image.shape as [number, number];
  const [s0, s1] = image.stride as [number, number];
  for (let r = 0; r < rows; r++) {
    for (let c = 0, p = image.offset + r * s0; c < cols; c++, p += s1) {
      if (Number.isNaN(image.data[p])) return true;
    }
  }
  return false;
}
