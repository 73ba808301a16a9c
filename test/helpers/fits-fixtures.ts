/**
 * Hand-built FITS files for tests, laid out here independently of the library's writer so that
 * reader tests do not depend on it: 80-character cards, END, blank padding to 2880 bytes,
 * big-endian data padded with zeros.
 */
import { fileURLToPath } from 'node:url';

/** Directory of the bundled real ALMA FITS files. */
export const FITS_DIR = fileURLToPath(new URL('../fixtures/fits/', import.meta.url));
/** The three real files, by a short name. */
export const REAL_FITS = {
  b335: 'b335_2017_band6_0.fits',
  serpens: 'serpenssouthc7_2019_band6_0.fits',
  cos850: 'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits',
} as const;

/** A raw header card: either a full 80-char line, or a key with a preformatted value text. */
export type RawCard = string | [key: string, valueText: string];

/** Format a card the way the FITS standard's fixed format lays it out. */
export function card(c: RawCard): string {
  if (typeof c === 'string') return c.padEnd(80).slice(0, 80);
  const [key, value] = c;
  return `${key.padEnd(8)}= ${value.padStart(20)}`.padEnd(80).slice(0, 80);
}

/** Header bytes: cards, END, padded with blanks to a multiple of 2880. */
export function headerBlock(cards: RawCard[]): Uint8Array {
  const text = cards.map(card).join('') + 'END'.padEnd(80);
  const size = Math.ceil(text.length / 2880) * 2880;
  const out = new Uint8Array(size).fill(0x20);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Big-endian encoding of `values` for a BITPIX. */
export function bigEndian(
  bitpix: 8 | 16 | 32 | 64 | -32 | -64,
  values: (number | bigint)[],
): Uint8Array {
  const w = Math.abs(bitpix) / 8;
  const dv = new DataView(new ArrayBuffer(values.length * w));
  values.forEach((v, i) => {
    if (bitpix === 8) dv.setUint8(i, Number(v));
    else if (bitpix === 16) dv.setInt16(i * 2, Number(v));
    else if (bitpix === 32) dv.setInt32(i * 4, Number(v));
    else if (bitpix === 64) dv.setBigInt64(i * 8, BigInt(v));
    else if (bitpix === -32) dv.setFloat32(i * 4, Number(v));
    else dv.setFloat64(i * 8, Number(v));
  });
  return new Uint8Array(dv.buffer);
}

/** One HDU: header cards (without END) and data bytes (unpadded). */
export interface RawHdu {
  cards: RawCard[];
  data?: Uint8Array;
}

/** Concatenate HDUs into a file, padding each data unit with zeros to 2880 bytes. */
export function buildFits(hdus: RawHdu[], opts: { padLast?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  hdus.forEach((h, i) => {
    parts.push(headerBlock(h.cards));
    if (h.data && h.data.length > 0) {
      const last = i === hdus.length - 1;
      const padded =
        last && opts.padLast === false ? h.data.length : Math.ceil(h.data.length / 2880) * 2880;
      const d = new Uint8Array(padded);
      d.set(h.data);
      parts.push(d);
    }
  });
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A primary image HDU of `[rows, cols]` with the given BITPIX, values and extra cards. */
export function imageHdu(
  bitpix: 8 | 16 | 32 | 64 | -32 | -64,
  rows: number,
  cols: number,
  values: (number | bigint)[],
  extra: RawCard[] = [],
): RawHdu {
  return cubeHdu(bitpix, [cols, rows], values, extra);
}

/** A primary image HDU of any number of axes (`axes` = NAXIS1..n, FITS order), e.g. a cube. */
export function cubeHdu(
  bitpix: 8 | 16 | 32 | 64 | -32 | -64,
  axes: readonly number[],
  values: (number | bigint)[],
  extra: RawCard[] = [],
): RawHdu {
  return {
    cards: [
      ['SIMPLE', 'T'],
      ['BITPIX', String(bitpix)],
      ['NAXIS', String(axes.length)],
      ...axes.map((n, i): RawCard => [`NAXIS${i + 1}`, String(n)]),
      ...extra,
    ],
    data: bigEndian(bitpix, values),
  };
}

/** A primary HDU with no data that announces extensions (`NAXIS = 0`, `EXTEND = T`). */
export const EMPTY_PRIMARY: RawHdu = {
  cards: [
    ['SIMPLE', 'T'],
    ['BITPIX', '8'],
    ['NAXIS', '0'],
    ['EXTEND', 'T'],
  ],
};

/** A small binary-table extension (3 rows of one float64 column), i.e. an HDU with no image. */
export const SMALL_BINTABLE: RawHdu = {
  cards: [
    ['XTENSION', "'BINTABLE'"],
    ['BITPIX', '8'],
    ['NAXIS', '2'],
    ['NAXIS1', '8'],
    ['NAXIS2', '3'],
    ['PCOUNT', '0'],
    ['GCOUNT', '1'],
    ['TFIELDS', '1'],
    ['TFORM1', "'1D'"],
  ],
  data: new Uint8Array(24),
};
