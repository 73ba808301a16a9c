/**
 * Tile-compressed images: the FITS tiled image compression convention (Pence, White & Seaman,
 * registered FITS convention; what cfitsio's `fpack` and astropy's `CompImageHDU` write). The
 * image is cut into tiles, each compressed on its own and stored as one row of a binary table
 * (`ZIMAGE = T`) with the image's own keywords renamed (`ZBITPIX`, `ZNAXISn`, ...). Supported:
 * `RICE_1`, `GZIP_1`, `GZIP_2`, `PLIO_1` and `HCOMPRESS_1` (smoothing included), floating-point
 * tiles quantised with `NO_DITHER`, `SUBTRACTIVE_DITHER_1` or `SUBTRACTIVE_DITHER_2` (or stored
 * losslessly, gzipped or raw), nulls through `ZBLANK`/`BLANK`. Values equal astropy's on the
 * fixtures `scripts/make-tiled-fixtures.py` writes.
 *
 * Browser-safe: the decoders are written here, from the convention's description of each
 * algorithm, with fflate for gzip.
 */
import { FitsError } from '../core/errors.js';
import type { FitsCard } from './header.js';
import { inflateGzip } from './gzip.js';

/** The compression algorithms this reader decodes. */
export type TileCompression = 'RICE_1' | 'GZIP_1' | 'GZIP_2' | 'PLIO_1' | 'HCOMPRESS_1';

const ALGORITHMS: readonly string[] = ['RICE_1', 'GZIP_1', 'GZIP_2', 'PLIO_1', 'HCOMPRESS_1'];

/** How floating-point tiles were turned into integers (`ZQUANTIZ`), or not at all. */
type Quantize = 'none' | 'linear' | 'dither1' | 'dither2';

/** One column of the binary table that holds the tiles. */
interface Column {
  /** Byte offset in a row. */
  offset: number;
  /** TFORM data type letter (`B`, `I`, `J`, `K`, `E`, `D`, ...). */
  type: string;
  /** `P` or `Q` for a variable-length array (a descriptor in the row, data in the heap). */
  descriptor: 'P' | 'Q' | undefined;
}

/** @internal What reading a tile-compressed image needs, from its table's header. */
export interface TiledImage {
  /** The algorithm (`ZCMPTYPE`). */
  compression: TileCompression;
  /** BITPIX of the image (`ZBITPIX`). */
  zbitpix: number;
  /** The image's axes, NAXIS1 first (`ZNAXISn`). */
  znaxis: number[];
  /** The tile's axes (`ZTILEn`; default a row). */
  ztile: number[];
  /** RICE block size and bytes per value; HCOMPRESS scale and smoothing (`ZNAMEi`/`ZVALi`). */
  blocksize: number;
  bytepix: number;
  smooth: number;
  /** Quantisation of float tiles. */
  quantize: Quantize;
  /** `ZDITHER0`: where in the random sequence tile 1 starts. */
  dither0: number;
  /** Bytes per table row, rows (= tiles), start of the heap in the data unit. */
  rowBytes: number;
  rows: number;
  heapStart: number;
  /** Columns by name. */
  columns: Map<string, Column>;
  /** Keyword values used when there is no column of that name. */
  zscale: number | undefined;
  zzero: number | undefined;
  zblank: number | undefined;
  /** BSCALE/BZERO of the image header (folded into quantised float values). */
  bscale: number;
  bzero: number;
}

/** Bytes of one element of each TFORM type. */
const TYPE_BYTES: Readonly<Record<string, number>> = {
  L: 1,
  B: 1,
  A: 1,
  I: 2,
  J: 4,
  K: 8,
  E: 4,
  D: 8,
  C: 8,
  M: 16,
};

/** Keywords of the table that describe the compression, not the image. */
const TABLE_KEYS =
  /^(ZIMAGE|ZCMPTYPE|ZTILE\d+|ZNAME\d+|ZVAL\d+|ZQUANTIZ|ZDITHER0|ZMASKCMP|ZBLANK|ZSCALE|ZZERO|ZHECKSUM|ZDATASUM|TFIELDS|TTYPE\d+|TFORM\d+|TUNIT\d+|TNULL\d+|TSCAL\d+|TZERO\d+|TDIM\d+|TDISP\d+|THEAP|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|EXTEND)$/;

/** The image keywords stored renamed in the table's header, and their names in the image. */
const RENAMED: Readonly<Record<string, string>> = {
  ZSIMPLE: 'SIMPLE',
  ZTENSION: 'XTENSION',
  ZBITPIX: 'BITPIX',
  ZNAXIS: 'NAXIS',
  ZEXTEND: 'EXTEND',
  ZBLOCKED: 'BLOCKED',
  ZPCOUNT: 'PCOUNT',
  ZGCOUNT: 'GCOUNT',
};

/**
 * @internal The header of the image a tile-compressed table holds, as astropy shows it: the
 * structural keywords back under their own names (`ZBITPIX` → `BITPIX`, `ZNAXISn` → `NAXISn`),
 * the table's own and the compression keywords left out, every other card (WCS, `BUNIT`,
 * history) kept in order. A quantised float image loses BSCALE/BZERO (they are folded into
 * its values); an integer image whose nulls the table marks gets `BLANK`.
 */
export function imageCards(cards: readonly FitsCard[], info: TiledImage | undefined): FitsCard[] {
  const value = (key: string): FitsCard['value'] => cards.find((c) => c.key === key)?.value;
  const axes = info?.znaxis ?? [];
  const out: FitsCard[] = [
    value('ZSIMPLE') !== undefined
      ? { key: 'SIMPLE', value: true }
      : { key: 'XTENSION', value: String(value('ZTENSION') ?? 'IMAGE') },
    { key: 'BITPIX', value: info?.zbitpix ?? Number(value('ZBITPIX') ?? 8) },
    { key: 'NAXIS', value: axes.length },
    ...axes.map((n, i): FitsCard => ({ key: `NAXIS${i + 1}`, value: n })),
  ];
  if (value('ZSIMPLE') === undefined) {
    out.push({ key: 'PCOUNT', value: 0 }, { key: 'GCOUNT', value: 1 });
  }
  const quantised = info !== undefined && info.zbitpix < 0 && info.quantize !== 'none';
  for (const c of cards) {
    if (TABLE_KEYS.test(c.key) || /^ZNAXIS\d*$/.test(c.key)) continue;
    if (c.key in RENAMED) {
      if (c.key === 'ZEXTEND' || c.key === 'ZBLOCKED') out.push({ ...c, key: RENAMED[c.key] });
      continue;
    }
    if (quantised && (c.key === 'BSCALE' || c.key === 'BZERO' || c.key === 'BLANK')) continue;
    out.push(c);
  }
  if (info !== undefined && info.zbitpix > 0 && !out.some((c) => c.key === 'BLANK')) {
    const blank = integerBlank(info);
    if (blank !== undefined) out.push({ key: 'BLANK', value: blank });
  }
  return out;
}

/** The value an integer image marks nulls with: ZBLANK (keyword), else one for a ZBLANK column. */
function integerBlank(info: TiledImage): number | undefined {
  if (info.zblank !== undefined) return info.zblank;
  if (!info.columns.has('ZBLANK')) return undefined;
  return info.zbitpix === 8 ? 0 : -(2 ** (info.zbitpix - 1));
}

/**
 * @internal The compression of a table HDU with `ZIMAGE = T`, read from its header, or a
 * sentence saying what is missing or unsupported.
 */
export function tiledImageOf(cards: readonly FitsCard[]): TiledImage | string {
  const get = (key: string): FitsCard['value'] => cards.find((c) => c.key === key)?.value;
  const int = (key: string): number | undefined => {
    const v = get(key);
    return typeof v === 'number' && Number.isSafeInteger(v) ? v : undefined;
  };
  const compression = String(get('ZCMPTYPE') ?? '').trim();
  if (!ALGORITHMS.includes(compression)) {
    return `ZCMPTYPE ${JSON.stringify(compression)} is not one of ${ALGORITHMS.join(', ')}`;
  }
  const zbitpix = int('ZBITPIX');
  if (zbitpix === undefined || ![8, 16, 32, 64, -32, -64].includes(zbitpix))
    return `bad or missing ZBITPIX (${String(get('ZBITPIX'))})`;
  const naxis = int('ZNAXIS');
  if (naxis === undefined || naxis < 1 || naxis > 999) return `bad or missing ZNAXIS`;
  const znaxis: number[] = [];
  const ztile: number[] = [];
  let tiles = 1;
  let pixels = 1;
  for (let k = 1; k <= naxis; k++) {
    const n = int(`ZNAXIS${k}`);
    if (n === undefined || n < 1) return `bad or missing ZNAXIS${k}`;
    const t = int(`ZTILE${k}`) ?? (k === 1 ? n : 1);
    if (t < 1) return `ZTILE${k} = ${t} is not a tile size`;
    znaxis.push(n);
    ztile.push(Math.min(t, n));
    tiles *= Math.ceil(n / Math.min(t, n));
    pixels *= n;
  }
  if (!Number.isSafeInteger(pixels * 8)) return `the image (${znaxis.join(' x ')}) is too large`;
  const params = new Map<string, number>();
  for (let i = 1; i < 100; i++) {
    const name = get(`ZNAME${i}`);
    if (typeof name !== 'string') break;
    const v = get(`ZVAL${i}`);
    if (typeof v === 'number') params.set(name.trim().toUpperCase(), v);
  }
  const rowBytes = int('NAXIS1');
  const rows = int('NAXIS2');
  if (rowBytes === undefined || rows === undefined) return 'missing NAXIS1/NAXIS2 of the table';
  if (rows !== tiles)
    return `the table has ${rows} rows for ${tiles} tiles of ${ztile.join(' x ')} in ${znaxis.join(' x ')}`;
  const columns = new Map<string, Column>();
  let offset = 0;
  const fields = int('TFIELDS') ?? 0;
  for (let k = 1; k <= fields; k++) {
    const form = String(get(`TFORM${k}`) ?? '').trim();
    const m = /^(\d*)([PQ]?)([LXBIJKAEDCM])(?:\(\d*\))?$/i.exec(form);
    if (!m) return `TFORM${k} = ${JSON.stringify(form)} is not a binary table format`;
    const repeat = m[1] === '' ? 1 : Number(m[1]);
    const descriptor = (m[2].toUpperCase() || undefined) as 'P' | 'Q' | undefined;
    const type = m[3].toUpperCase();
    const name = String(get(`TTYPE${k}`) ?? '')
      .trim()
      .toUpperCase();
    columns.set(name, { offset, type, descriptor });
    offset +=
      descriptor === 'P'
        ? 8 * repeat
        : descriptor === 'Q'
          ? 16 * repeat
          : type === 'X'
            ? Math.ceil(repeat / 8)
            : repeat * TYPE_BYTES[type];
  }
  if (offset > rowBytes) return `its columns need ${offset} bytes a row, NAXIS1 is ${rowBytes}`;
  if (!columns.get('COMPRESSED_DATA')?.descriptor) return 'no COMPRESSED_DATA column';
  // No ZSCALE/ZZERO columns: float tiles were not quantised (as cfitsio decides, whatever
  // ZQUANTIZ says).
  const zquantiz = String(get('ZQUANTIZ') ?? '')
    .trim()
    .toUpperCase();
  const quantize: Quantize =
    zbitpix > 0 || (!columns.has('ZSCALE') && !columns.has('ZZERO')) || zquantiz === 'NONE'
      ? 'none'
      : zquantiz === 'SUBTRACTIVE_DITHER_1'
        ? 'dither1'
        : zquantiz === 'SUBTRACTIVE_DITHER_2'
          ? 'dither2'
          : 'linear';
  // Old files wrote NOISEBIT where BYTEPIX now goes; very old ones swapped the two values.
  let blocksize =
    params.get('BLOCKSIZE') ?? (typeof get('ZVAL1') === 'number' ? (get('ZVAL1') as number) : 32);
  let bytepix = params.get('BYTEPIX') ?? 4;
  if (compression === 'RICE_1' && blocksize < 16 && bytepix > 8)
    [blocksize, bytepix] = [bytepix, blocksize];
  if (compression === 'RICE_1' && (!(blocksize > 0) || ![1, 2, 4, 8].includes(bytepix)))
    return `RICE_1 block size ${blocksize} or bytes per value ${bytepix} is not valid`;
  if (compression === 'HCOMPRESS_1' && ztile.filter((t) => t > 1).length > 2)
    return 'HCOMPRESS_1 tiles must be 2-D';
  const heap = int('THEAP') ?? rowBytes * rows;
  const num = (key: string): number | undefined => {
    const v = get(key);
    return typeof v === 'number' ? v : undefined;
  };
  return {
    compression: compression as TileCompression,
    zbitpix,
    znaxis,
    ztile,
    blocksize,
    bytepix,
    smooth: params.get('SMOOTH') ?? 0,
    quantize,
    dither0: int('ZDITHER0') ?? 1,
    rowBytes,
    rows,
    heapStart: heap,
    columns,
    zscale: num('ZSCALE'),
    zzero: num('ZZERO'),
    zblank: int('ZBLANK') ?? int('BLANK'),
    bscale: num('BSCALE') ?? 1,
    bzero: num('BZERO') ?? 0,
  };
}

/** cfitsio's null value for quantised floats when the table names none. */
const NULL_VALUE = -2147483647;
/** SUBTRACTIVE_DITHER_2's code for a pixel that was exactly zero. */
const ZERO_VALUE = -2147483646;
const N_RANDOM = 10000;

let randoms: Float32Array | undefined;

/**
 * The convention's sequence of 10,000 uniform numbers used to dither quantised floats: a
 * Park–Miller generator (a = 16807, m = 2^31 - 1) from seed 1, kept in single precision. Its
 * 10,000th seed is 1043618065 (the convention's check).
 */
function ditherSequence(): Float32Array {
  if (randoms !== undefined) return randoms;
  const out = new Float32Array(N_RANDOM);
  const a = 16807;
  const m = 2147483647;
  let seed = 1;
  for (let i = 0; i < N_RANDOM; i++) {
    const t = a * seed;
    seed = t - m * Math.trunc(t / m);
    out[i] = seed / m;
  }
  if (seed !== 1043618065) throw new Error('dither sequence check failed');
  randoms = out;
  return out;
}

/** Big-endian readers of the table and heap. */
class Bytes {
  readonly view: DataView;
  constructor(readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }
  need(at: number, n: number, what: string): void {
    if (!(at >= 0 && at + n <= this.data.length)) {
      throw new Error(
        `${what} lies outside the data unit (${n} bytes at ${at} of ${this.data.length})`,
      );
    }
  }
  number(at: number, type: string): number {
    switch (type) {
      case 'B':
        return this.view.getUint8(at);
      case 'I':
        return this.view.getInt16(at);
      case 'J':
        return this.view.getInt32(at);
      case 'K':
        return Number(this.view.getBigInt64(at));
      case 'E':
        return this.view.getFloat32(at);
      case 'D':
        return this.view.getFloat64(at);
      default:
        throw new Error(`a column of type ${type} where a number was expected`);
    }
  }
}

/**
 * @internal Decompress the image of a tile-compressed HDU: `data` is its data unit (table and
 * heap). Returns the image as an uncompressed FITS data unit would hold it, big-endian values
 * of BITPIX `ZBITPIX`: integers as stored (the image header's BLANK/BSCALE/BZERO still apply),
 * floats as physical values with NaN for nulls.
 *
 * @throws FitsError naming the file, the HDU and the tile when a tile cannot be decoded
 */
export function decompressTiledImage(
  data: Uint8Array,
  info: TiledImage,
  name: string,
  index: number,
): Uint8Array {
  const width = Math.abs(info.zbitpix) / 8;
  const pixels = info.znaxis.reduce((a, b) => a * b, 1);
  let out: Uint8Array;
  try {
    out = new Uint8Array(pixels * width);
  } catch (err) {
    throw new FitsError(`${name}: HDU ${index}: image too large to decompress in memory`, name, {
      cause: err,
    });
  }
  const view = new DataView(out.buffer);
  const put = writer(view, info.zbitpix);
  const bytes = new Bytes(data);
  const tilesPerAxis = info.znaxis.map((n, k) => Math.ceil(n / info.ztile[k]));
  const start = info.znaxis.map(() => 0);
  for (let t = 0; t < info.rows; t++) {
    // Tile t's first pixel along each axis (tiles run NAXIS1 fastest).
    let rest = t;
    for (let k = 0; k < tilesPerAxis.length; k++) {
      start[k] = (rest % tilesPerAxis[k]) * info.ztile[k];
      rest = Math.floor(rest / tilesPerAxis[k]);
    }
    const dims = info.znaxis.map((n, k) => Math.min(info.ztile[k], n - start[k]));
    const count = dims.reduce((a, b) => a * b, 1);
    let values: Float64Array;
    try {
      values = decodeTile(bytes, info, t, dims, count);
    } catch (err) {
      throw new FitsError(
        `${name}: HDU ${index}: tile ${t + 1} of ${info.rows} (${info.compression}) cannot be decoded: ${(err as Error).message}`,
        name,
        { cause: err },
      );
    }
    // Copy the tile's pixels to their places in the image, a run along NAXIS1 at a time.
    const runs = count / dims[0];
    const idx = dims.map(() => 0);
    for (let r = 0; r < runs; r++) {
      let at = 0;
      let stride = 1;
      for (let k = 0; k < dims.length; k++) {
        at += (start[k] + (k === 0 ? 0 : idx[k])) * stride;
        stride *= info.znaxis[k];
      }
      for (let i = 0; i < dims[0]; i++) put((at + i) * width, values[r * dims[0] + i]);
      for (let k = 1; k < dims.length; k++) {
        if (++idx[k] < dims[k]) break;
        idx[k] = 0;
      }
    }
  }
  return out;
}

/** A writer of one value at a byte offset, for the image's BITPIX (integers clipped to range). */
function writer(view: DataView, bitpix: number): (at: number, v: number) => void {
  const clip = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);
  switch (bitpix) {
    case 8:
      return (at, v) => view.setUint8(at, clip(v, 0, 255));
    case 16:
      return (at, v) => view.setInt16(at, clip(v, -32768, 32767));
    case 32:
      return (at, v) => view.setInt32(at, clip(v, -2147483648, 2147483647));
    case 64:
      return (at, v) => view.setBigInt64(at, BigInt(Math.round(v)));
    case -32:
      return (at, v) => view.setFloat32(at, v);
    default:
      return (at, v) => view.setFloat64(at, v);
  }
}

/** The bytes of a variable-length array cell of row `row` (0-based) of column `col`. */
function cell(bytes: Bytes, info: TiledImage, col: Column, row: number): Uint8Array {
  const at = row * info.rowBytes + col.offset;
  bytes.need(at, col.descriptor === 'Q' ? 16 : 8, 'a descriptor');
  const n = col.descriptor === 'Q' ? bytes.number(at, 'K') : bytes.number(at, 'J');
  const offset = col.descriptor === 'Q' ? bytes.number(at + 8, 'K') : bytes.number(at + 4, 'J');
  const size = n * (TYPE_BYTES[col.type] ?? 1);
  const from = info.heapStart + offset;
  if (n < 0 || offset < 0) throw new Error(`a negative descriptor (${n}, ${offset})`);
  bytes.need(from, size, 'the compressed bytes');
  return bytes.data.subarray(from, from + size);
}

/** A per-row scalar column's value, or the keyword's, or `fallback`. */
function rowValue(
  bytes: Bytes,
  info: TiledImage,
  name: string,
  row: number,
  keyword: number | undefined,
): number | undefined {
  const col = info.columns.get(name);
  if (col === undefined || col.descriptor !== undefined) return keyword;
  const at = row * info.rowBytes + col.offset;
  bytes.need(at, TYPE_BYTES[col.type] ?? 8, name);
  return bytes.number(at, col.type);
}

/** The pixels of tile `t` (0-based), in storage order (NAXIS1 fastest), as numbers. */
function decodeTile(
  bytes: Bytes,
  info: TiledImage,
  t: number,
  dims: number[],
  count: number,
): Float64Array {
  const compressed = cell(bytes, info, info.columns.get('COMPRESSED_DATA') as Column, t);
  if (compressed.length === 0) return storedRaw(bytes, info, t, count);
  let ints: Float64Array;
  switch (info.compression) {
    case 'RICE_1':
      ints = riceDecode(compressed, count, info.blocksize, riceBytes(info));
      break;
    case 'GZIP_1':
    case 'GZIP_2': {
      const raw = inflateGzip(compressed, count * 8);
      const w = raw.length / count;
      if (![1, 2, 4, 8].includes(w))
        throw new Error(`${raw.length} bytes inflated for ${count} pixels`);
      const plain = info.compression === 'GZIP_2' ? unshuffle(raw, count, w) : raw;
      // Lossless float tiles hold IEEE values; everything else integers of the stored width.
      const floats = info.zbitpix < 0 && info.quantize === 'none';
      ints = fromBigEndian(plain, count, w, floats);
      if (floats) return scaleFloats(ints, info);
      break;
    }
    case 'PLIO_1': {
      const words = new Int16Array(compressed.length / 2);
      const v = new DataView(compressed.buffer, compressed.byteOffset, compressed.byteLength);
      for (let i = 0; i < words.length; i++) words[i] = v.getInt16(2 * i);
      ints = plioDecode(words, count);
      // Unsigned 16-bit images are offset by 32768 before PLIO coding (cfitsio).
      if (info.zbitpix === 16 && info.bzero === 32768)
        for (let i = 0; i < count; i++) ints[i] -= 32768;
      break;
    }
    case 'HCOMPRESS_1': {
      const decoded = hdecompress(compressed, info.smooth);
      if (decoded.nx * decoded.ny !== count || decoded.ny !== dims[0])
        throw new Error(
          `an image of ${decoded.ny} x ${decoded.nx} in a tile of ${dims.join(' x ')}`,
        );
      ints = decoded.values;
      break;
    }
  }
  if (info.zbitpix > 0) return integerTile(bytes, info, t, ints);
  return unquantize(bytes, info, t, ints);
}

/** RICE's bytes per value: BYTEPIX (1, 2 or 4; 8 is coded as 4, as cfitsio does). */
function riceBytes(info: TiledImage): number {
  return Math.min(info.bytepix, 4);
}

/**
 * A tile stored without the compression algorithm: raw in `UNCOMPRESSED_DATA`, or (float tiles
 * that could not be quantised) gzipped IEEE values in `GZIP_COMPRESSED_DATA`.
 */
function storedRaw(bytes: Bytes, info: TiledImage, t: number, count: number): Float64Array {
  const gz = info.columns.get('GZIP_COMPRESSED_DATA');
  if (gz?.descriptor !== undefined) {
    const raw = inflateGzip(cell(bytes, info, gz, t), count * 8);
    if (raw.length !== count * 4 && raw.length !== count * 8)
      throw new Error(`${raw.length} bytes of gzipped floats for ${count} pixels`);
    return scaleFloats(fromBigEndian(raw, count, raw.length / count, true), info);
  }
  const plain = info.columns.get('UNCOMPRESSED_DATA');
  if (plain?.descriptor !== undefined) {
    const raw = cell(bytes, info, plain, t);
    const w = TYPE_BYTES[plain.type] ?? 1;
    if (raw.length !== count * w)
      throw new Error(`${raw.length / w} raw values for ${count} pixels`);
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++)
      out[i] = bytes.number(raw.byteOffset - bytes.data.byteOffset + i * w, plain.type);
    return info.zbitpix < 0 ? scaleFloats(out, info) : out;
  }
  throw new Error('the tile holds no data');
}

/** Big-endian values of width `w` (IEEE floats when `floats`, else integers; 1 byte unsigned). */
function fromBigEndian(raw: Uint8Array, count: number, w: number, floats: boolean): Float64Array {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * w;
    out[i] =
      w === 1
        ? v.getUint8(at)
        : w === 2
          ? v.getInt16(at)
          : w === 4
            ? floats
              ? v.getFloat32(at)
              : v.getInt32(at)
            : floats
              ? v.getFloat64(at)
              : Number(v.getBigInt64(at));
  }
  return out;
}

/** GZIP_2's byte shuffle undone: byte k of value i is at k * count + i. */
function unshuffle(raw: Uint8Array, count: number, w: number): Uint8Array {
  if (w === 1) return raw;
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < count; i++) for (let k = 0; k < w; k++) out[i * w + k] = raw[k * count + i];
  return out;
}

/** Unquantised float tile values with the image's BSCALE/BZERO applied (NaN stays NaN). */
function scaleFloats(values: Float64Array, info: TiledImage): Float64Array {
  if (info.bscale === 1 && info.bzero === 0) return values;
  for (let i = 0; i < values.length; i++) values[i] = values[i] * info.bscale + info.bzero;
  return values;
}

/** An integer tile's values, with a ZBLANK column's per-tile null mapped to the image's BLANK. */
function integerTile(bytes: Bytes, info: TiledImage, t: number, ints: Float64Array): Float64Array {
  const col = info.columns.get('ZBLANK');
  if (col === undefined || col.descriptor !== undefined || info.zblank !== undefined) return ints;
  const tnull = rowValue(bytes, info, 'ZBLANK', t, undefined);
  const blank = integerBlank(info) as number;
  if (tnull !== undefined && tnull !== blank)
    for (let i = 0; i < ints.length; i++) if (ints[i] === tnull) ints[i] = blank;
  return ints;
}

/**
 * Quantised integers back to floats, as the convention (and cfitsio's `unquantize_i4r4`) does:
 * `(q - r + 0.5) * scale + zero` with `r` walking the dither sequence from a place set by the
 * tile number and `ZDITHER0` (`SUBTRACTIVE_DITHER_1/2`), or `q * scale + zero` (`NO_DITHER`);
 * the tile's null value (ZBLANK column or keyword, else cfitsio's -2147483647) is NaN, and
 * under `SUBTRACTIVE_DITHER_2` the zero code is exactly 0. Values are rounded to the image's
 * float type as they are made.
 */
function unquantize(bytes: Bytes, info: TiledImage, t: number, q: Float64Array): Float64Array {
  let scale = rowValue(bytes, info, 'ZSCALE', t, info.zscale) ?? 1;
  let zero = rowValue(bytes, info, 'ZZERO', t, info.zzero) ?? 0;
  // A float image with its own BSCALE/BZERO: both scalings combined (cfitsio).
  if (info.bscale !== 1 || info.bzero !== 0) {
    scale *= info.bscale;
    zero = zero * info.bscale + info.bzero;
  }
  const tnull = rowValue(bytes, info, 'ZBLANK', t, info.zblank) ?? NULL_VALUE;
  const out = new Float64Array(q.length);
  const round = info.zbitpix === -32 ? Math.fround : (x: number): number => x;
  if (info.quantize === 'linear' || info.quantize === 'none') {
    for (let i = 0; i < q.length; i++) out[i] = q[i] === tnull ? NaN : round(q[i] * scale + zero);
    return out;
  }
  const r = ditherSequence();
  const row = t + 1 + info.dither0 - 1;
  let iseed = (((row - 1) % N_RANDOM) + N_RANDOM) % N_RANDOM;
  let next = Math.trunc(r[iseed] * 500);
  for (let i = 0; i < q.length; i++) {
    const v = q[i];
    if (v === tnull) out[i] = NaN;
    else if (info.quantize === 'dither2' && v === ZERO_VALUE) out[i] = 0;
    else out[i] = round((v - r[next] + 0.5) * scale + zero);
    if (++next === N_RANDOM) {
      if (++iseed === N_RANDOM) iseed = 0;
      next = Math.trunc(r[iseed] * 500);
    }
  }
  return out;
}

/** A reader of bits, most significant first. */
class BitReader {
  private pos: number;
  private cur = 0;
  private left = 0;
  constructor(
    private readonly data: Uint8Array,
    start = 0,
  ) {
    this.pos = start;
  }
  private byte(): number {
    if (this.pos >= this.data.length) throw new Error('the compressed bytes end early');
    return this.data[this.pos++];
  }
  bit(): number {
    if (this.left === 0) {
      this.cur = this.byte();
      this.left = 8;
    }
    this.left--;
    return (this.cur >> this.left) & 1;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  /** Drop the rest of the current byte: the next read starts a new one. */
  align(): void {
    this.left = 0;
  }
  /** Bytes consumed (the current partial byte included). */
  get offset(): number {
    return this.pos;
  }
}

/**
 * RICE_1: the first value raw (`bytepix` bytes), then blocks of `blocksize` differences, each
 * block led by its code size `fs + 1` in 3/4/5 bits (1/2/4-byte values): all zero differences
 * (fs < 0), raw differences (fs at its maximum), or each difference as a unary count of
 * leading zeros and `fs` low bits. Differences are zigzag-mapped and summed modulo the value
 * width; values are read back as the stored type (unsigned bytes, signed 16 and 32 bits).
 */
function riceDecode(
  c: Uint8Array,
  count: number,
  blocksize: number,
  bytepix: number,
): Float64Array {
  const fsbits = bytepix === 1 ? 3 : bytepix === 2 ? 4 : 5;
  const fsmax = bytepix === 1 ? 6 : bytepix === 2 ? 14 : 25;
  const bbits = 8 * bytepix;
  const modulus = 2 ** bbits;
  const u32 = 2 ** 32;
  if (c.length < bytepix) throw new Error('the compressed bytes end early');
  let last = 0;
  for (let i = 0; i < bytepix; i++) last = last * 256 + c[i];
  const r = new BitReader(c, bytepix);
  const out = new Float64Array(count);
  for (let i = 0; i < count;) {
    const fs = r.bits(fsbits) - 1;
    const end = Math.min(count, i + blocksize);
    if (fs < 0) {
      for (; i < end; i++) out[i] = last;
      continue;
    }
    for (; i < end; i++) {
      let diff: number;
      if (fs === fsmax) {
        diff = r.bits(bbits);
      } else {
        let zeros = 0;
        while (r.bit() === 0)
          if (++zeros > 64 + bbits) throw new Error('a run of zero bits too long');
        diff = (zeros * 2 ** fs + r.bits(fs)) % u32;
      }
      // Zigzag mapping undone in 32-bit unsigned arithmetic (even → diff/2, odd → ~(diff/2)),
      // then the sum taken modulo the value width, as the original does.
      const d = diff % 2 === 0 ? diff / 2 : u32 - 1 - (diff - 1) / 2;
      last = (last + d) % modulus;
      out[i] = last;
    }
  }
  // The stored type: unsigned bytes, else two's complement.
  if (bytepix !== 1) {
    const half = modulus / 2;
    for (let i = 0; i < count; i++) if (out[i] >= half) out[i] -= modulus;
  }
  return out;
}

/**
 * PLIO_1 (IRAF's pixel lists): a header (old format: 3 words, the third the list's length; new
 * format, the third word negative: its length in the second word, the list's length in the
 * fourth and fifth), then instructions of 16 bits, the top 4 the opcode and the low 12 its
 * data: runs of zeros or of the current value, a zero run ending in one current value, changes
 * of the current value, and single pixels of a changed value. Pixels past the list are zero.
 */
function plioDecode(ll: Int16Array, count: number): Float64Array {
  const out = new Float64Array(count);
  if (ll.length < 3) throw new Error('a PLIO list shorter than its header');
  const old = ll[2] > 0;
  if (!old && ll.length < 5) throw new Error('a PLIO list shorter than its header');
  const first = old ? 3 : ll[1];
  const length = old ? ll[2] : ll[3] + ll[4] * 32768;
  let op = 0; // next output pixel
  let x = 0; // next list pixel
  let pv = 1;
  for (let ip = first; ip < length && ip < ll.length && x < count; ip++) {
    const word = ll[ip];
    const opcode = Math.trunc(word / 4096);
    const data = word & 4095;
    switch (opcode) {
      case 0: // zeros
      case 4: // the current value
      case 5: {
        // zeros, then one pixel of the current value
        const n = Math.min(data, count - x);
        for (let i = 0; i < n; i++) out[op + i] = opcode === 4 ? pv : 0;
        if (opcode === 5 && n === data && n > 0) out[op + n - 1] = pv;
        op += n;
        x += data;
        break;
      }
      case 1:
        if (ip + 1 >= ll.length) throw new Error('a PLIO list ends inside an instruction');
        pv = ll[ip + 1] * 4096 + data;
        ip++;
        break;
      case 2:
        pv += data;
        break;
      case 3:
        pv -= data;
        break;
      case 6:
      case 7:
        pv += opcode === 6 ? data : -data;
        if (x < count) out[op++] = pv;
        x++;
        break;
    }
  }
  return out;
}

/**
 * HCOMPRESS_1: R. White's H-transform coder. The stream holds the tile's size, the scale of
 * its quantisation and the sum of its pixels, then the four quadrants of H-transform
 * coefficients bit plane by bit plane (quadtree-coded with a fixed Huffman code, or packed
 * directly), then the signs. Decoding multiplies by the scale and inverts the transform (with
 * the smoothing of the coefficients towards interpolated values when asked). Integers are kept
 * in double precision, exactly, with the shifts and masks of the original as floor divisions.
 */
function hdecompress(
  c: Uint8Array,
  smooth: number,
): { values: Float64Array; nx: number; ny: number } {
  if (c.length < 25 || c[0] !== 0xdd || c[1] !== 0x99) throw new Error('not an HCOMPRESS stream');
  const v = new DataView(c.buffer, c.byteOffset, c.byteLength);
  const nx = v.getInt32(2);
  const ny = v.getInt32(6);
  const scale = v.getInt32(10);
  const sumall = Number(v.getBigInt64(14));
  const planes = [c[22], c[23], c[24]];
  if (!(nx > 0 && ny > 0) || nx * ny > 1 << 30) throw new Error(`an image of ${nx} x ${ny}`);
  const a = new Float64Array(nx * ny);
  const r = new BitReader(c, 25);
  const nx2 = (nx + 1) >> 1;
  const ny2 = (ny + 1) >> 1;
  qtreeDecode(r, a, 0, ny, nx2, ny2, planes[0]);
  qtreeDecode(r, a, ny2, ny, nx2, ny >> 1, planes[1]);
  qtreeDecode(r, a, ny * nx2, ny, nx >> 1, ny2, planes[1]);
  qtreeDecode(r, a, ny * nx2 + ny2, ny, nx >> 1, ny >> 1, planes[2]);
  if (r.bits(4) !== 0) throw new Error('bad bit plane values');
  r.align();
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && r.bit() === 1) a[i] = -a[i];
  a[0] = sumall;
  if (scale > 1) for (let i = 0; i < a.length; i++) a[i] *= scale;
  hinv(a, nx, ny, smooth, scale);
  return { values: a, nx, ny };
}

/** ceil(log2(n)) as the original computes it (rounded log, then bumped if too small). */
function log2Ceil(n: number): number {
  if (n <= 1) return 0;
  let k = Math.trunc(Math.log(n) / Math.log(2) + 0.5);
  if (n > 2 ** k) k++;
  return k;
}

/** Decode the bit planes of one quadrant (nqx rows of nqy) of `a`, rows `n` apart from `base`. */
function qtreeDecode(
  r: BitReader,
  a: Float64Array,
  base: number,
  n: number,
  nqx: number,
  nqy: number,
  nbitplanes: number,
): void {
  const log2n = log2Ceil(Math.max(nqx, nqy));
  const scratch = new Uint8Array(Math.max(1, ((nqx + 1) >> 1) * ((nqy + 1) >> 1)));
  for (let bit = nbitplanes - 1; bit >= 0; bit--) {
    const b = r.bits(4);
    if (b === 0) {
      // Written directly, 4 pixels a nybble.
      const m = ((nqx + 1) >> 1) * ((nqy + 1) >> 1);
      for (let i = 0; i < m; i++) scratch[i] = r.bits(4);
    } else if (b === 0xf) {
      scratch[0] = huffman(r);
      let nx = 1;
      let ny = 1;
      let nfx = nqx;
      let nfy = nqy;
      let c = 2 ** log2n;
      for (let k = 1; k < log2n; k++) {
        c /= 2;
        nx *= 2;
        ny *= 2;
        if (nfx <= c) nx--;
        else nfx -= c;
        if (nfy <= c) ny--;
        else nfy -= c;
        qtreeExpand(r, scratch, nx, ny);
      }
    } else {
      throw new Error('bad quadtree format code');
    }
    bitInsert(scratch, nqx, nqy, a, base, n, 2 ** bit);
  }
}

/** One quadtree expansion: each 4-bit code becomes its 2x2 bits; non-zero ones read a new code. */
function qtreeExpand(r: BitReader, b: Uint8Array, nx: number, ny: number): void {
  const nx2 = (nx + 1) >> 1;
  const ny2 = (ny + 1) >> 1;
  // Spread the codes of the (nx2, ny2) array onto the even places of (nx, ny), from the end.
  for (let i = nx2 - 1; i >= 0; i--)
    for (let j = ny2 - 1; j >= 0; j--) b[2 * (ny * i + j)] = b[ny2 * i + j];
  for (let i = 0; i < nx; i += 2) {
    for (let j = 0; j < ny; j += 2) {
      const s00 = ny * i + j;
      const v = b[s00];
      b[s00] = (v >> 3) & 1;
      if (j + 1 < ny) b[s00 + 1] = (v >> 2) & 1;
      if (i + 1 < nx) {
        b[s00 + ny] = (v >> 1) & 1;
        if (j + 1 < ny) b[s00 + ny + 1] = v & 1;
      }
    }
  }
  for (let i = nx * ny - 1; i >= 0; i--) if (b[i] !== 0) b[i] = huffman(r);
}

/** Add bit plane `value` of each 2x2 block coded in `codes` to the quadrant of `a`. */
function bitInsert(
  codes: Uint8Array,
  nx: number,
  ny: number,
  a: Float64Array,
  base: number,
  n: number,
  value: number,
): void {
  let k = 0;
  for (let i = 0; i < nx; i += 2) {
    for (let j = 0; j < ny; j += 2) {
      const code = codes[k++];
      const s00 = base + n * i + j;
      if (code & 8) a[s00] += value;
      if (j + 1 < ny && code & 4) a[s00 + 1] += value;
      if (i + 1 < nx) {
        if (code & 2) a[s00 + n] += value;
        if (j + 1 < ny && code & 1) a[s00 + n + 1] += value;
      }
    }
  }
}

/** The fixed Huffman code of the quadtree's 4-bit values. */
function huffman(r: BitReader): number {
  let c = r.bits(3);
  if (c < 4) return 1 << c;
  c = (c << 1) | r.bit();
  const four: Record<number, number> = { 8: 3, 9: 5, 10: 10, 11: 12, 12: 15 };
  if (c < 13) return four[c];
  c = (c << 1) | r.bit();
  const five: Record<number, number> = { 26: 6, 27: 7, 28: 9, 29: 11, 30: 13 };
  if (c < 31) return five[c];
  c = (c << 1) | r.bit();
  return c === 62 ? 0 : 14;
}

/** Bit `unit` (a power of two) of the two's-complement integer `x`: 0 or 1. */
function bitOf(x: number, unit: number): number {
  const q = Math.floor(x / unit);
  return ((q % 2) + 2) % 2;
}

/** `(x + (x >= 0 ? up : down))` rounded down to a multiple of `unit` (the original's `& mask`). */
function roundTo(x: number, up: number, down: number, unit: number): number {
  return Math.floor((x + (x >= 0 ? up : down)) / unit) * unit;
}

/** The inverse H-transform of the (nx, ny) coefficients in `a`, in place. */
function hinv(a: Float64Array, nx: number, ny: number, smooth: number, scale: number): void {
  const nmax = Math.max(nx, ny);
  const log2n = log2Ceil(nmax);
  const tmp = new Float64Array((nmax + 1) >> 1);
  let bit0 = 2 ** (log2n - 1);
  let bit1 = 2 * bit0;
  const bit2 = 4 * bit0;
  const prnd2 = bit2 / 2;
  a[0] = roundTo(a[0], prnd2, prnd2 - 1, bit2);
  let nxtop = 1;
  let nytop = 1;
  let nxf = nx;
  let nyf = ny;
  let c = 2 ** log2n;
  for (let k = log2n - 1; k >= 0; k--) {
    c /= 2;
    nxtop *= 2;
    nytop *= 2;
    if (nxf <= c) nxtop--;
    else nxf -= c;
    if (nyf <= c) nytop--;
    else nyf -= c;
    const prnd0 = Math.floor(bit0 / 2);
    const prnd1 = bit0;
    const nrnd0 = k === 0 ? 0 : prnd0 - 1;
    const nrnd1 = prnd1 - 1;
    const div = k === 0 ? 4 : 2;
    for (let i = 0; i < nxtop; i++) unshuffle1(a, ny * i, nytop, 1, tmp);
    for (let j = 0; j < nytop; j++) unshuffle1(a, j, nxtop, ny, tmp);
    if (smooth) hsmooth(a, nxtop, nytop, ny, scale);
    const oddx = nxtop % 2;
    const oddy = nytop % 2;
    let i = 0;
    for (; i < nxtop - oddx; i += 2) {
      let s00 = ny * i;
      let s10 = s00 + ny;
      for (let j = 0; j < nytop - oddy; j += 2) {
        let h0 = a[s00];
        let hx = roundTo(a[s10], prnd1, nrnd1, bit1);
        let hy = roundTo(a[s00 + 1], prnd1, nrnd1, bit1);
        const hc = roundTo(a[s10 + 1], prnd0, nrnd0, bit0);
        // Bit 0 of hc goes to hx and hy; bits 0 and 1 of hc, hx, hy to h0.
        const lowbit0 = bitOf(hc, bit0) * bit0;
        hx = hx >= 0 ? hx - lowbit0 : hx + lowbit0;
        hy = hy >= 0 ? hy - lowbit0 : hy + lowbit0;
        const lowbit1 = (bitOf(hc, bit1) ^ bitOf(hx, bit1) ^ bitOf(hy, bit1)) * bit1;
        h0 = h0 >= 0 ? h0 + lowbit0 - lowbit1 : h0 + (lowbit0 === 0 ? lowbit1 : lowbit0 - lowbit1);
        a[s10 + 1] = Math.floor((h0 + hx + hy + hc) / div);
        a[s10] = Math.floor((h0 + hx - hy - hc) / div);
        a[s00 + 1] = Math.floor((h0 - hx + hy - hc) / div);
        a[s00] = Math.floor((h0 - hx - hy + hc) / div);
        s00 += 2;
        s10 += 2;
      }
      if (oddy) {
        let h0 = a[s00];
        const hx = roundTo(a[s10], prnd1, nrnd1, bit1);
        const lowbit1 = bitOf(hx, bit1) * bit1;
        h0 = h0 >= 0 ? h0 - lowbit1 : h0 + lowbit1;
        a[s10] = Math.floor((h0 + hx) / div);
        a[s00] = Math.floor((h0 - hx) / div);
      }
    }
    if (oddx) {
      let s00 = ny * i;
      for (let j = 0; j < nytop - oddy; j += 2) {
        let h0 = a[s00];
        const hy = roundTo(a[s00 + 1], prnd1, nrnd1, bit1);
        const lowbit1 = bitOf(hy, bit1) * bit1;
        h0 = h0 >= 0 ? h0 - lowbit1 : h0 + lowbit1;
        a[s00 + 1] = Math.floor((h0 + hy) / div);
        a[s00] = Math.floor((h0 - hy) / div);
        s00 += 2;
      }
      if (oddy) a[s00] = Math.floor(a[s00] / div);
    }
    bit1 = bit0;
    bit0 = Math.floor(bit0 / 2);
  }
}

/** Interleave the halves of `n` elements of `a` at `base`, `stride` apart (H-transform order). */
function unshuffle1(
  a: Float64Array,
  base: number,
  n: number,
  stride: number,
  tmp: Float64Array,
): void {
  const half = (n + 1) >> 1;
  for (let i = half; i < n; i++) tmp[i - half] = a[base + stride * i];
  for (let i = half - 1; i >= 0; i--) a[base + 2 * stride * i] = a[base + stride * i];
  for (let i = 1, t = 0; i < n; i += 2, t++) a[base + stride * i] = tmp[t];
}

/**
 * Smooth the H-transform coefficients towards values interpolated from the neighbouring
 * zones, within the rounding the scale allowed (at most scale/2), keeping monotonicity.
 */
function hsmooth(a: Float64Array, nxtop: number, nytop: number, ny: number, scale: number): void {
  const smax = Math.floor(scale / 2);
  if (smax <= 0) return;
  const ny2 = 2 * ny;
  const clamp = (v: number, lo: number, hi: number): number => Math.max(Math.min(v, hi), lo);
  // Division that rounds toward zero, as the original's shifts do with their correction.
  const divTrunc = (s: number, d: number): number =>
    s >= 0 ? Math.floor(s / d) : Math.floor((s + d - 1) / d);
  for (let i = 2; i < nxtop - 2; i += 2) {
    let s00 = ny * i;
    let s10 = s00 + ny;
    for (let j = 0; j < nytop; j += 2) {
      const hm = a[s00 - ny2];
      const h0 = a[s00];
      const hp = a[s00 + ny2];
      let diff = hp - hm;
      const dmax = Math.max(Math.min(hp - h0, h0 - hm), 0) * 4;
      const dmin = Math.min(Math.max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        diff = clamp(diff, dmin, dmax);
        const s = clamp(divTrunc(diff - a[s10] * 8, 8), -smax, smax);
        a[s10] += s;
      }
      s00 += 2;
      s10 += 2;
    }
  }
  for (let i = 0; i < nxtop; i += 2) {
    let s00 = ny * i + 2;
    for (let j = 2; j < nytop - 2; j += 2) {
      const hm = a[s00 - 2];
      const h0 = a[s00];
      const hp = a[s00 + 2];
      let diff = hp - hm;
      const dmax = Math.max(Math.min(hp - h0, h0 - hm), 0) * 4;
      const dmin = Math.min(Math.max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        diff = clamp(diff, dmin, dmax);
        const s = clamp(divTrunc(diff - a[s00 + 1] * 8, 8), -smax, smax);
        a[s00 + 1] += s;
      }
      s00 += 2;
    }
  }
  for (let i = 2; i < nxtop - 2; i += 2) {
    let s00 = ny * i + 2;
    let s10 = s00 + ny;
    for (let j = 2; j < nytop - 2; j += 2) {
      const hmm = a[s00 - ny2 - 2];
      const hpm = a[s00 + ny2 - 2];
      const hmp = a[s00 - ny2 + 2];
      const hpp = a[s00 + ny2 + 2];
      const h0 = a[s00];
      let diff = hpp + hmm - hmp - hpm;
      const hx2 = a[s10] * 2;
      const hy2 = a[s00 + 1] * 2;
      let m1 = Math.min(Math.max(hpp - h0, 0) - hx2 - hy2, Math.max(h0 - hpm, 0) + hx2 - hy2);
      let m2 = Math.min(Math.max(h0 - hmp, 0) - hx2 + hy2, Math.max(hmm - h0, 0) + hx2 + hy2);
      const dmax = Math.min(m1, m2) * 16;
      m1 = Math.max(Math.min(hpp - h0, 0) - hx2 - hy2, Math.min(h0 - hpm, 0) + hx2 - hy2);
      m2 = Math.max(Math.min(h0 - hmp, 0) - hx2 + hy2, Math.min(hmm - h0, 0) + hx2 + hy2);
      const dmin = Math.max(m1, m2) * 16;
      if (dmin < dmax) {
        diff = clamp(diff, dmin, dmax);
        const s = clamp(divTrunc(diff - a[s10 + 1] * 64, 64), -smax, smax);
        a[s10 + 1] += s;
      }
      s00 += 2;
      s10 += 2;
    }
  }
}
