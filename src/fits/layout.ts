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
  /** What the HDU holds; `empty` = no data unit. */
  kind: FitsHduKind;
  /** BITPIX of the data. */
  bitpix: number;
  /** NAXIS1..NAXISn in FITS order (NAXIS1 = columns). */
  axes: number[];
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
  cards: FitsCard[];
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

// WHATWG's 'latin1' is windows-1252, which differs from ISO 8859-1 only in 0x80-0x9F: bytes
// that are not legal in a FITS header anyway. Every byte still maps to one character.
const latin1 = new TextDecoder('latin1');

/** @internal Decode header bytes as Latin-1 text (FITS headers are ASCII). */
export function headerText(bytes: Uint8Array): string {
  return latin1.decode(bytes);
}

/**
 * @internal Read the structural keywords of one parsed header and work out the data size, or
 * say (as `HDU n: why`) which required keyword is missing or invalid.
 */
export function describeHdu(
  cards: FitsCard[],
  index: number,
  headerOffset: number,
  headerBytes: number,
): HduStructure | string {
  const value = (key: string): unknown => cards.find((c) => c.key === key)?.value;
  const int = (key: string, min: number, max: number, fallback?: number): number | string => {
    const v = value(key);
    if (v === undefined && fallback !== undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      return v === undefined ? `missing ${key}` : `bad ${key} = ${String(v)}`;
    }
    return v;
  };
  const bad = (why: string): string => `HDU ${index}: ${why}`;
  const first = cards[0]?.key;
  const primary = index === 0;
  if (primary && first !== 'SIMPLE') return bad('not a FITS file (first card is not SIMPLE)');
  if (!primary && first !== 'XTENSION') return bad('extension header does not start with XTENSION');
  const bitpix = int('BITPIX', -64, 64);
  if (typeof bitpix === 'string') return bad(bitpix);
  if (!BITPIX_VALUES.has(bitpix))
    return bad(`BITPIX = ${bitpix} is not one of 8, 16, 32, 64, -32, -64`);
  const naxis = int('NAXIS', 0, 999);
  if (typeof naxis === 'string') return bad(naxis);
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const n = int(`NAXIS${i}`, 0, Number.MAX_SAFE_INTEGER);
    if (typeof n === 'string') return bad(n);
    axes.push(n);
  }
  const pcount = int('PCOUNT', 0, Number.MAX_SAFE_INTEGER, 0);
  if (typeof pcount === 'string') return bad(pcount);
  const gcount = int('GCOUNT', 0, Number.MAX_SAFE_INTEGER, 1);
  if (typeof gcount === 'string') return bad(gcount);
  const groups = primary && value('GROUPS') === true && axes[0] === 0;
  let elements = 0;
  if (naxis > 0) {
    elements = 1;
    for (let i = groups ? 1 : 0; i < naxis; i++) elements *= axes[i];
    elements = gcount * (pcount + elements);
  }
  const dataBytes = elements * (Math.abs(bitpix) / 8);
  if (!Number.isSafeInteger(dataBytes))
    return bad(`data size overflows (NAXIS = ${axes.join(' x ')})`);
  let kind: FitsHduKind;
  const xtension = primary ? 'IMAGE' : String(value('XTENSION') ?? '').trim();
  if (groups) kind = 'table';
  // An image with an axis of length 0 has no pixels, whatever PCOUNT adds to its data size.
  else if (xtension === 'IMAGE') kind = dataBytes === 0 || axes.includes(0) ? 'empty' : 'image';
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

/** A read the layout walk asks for: `length` bytes at `offset`. */
interface ReadRequest {
  offset: number;
  length: number;
}

/** What the layout walk found: every whole HDU, and why it stopped early if it did. */
interface WalkResult {
  hdus: HduStructure[];
  complete: boolean;
  reason?: string;
}

/**
 * The layout walk, written once for both drivers: it yields the header blocks it needs and is
 * handed their bytes, so {@link walkHdus} drives it synchronously over memory and
 * {@link scanFitsLayout} asynchronously over any reader. Only header blocks are read, and every
 * read is bounded by `size`, so a damaged file can neither hang it nor make it allocate.
 * Bytes after the last HDU that do not start an XTENSION header are ignored, as astropy does.
 */
function* walkLayout(size: number): Generator<ReadRequest, WalkResult, Uint8Array> {
  const hdus: HduStructure[] = [];
  const incomplete = (reason: string): WalkResult => ({ hdus, complete: false, reason });
  if (size <= 0) return incomplete('empty file');
  let offset = 0;
  while (offset < size) {
    const index = hdus.length;
    const chunks: Uint8Array[] = [];
    let cardsBefore = 0;
    let endCard = -1;
    for (let at = offset; endCard < 0;) {
      if (at >= size)
        return incomplete(`HDU ${index}: header has no END card (truncated header or not FITS)`);
      const block = yield { offset: at, length: Math.min(BLOCK, size - at) };
      if (block.length === 0)
        return incomplete(`HDU ${index}: no bytes could be read at offset ${at}`);
      if (at === offset) {
        const key = index === 0 ? 'SIMPLE' : 'XTENSION';
        if (block.length < CARD || !startsWithKeyword(block, key)) {
          if (index === 0) return incomplete('not a FITS file (does not start with SIMPLE)');
          return { hdus, complete: true };
        }
      }
      const found = findEndCard(block);
      const whole = block.length - (block.length % CARD);
      chunks.push(block.subarray(0, found >= 0 ? found * CARD : whole));
      if (found >= 0) endCard = cardsBefore + found;
      cardsBefore += whole / CARD;
      at += block.length;
    }
    const headerBytes = Math.ceil(((endCard + 1) * CARD) / BLOCK) * BLOCK;
    const cards = parseHeaderText(chunks.map(headerText).join(''));
    const hdu = describeHdu(cards, index, offset, headerBytes);
    if (typeof hdu === 'string') return incomplete(hdu);
    if (hdu.dataBytes > 0 && hdu.dataOffset + hdu.dataBytes > size) {
      return incomplete(
        `HDU ${index}: truncated data: header declares ${hdu.dataBytes} bytes ` +
          `(BITPIX ${hdu.bitpix}, NAXIS ${hdu.axes.join(' x ')}) at offset ${hdu.dataOffset}, ` +
          `file has ${Math.max(0, size - hdu.dataOffset)}`,
      );
    }
    hdus.push(hdu);
    offset = hdu.paddedEnd;
  }
  return { hdus, complete: true };
}

/**
 * @internal Walk every HDU of an in-memory file. Throws FitsError naming `name` for an empty
 * file, a file that is not FITS, a header without END, a bad structural keyword, or data
 * shorter than declared.
 */
export function walkHdus(bytes: Uint8Array, name: string): HduStructure[] {
  return walkHdusFrom(
    (offset, length) => bytes.subarray(offset, offset + length),
    bytes.length,
    name,
  );
}

/**
 * @internal {@link walkHdus} over a file of `size` bytes that is not in memory: `read(offset,
 * length)` returns those bytes synchronously (fewer only at the end of the file). Only header
 * blocks are read.
 */
export function walkHdusFrom(
  read: (offset: number, length: number) => Uint8Array,
  size: number,
  name: string,
): HduStructure[] {
  const walk = walkLayout(size);
  let step = walk.next(new Uint8Array(0));
  while (!step.done) step = walk.next(read(step.value.offset, step.value.length));
  const result = step.value;
  if (!result.complete) throw new FitsError(`${name}: ${result.reason}`, name);
  return result.hdus;
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
  const walk = walkLayout(size);
  let step = walk.next(new Uint8Array(0));
  while (!step.done) step = walk.next(await read(step.value.offset, step.value.length));
  const { hdus, complete, reason } = step.value;
  const spans = hdus.map(
    ({ headerOffset, dataOffset, dataBytes, paddedEnd, kind, bitpix, axes }): FitsHduSpan => ({
      headerOffset,
      dataOffset,
      dataBytes,
      paddedEnd,
      kind,
      bitpix,
      axes,
    }),
  );
  return complete
    ? { hdus: spans, complete }
    : { hdus: spans, complete, reason: `${name}: ${reason}` };
}
