import { FitsError } from '../core/errors.js';
import { parseHeaderText } from './header.js';
import type { FitsCard } from './header.js';

/** FITS logical record length: headers and data units are padded to multiples of this. */
export const BLOCK = 2880;
/** FITS header card length. */
export const CARD = 80;

/** The kinds of header-data unit this library tells apart. */
export type FitsHduKind = 'image' | 'table' | 'bintable' | 'empty';

/** Where one HDU lies in a file, as found by reading its header only. */
export interface FitsHduSpan {
  /** Byte offset of the header's first card. */
  headerOffset: number;
  /** Byte offset of the data unit (the header's padded end). */
  dataOffset: number;
  /** Bytes of data the header declares (without the padding to 2880). */
  dataBytes: number;
  /** Byte offset just past the data unit's padding: where the next HDU starts. */
  paddedEnd: number;
}

/** Result of {@link scanFitsLayout}. */
export interface FitsLayout {
  /** The HDUs found, in order; only those whose header and data fit in the file. */
  hdus: FitsHduSpan[];
  /** `true` when every HDU the headers announce is wholly present. */
  complete: boolean;
  /** Why the layout is incomplete, naming the file; absent when complete. */
  reason?: string;
}

/** @internal Structure of one HDU as our own header reading sees it. */
export interface HduStructure extends FitsHduSpan {
  index: number;
  kind: FitsHduKind;
  cards: FitsCard[];
  bitpix: number;
  axes: number[];
}

const BITPIX_VALUES = new Set([8, 16, 32, 64, -32, -64]);

/** @internal Index of the END card within `block` (a multiple of 80 bytes), or -1. */
export function findEndCard(block: Uint8Array): number {
  for (let at = 0; at + CARD <= block.length; at += CARD) {
    if (
      block[at] === 0x45 &&
      block[at + 1] === 0x4e &&
      block[at + 2] === 0x44 &&
      block[at + 3] === 0x20 &&
      block[at + 4] === 0x20 &&
      block[at + 5] === 0x20 &&
      block[at + 6] === 0x20 &&
      block[at + 7] === 0x20
    ) {
      return at / CARD;
    }
  }
  return -1;
}

/** @internal Whether `bytes` (at least 8 long) begin with the keyword `word` padded to 8. */
export function startsWithKeyword(bytes: Uint8Array, word: string): boolean {
  const padded = word.padEnd(8);
  for (let i = 0; i < 8; i++) if (bytes[i] !== padded.charCodeAt(i)) return false;
  return true;
}

/** @internal Decode header bytes as Latin-1 text (FITS headers are ASCII). */
export function headerText(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 8192)));
  }
  return s;
}

/**
 * @internal Read the structural keywords of one parsed header and work out the data size.
 * Throws FitsError naming `name` and the HDU when a required keyword is missing or invalid.
 */
export function describeHdu(
  cards: FitsCard[],
  index: number,
  headerOffset: number,
  headerBytes: number,
  name: string,
): HduStructure {
  const bad = (why: string): never => {
    throw new FitsError(`${name}: HDU ${index}: ${why}`, name);
  };
  const value = (key: string): unknown => cards.find((c) => c.key === key)?.value;
  const int = (key: string, min: number, max: number, fallback?: number): number => {
    const v = value(key);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return bad(v === undefined ? `missing ${key}` : `bad ${key} = ${String(v)}`);
    }
    return v;
  };
  const first = cards[0]?.key;
  const primary = index === 0;
  if (primary && first !== 'SIMPLE') bad('not a FITS file (first card is not SIMPLE)');
  if (!primary && first !== 'XTENSION') bad('extension header does not start with XTENSION');
  const bitpix = int('BITPIX', -64, 64);
  if (!BITPIX_VALUES.has(bitpix)) bad(`BITPIX = ${bitpix} is not one of 8, 16, 32, 64, -32, -64`);
  const naxis = int('NAXIS', 0, 999);
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) axes.push(int(`NAXIS${i}`, 0, Number.MAX_SAFE_INTEGER));
  const groups = primary && value('GROUPS') === true && axes[0] === 0;
  const pcount = int('PCOUNT', 0, Number.MAX_SAFE_INTEGER, 0);
  const gcount = int('GCOUNT', 0, Number.MAX_SAFE_INTEGER, 1);
  let elements = 0;
  if (naxis > 0) {
    elements = 1;
    for (let i = groups ? 1 : 0; i < naxis; i++) elements *= axes[i];
    elements = gcount * (pcount + elements);
  }
  const dataBytes = elements * (Math.abs(bitpix) / 8);
  if (!Number.isSafeInteger(dataBytes)) bad(`data size overflows (NAXIS = ${axes.join(' x ')})`);
  let kind: FitsHduKind;
  const xtension = primary ? 'IMAGE' : String(value('XTENSION') ?? '').trim();
  if (groups) kind = 'table';
  else if (xtension === 'IMAGE') kind = dataBytes === 0 ? 'empty' : 'image';
  else if (xtension === 'BINTABLE' || xtension === 'A3DTABLE') kind = 'bintable';
  else kind = 'table';
  const dataOffset = headerOffset + headerBytes;
  return {
    index,
    kind,
    cards,
    bitpix,
    axes,
    headerOffset,
    dataOffset,
    dataBytes,
    paddedEnd: dataOffset + Math.ceil(dataBytes / BLOCK) * BLOCK,
  };
}

/**
 * @internal Walk every HDU of an in-memory file with our own header reader. Throws FitsError for
 * an empty file, a file that is not FITS, a header without END, or data shorter than declared.
 * Bytes after the last HDU that do not start an XTENSION header are ignored (astropy warns and
 * ignores them too). Reads at most the file: every allocation is bounded by `bytes.length`.
 */
export function walkHdus(bytes: Uint8Array, name: string): HduStructure[] {
  if (bytes.length === 0) throw new FitsError(`${name}: empty file`, name);
  if (bytes.length < CARD || !startsWithKeyword(bytes, 'SIMPLE')) {
    throw new FitsError(`${name}: not a FITS file (does not start with SIMPLE)`, name);
  }
  const hdus: HduStructure[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const index = hdus.length;
    if (
      index > 0 &&
      (bytes.length - offset < CARD || !startsWithKeyword(bytes.subarray(offset), 'XTENSION'))
    ) {
      break;
    }
    const endCard = findEndCard(bytes.subarray(offset));
    if (endCard < 0) {
      throw new FitsError(
        `${name}: HDU ${index}: header has no END card (truncated header or not FITS)`,
        name,
      );
    }
    const headerBytes = Math.ceil(((endCard + 1) * CARD) / BLOCK) * BLOCK;
    const cards = parseHeaderText(headerText(bytes.subarray(offset, offset + endCard * CARD)));
    const hdu = describeHdu(cards, index, offset, headerBytes, name);
    if (hdu.dataBytes > 0 && hdu.dataOffset + hdu.dataBytes > bytes.length) {
      throw new FitsError(
        `${name}: HDU ${index}: truncated data: header declares ${hdu.dataBytes} bytes ` +
          `(BITPIX ${hdu.bitpix}, NAXIS ${hdu.axes.join(' x ')}) at offset ${hdu.dataOffset}, ` +
          `file has ${Math.max(0, bytes.length - hdu.dataOffset)}`,
        name,
      );
    }
    hdus.push(hdu);
    offset = hdu.paddedEnd;
  }
  return hdus;
}

/**
 * Walk the HDUs of a FITS file of `size` bytes by reading only its header blocks, to check that
 * a download is whole without loading its data. `read(offset, length)` must return those bytes
 * (fewer only at the end of the file). Never throws for a malformed or short file: it reports
 * `complete: false` with the reason. Errors thrown by `read` propagate.
 *
 * @param read - reads `length` bytes at `offset`
 * @param size - the file's size in bytes
 * @param name - the file's name for the `reason` text; default `'<FITS bytes>'`
 */
export async function scanFitsLayout(
  read: (offset: number, length: number) => Promise<Uint8Array>,
  size: number,
  name = '<FITS bytes>',
): Promise<FitsLayout> {
  const hdus: FitsHduSpan[] = [];
  const incomplete = (why: string): FitsLayout => ({
    hdus,
    complete: false,
    reason: `${name}: ${why}`,
  });
  if (size <= 0) return incomplete('empty file');
  let offset = 0;
  while (offset < size) {
    const index = hdus.length;
    const chunks: Uint8Array[] = [];
    let endCard = -1;
    let at = offset;
    while (endCard < 0) {
      if (at >= size) {
        return incomplete(`HDU ${index}: header has no END card (truncated header or not FITS)`);
      }
      const block = await read(at, Math.min(BLOCK, size - at));
      if (block.length === 0)
        return incomplete(`HDU ${index}: read returned no bytes at offset ${at}`);
      if (chunks.length === 0) {
        const key = index === 0 ? 'SIMPLE' : 'XTENSION';
        if (block.length < CARD || !startsWithKeyword(block, key)) {
          if (index === 0) return incomplete('not a FITS file (does not start with SIMPLE)');
          return { hdus, complete: true };
        }
      }
      const found = findEndCard(block);
      if (found >= 0) {
        endCard = chunks.reduce((n, c) => n + c.length, 0) / CARD + found;
        chunks.push(block.subarray(0, found * CARD));
      } else {
        chunks.push(block.subarray(0, block.length - (block.length % CARD)));
      }
      at += block.length;
    }
    const text = chunks.map(headerText).join('');
    const headerBytes = Math.ceil(((endCard + 1) * CARD) / BLOCK) * BLOCK;
    let hdu: HduStructure;
    try {
      hdu = describeHdu(parseHeaderText(text), index, offset, headerBytes, name);
    } catch (err) {
      if (err instanceof FitsError) return incomplete(err.message.slice(name.length + 2));
      throw err;
    }
    if (hdu.dataOffset + hdu.dataBytes > size) {
      return incomplete(
        `HDU ${index}: truncated data: header declares ${hdu.dataBytes} bytes at offset ` +
          `${hdu.dataOffset}, file has ${Math.max(0, size - hdu.dataOffset)}`,
      );
    }
    hdus.push({
      headerOffset: hdu.headerOffset,
      dataOffset: hdu.dataOffset,
      dataBytes: hdu.dataBytes,
      paddedEnd: hdu.paddedEnd,
    });
    offset = hdu.paddedEnd;
  }
  return { hdus, complete: true };
}
