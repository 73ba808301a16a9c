import { gunzipSync } from 'fflate';
import { FitsError } from '../core/errors.js';
import { createImage2D } from '../core/image2d.js';
import type { Image2D, PixelArray } from '../core/image2d.js';
import { fitsjsWalk } from './fitsjs-adapter.js';
import type { FitsjsHdu, FitsjsSource } from './fitsjs-adapter.js';
import { FitsHeader } from './header.js';
import { walkHdus, walkHdusFrom } from './layout.js';
import type { FitsHduKind, HduStructure } from './layout.js';

/** One header-data unit of a FITS file. */
export interface FitsHdu {
  /** Position in the file, 0 = primary. */
  index: number;
  /** What the HDU holds; `empty` = no data unit. */
  kind: FitsHduKind;
  /** The parsed header. */
  header: FitsHeader;
  /** BITPIX: 8, 16, 32, 64 (integers) or -32, -64 (IEEE floats). */
  bitpix: number;
  /** NAXIS1..NAXISn in FITS order (NAXIS1 = columns, the fastest-varying axis). */
  axes: number[];
  /** Byte offset of the data unit in the (decompressed) file. */
  dataOffset: number;
  /** Bytes of data the header declares, without padding. */
  dataBytes: number;
}

/** Options of {@link readFits} and `readFitsFile`. */
export interface ReadFitsOptions {
  /** Name used in errors and as {@link FitsFile.name}. Default `'<FITS bytes>'` (`readFitsFile`: the path). */
  name?: string;
  /** Index of the HDU to read as the image. Default: the first HDU that holds an image. */
  hdu?: number;
  /**
   * For a cube: one index per axis beyond the second, outermost first as numpy orders them, so
   * for ALMA's `[stokes, channel, row, col]` data this is `[stokes, channel]`. Default: none,
   * which works when every axis beyond the second has length 1 (they are squeezed away); a real
   * cube without `plane` is an error that lists the axes.
   */
  plane?: number[];
  /** Pixel type of the returned image. Default `'float32'` (as the model consumes). */
  dtype?: 'float32' | 'float64';
  /**
   * Read only this window of the image (of the squeezed image, or of the chosen plane): `image`
   * is then `[r1 - r0, c1 - c0]`, holding exactly the values a full read has there (numpy's
   * `data[r0:r1, c0:c1]`). `readFitsFile` reads only those rows from disk and decodes only the
   * window. Default: the whole image.
   */
  region?: FitsRegion;
}

/**
 * A window of an image: half-open ranges of rows and columns, numpy's `data[r0:r1, c0:c1]`, in
 * the coordinates of the squeezed image (or of the plane of a cube). Row 0 is the first row in
 * the file (FITS y = 1). Each range must lie in the image and hold at least one pixel.
 */
export interface FitsRegion {
  /** Rows `[start, end)`. Default: every row. */
  rows?: readonly [start: number, end: number];
  /** Columns `[start, end)`. Default: every column. */
  cols?: readonly [start: number, end: number];
}

/** The defaults of {@link ReadFitsOptions}. */
export const DEFAULT_READ_FITS_OPTIONS = {
  /** Name used in error messages when none is given. */
  name: '<FITS bytes>',
  /** Pixels as float32. */
  dtype: 'float32',
} as const satisfies ReadFitsOptions;

/** A FITS file read by {@link readFits}. */
export interface FitsFile {
  /** The file's name (a path for files read from disk). */
  name: string;
  /** Every HDU in the file, in order. */
  hdus: FitsHdu[];
  /** Index of the HDU read as {@link FitsFile.image}, when there is one. */
  imageHdu?: number;
  /**
   * The chosen image HDU squeezed to `[rows, cols]` (row 0 = FITS y = 1, as numpy indexes it):
   * physical values `BZERO + BSCALE * stored`, with BLANK pixels (integer data) and NaN pixels
   * (float data) as NaN. Its pixels never share memory with the bytes given to `readFits`
   * (`readFitsFile` may view them in the buffer it read the file into, which nothing else holds).
   */
  image?: Image2D;
  /**
   * The window {@link FitsFile.image} holds when a `region` was asked for, with its defaults
   * filled in; absent for a full read.
   */
  region?: {
    /** Rows `[start, end)` of the image. */
    rows: [start: number, end: number];
    /** Columns `[start, end)` of the image. */
    cols: [start: number, end: number];
  };
  /** Header of the image HDU (the whole image's, also for a region), or of the primary HDU when there is no image. */
  header: FitsHeader;
}

/** @internal Largest ratio deflate can reach, so a gzip stream claiming more is corrupt. */
export const MAX_DEFLATE_RATIO = 1032;

/**
 * Read a FITS file from memory: every HDU's header, and the first image HDU (or `opts.hdu`) as
 * an {@link Image2D}. Gzip-compressed bytes (`.fits.gz`) are recognised and inflated. Works in
 * the browser and in Node.
 *
 * Values equal astropy's: all BITPIX (8, 16, 32, 64, -32, -64), BSCALE/BZERO applied (unsigned
 * 16-bit via BZERO = 32768 included; scaling is done in float64, then rounded once to the
 * output type), BLANK → NaN for integer data, NaN kept for float data. Degenerate axes are
 * squeezed (ALMA's 1000x1000x1x1 becomes `[1000, 1000]`); a cube needs `opts.plane`.
 *
 * @param src - the file's bytes; never modified
 * @param opts - see {@link ReadFitsOptions}
 * @throws FitsError naming the file and the problem: empty, not FITS, header without END,
 *   truncated data, a bad structural keyword, `hdu` not an image, a cube without `plane`
 */
export function readFits(src: Uint8Array | ArrayBuffer, opts: ReadFitsOptions = {}): FitsFile {
  return readFitsBytes(src instanceof Uint8Array ? src : new Uint8Array(src), opts);
}

/**
 * @internal `readFits` with an optional in-place byte swapper for bytes the caller owns and
 * gives up (readFitsFile's freshly read buffer): float32 data that fills most of the file is
 * then swapped where it lies and viewed, not copied, which is what makes a read from disk as
 * fast as astropy's.
 */
export function readFitsBytes(
  src: Uint8Array,
  opts: ReadFitsOptions,
  swap32InPlace?: (bytes: Uint8Array) => void,
): FitsFile {
  const name = opts.name ?? DEFAULT_READ_FITS_OPTIONS.name;
  let bytes = src;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzip(bytes, name);
  const hdus = readStructure(bytes, name);
  const imageHdu = chooseImageHdu(hdus, opts, name);
  const header = hdus[imageHdu ?? 0].header;
  if (imageHdu === undefined) return { name, hdus, header };
  const place = placeImage(hdus[imageHdu], opts, name);
  const region = resolveRegion(opts.region, place, name);
  const float64 = (opts.dtype ?? DEFAULT_READ_FITS_OPTIONS.dtype) === 'float64';
  const rows = region.rows[1] - region.rows[0];
  const cols = region.cols[1] - region.cols[0];
  const count = rows * cols;
  // A whole float32 plane that is most of a buffer the caller gave up: swapped where it lies and
  // viewed, not copied (only then, so a view never pins a much larger file).
  if (
    swap32InPlace &&
    count === place.rows * place.cols &&
    isPlainFloat32(place.hdu, float64) &&
    (bytes.byteOffset + place.offset) % 4 === 0 &&
    count * 8 >= bytes.length
  ) {
    swap32InPlace(bytes.subarray(place.offset, place.offset + count * 4));
    const data = new Float32Array(bytes.buffer, bytes.byteOffset + place.offset, count);
    return { name, hdus, imageHdu, image: createImage2D(rows, cols, data), header };
  }
  const at = place.offset + region.rows[0] * place.cols * place.width;
  const data = decodeRegion(bytes, at, place, region, float64, swap32InPlace);
  const file: FitsFile = { name, hdus, imageHdu, image: createImage2D(rows, cols, data), header };
  if (opts.region !== undefined) file.region = region;
  return file;
}

/**
 * @internal The index of the HDU a read takes its image from: `opts.hdu` (a FitsError when it
 * is not an image), else the first image HDU, or undefined when the file has none.
 */
export function chooseImageHdu(
  hdus: readonly FitsHdu[],
  opts: ReadFitsOptions,
  name: string,
): number | undefined {
  if (opts.hdu === undefined) return hdus.find((h) => h.kind === 'image')?.index;
  const h = hdus[opts.hdu];
  if (!Number.isInteger(opts.hdu) || h === undefined) {
    throw new FitsError(`${name}: no HDU ${opts.hdu} (the file has ${hdus.length})`, name);
  }
  if (h.kind !== 'image') {
    throw new FitsError(`${name}: HDU ${opts.hdu} is ${describeKind(h.kind)}, not an image`, name);
  }
  return opts.hdu;
}

/**
 * The image of a file read by {@link readFits}, or a FitsError saying the file has none.
 *
 * @param file - a file from {@link readFits}
 * @throws FitsError naming the file and listing its HDUs when it holds no image
 */
export function requireImage(file: FitsFile): Image2D {
  if (file.image !== undefined) return file.image;
  throw new FitsError(noImageMessage(file.name, file.hdus), file.name);
}

/** @internal The message of {@link requireImage}'s error, for readers that need an image. */
export function noImageMessage(name: string, hdus: readonly FitsHdu[]): string {
  return `${name}: no image HDU (HDUs: ${hdus.map((h) => `${h.index} ${h.kind}`).join(', ')})`;
}

function describeKind(kind: FitsHduKind): string {
  return kind === 'empty' ? 'empty (no data)' : `a ${kind}`;
}

function gunzip(bytes: Uint8Array, name: string): Uint8Array {
  const n = bytes.length;
  const claimed =
    n >= 18
      ? (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0
      : 0;
  if (n < 18 || claimed > n * MAX_DEFLATE_RATIO) {
    throw new FitsError(`${name}: corrupt gzip stream (truncated or impossible size)`, name);
  }
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new FitsError(`${name}: corrupt gzip stream (${(err as Error).message})`, name, {
      cause: err,
    });
  }
}

/**
 * @internal HDU structure of a file's bytes, or of a file not in memory whose headers
 * `file.bytes` serves: validated by our own header walk (which bounds every read by the file's size,
 * names the problem, and parses the cards exactly, with CONTINUE and `''` escapes that fitsjs
 * lacks), then, for files with table HDUs, walked by fitsjs, whose kinds, BITPIX, axes and data
 * sizes are used when they agree. When fitsjs rejects a header our walk accepts (compression
 * types or random groups it does not know) or places a data unit elsewhere, our walk's answer is
 * used. Files of images only (every ALMA image product) skip fitsjs: there its answer, when
 * used, always equals ours (a test walks the real files both ways), and its parse was most of
 * a read's first milliseconds (before the JIT compiles it: the first 15 reads of B335 took 10 to
 * 14 ms with it, 5 to 9 without).
 */
export function readStructure(file: Uint8Array | FitsjsSource, name: string): FitsHdu[] {
  const ours =
    file instanceof Uint8Array
      ? walkHdus(file, name)
      : walkHdusFrom((offset, length) => file.bytes(offset, offset + length), file.length, name);
  let theirs: FitsjsHdu[] | undefined;
  try {
    const imagesOnly = ours.every((o) => o.kind === 'image' || o.kind === 'empty');
    theirs = imagesOnly ? undefined : fitsjsWalk(file, ours, name);
  } catch {
    theirs = undefined;
  }
  return ours.map((o, i) => {
    const t = theirs?.length === ours.length ? theirs[i] : undefined;
    const s = t !== undefined && agrees(o, t) ? { ...t, kind: kindOf(t) } : o;
    return {
      index: i,
      kind: s.kind,
      header: new FitsHeader(o.cards),
      bitpix: s.bitpix,
      axes: s.axes,
      dataOffset: o.dataOffset,
      dataBytes: s.dataBytes,
    };
  });
}

function agrees(o: HduStructure, t: FitsjsHdu): boolean {
  return (
    o.bitpix === t.bitpix &&
    o.axes.length === t.axes.length &&
    o.axes.every((a, i) => a === t.axes[i]) &&
    o.dataBytes === t.dataBytes &&
    (o.dataBytes === 0 || o.dataOffset === t.dataOffset) &&
    o.kind === kindOf(t)
  );
}

function kindOf(t: FitsjsHdu): FitsHduKind {
  if (t.dataBytes === 0 || t.dataType === null) return 'empty';
  if (t.dataType === 'Image') return 'image';
  if (t.dataType === 'Table') return 'table';
  return 'bintable';
}

/**
 * @internal For the axes of a cube (more than two of them longer than 1): the axes beyond the
 * second, outermost first as numpy orders them, which `plane` indexes; `undefined` for an image
 * that squeezes to `[rows, cols]`.
 */
export function cubePlaneAxes(axes: readonly number[]): number[] | undefined {
  return axes.filter((a) => a !== 1).length > 2 ? axes.slice(2).reverse() : undefined;
}

/** @internal Where the pixels of an image HDU's chosen plane lie, and its squeezed shape. */
export interface ImagePlacement {
  /** The HDU. */
  hdu: FitsHdu;
  /** Rows and columns of the squeezed image (or plane). */
  rows: number;
  cols: number;
  /** Byte offset in the (decompressed) file of the plane's first pixel. */
  offset: number;
  /** Bytes per pixel. */
  width: number;
}

/**
 * @internal The shape and byte offset of the image a read returns from `hdu`: axes of length 1
 * squeezed away, or the plane `opts.plane` of a cube. Throws FitsError for a cube without
 * `plane` or a `plane` that does not fit the axes.
 */
export function placeImage(hdu: FitsHdu, opts: ReadFitsOptions, name: string): ImagePlacement {
  const axes = hdu.axes;
  const where = `${name}: HDU ${hdu.index}`;
  let rows: number;
  let cols: number;
  let first = 0;
  if (opts.plane === undefined) {
    if (cubePlaneAxes(axes) !== undefined) {
      throw new FitsError(
        `${where} is a cube (NAXIS1..${axes.length} = ${axes.join(' x ')}); pass plane: ` +
          `[${axes
            .slice(2)
            .map((_, i) => `i${axes.length - i}`)
            .join(', ')}] ` +
          `with one index per axis beyond the second, outermost (NAXIS${axes.length}) first`,
        name,
      );
    }
    const kept = axes.filter((a) => a !== 1);
    cols = kept[0] ?? 1;
    rows = kept[1] ?? 1;
  } else {
    const plane = opts.plane;
    const higher = axes.slice(2).reverse();
    if (axes.length < 2 || plane.length !== higher.length) {
      throw new FitsError(
        `${where}: plane needs ${Math.max(0, axes.length - 2)} indices (axes ${axes.join(' x ')}, FITS order), got [${plane.join(', ')}]`,
        name,
      );
    }
    cols = axes[0];
    rows = axes[1];
    let stride = cols * rows;
    for (let k = higher.length - 1; k >= 0; k--) {
      const idx = plane[k];
      if (!Number.isInteger(idx) || idx < 0 || idx >= higher[k]) {
        throw new FitsError(
          `${where}: plane index ${idx} out of range for NAXIS${axes.length - k} = ${higher[k]}`,
          name,
        );
      }
      first += idx * stride;
      stride *= higher[k];
    }
  }
  const width = Math.abs(hdu.bitpix) / 8;
  return { hdu, rows, cols, offset: hdu.dataOffset + first * width, width };
}

/**
 * @internal `region` with its defaults filled in, checked against the image: a FitsError naming
 * the file when a range is not two integers `[start, end)` with `0 <= start < end <= size`.
 */
export function resolveRegion(
  region: FitsRegion | undefined,
  place: ImagePlacement,
  name: string,
): { rows: [number, number]; cols: [number, number] } {
  const axis = (range: unknown, size: number, what: 'rows' | 'cols'): [number, number] => {
    if (range === undefined) return [0, size];
    const shape = `${place.rows}x${place.cols}`;
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      !Number.isInteger(range[0]) ||
      !Number.isInteger(range[1])
    ) {
      throw new FitsError(
        `${name}: region ${what} must be [start, end] integers, got ${JSON.stringify(range)}`,
        name,
      );
    }
    const [start, end] = range as [number, number];
    if (start < 0 || end > size || start >= end) {
      throw new FitsError(
        `${name}: region ${what} [${start}, ${end}) is ${start >= end ? 'empty' : 'outside'} the ${shape} image of HDU ${place.hdu.index} (${what} 0..${size})`,
        name,
      );
    }
    return [start, end];
  };
  if (region !== undefined && (region === null || typeof region !== 'object')) {
    throw new FitsError(`${name}: region must be { rows?, cols? }, got ${String(region)}`, name);
  }
  return {
    rows: axis(region?.rows, place.rows, 'rows'),
    cols: axis(region?.cols, place.cols, 'cols'),
  };
}

/** @internal Whether `hdu` holds float32 pixels that are returned as stored (no scaling, float32 out). */
export function isPlainFloat32(hdu: FitsHdu, float64: boolean): boolean {
  return (
    hdu.bitpix === -32 &&
    !float64 &&
    (hdu.header.number('BSCALE') ?? 1) === 1 &&
    (hdu.header.number('BZERO') ?? 0) === 0
  );
}

/**
 * @internal Decode the pixels of `region` (resolved) of the image at `place` from `bytes`, in
 * which the region's first row starts at byte `at` and rows follow each other whole, as in the
 * file. Float32 data returned as stored is copied and, given `swap32InPlace`, byte-swapped by it
 * in one native pass (bit for bit the stored values); everything else goes through one DataView
 * pass per row.
 *
 * Pixels are decoded here rather than by fitsjs's `Image#_getFrame`: a single DataView pass is
 * about 2.5x faster than its copy-swap-scale passes (which kept the read slower than astropy),
 * and fitsjs mishandles BITPIX -64, lacks 64 and BLANK, and overflows scaled integers.
 */
export function decodeRegion(
  bytes: Uint8Array,
  at: number,
  place: ImagePlacement,
  region: { rows: [number, number]; cols: [number, number] },
  float64: boolean,
  swap32InPlace?: (bytes: Uint8Array) => void,
): PixelArray {
  const { hdu, cols: rowPixels, width } = place;
  const rows = region.rows[1] - region.rows[0];
  const [c0, c1] = region.cols;
  const cols = c1 - c0;
  const rowBytes = rowPixels * width;
  const out = float64 ? new Float64Array(rows * cols) : new Float32Array(rows * cols);
  if (swap32InPlace && isPlainFloat32(hdu, float64)) {
    const o8 = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    if (cols === rowPixels) {
      o8.set(bytes.subarray(at, at + rows * rowBytes));
    } else {
      for (let r = 0; r < rows; r++) {
        const from = at + r * rowBytes + c0 * 4;
        o8.set(bytes.subarray(from, from + cols * 4), r * cols * 4);
      }
    }
    swap32InPlace(o8);
    return out;
  }
  const decode = pixelDecoder(hdu);
  if (cols === rowPixels) decode(out, 0, bytes, at, rows * cols);
  else
    for (let r = 0; r < rows; r++)
      decode(out, r * cols, bytes, at + r * rowBytes + c0 * width, cols);
  return out;
}

type PixelDecoder = (
  out: PixelArray,
  outAt: number,
  bytes: Uint8Array,
  offset: number,
  count: number,
) => void;

/**
 * A decoder of `count` stored pixels of `hdu` at byte `offset` into `out` from `outAt`: physical
 * values `BZERO + BSCALE * stored` computed in float64, BLANK (integer data, compared before
 * scaling, as the standard says) as NaN.
 */
function pixelDecoder(hdu: FitsHdu): PixelDecoder {
  const bscale = hdu.header.number('BSCALE') ?? 1;
  const bzero = hdu.header.number('BZERO') ?? 0;
  const scaled = bscale !== 1 || bzero !== 0;
  const view = (bytes: Uint8Array, offset: number, n: number): DataView =>
    new DataView(bytes.buffer, bytes.byteOffset + offset, n);
  switch (hdu.bitpix) {
    case -32:
      return (out, o, bytes, offset, count) => {
        const dv = view(bytes, offset, count * 4);
        if (scaled)
          for (let i = 0; i < count; i++) out[o + i] = bzero + bscale * dv.getFloat32(i * 4);
        else for (let i = 0; i < count; i++) out[o + i] = dv.getFloat32(i * 4);
      };
    case -64:
      return (out, o, bytes, offset, count) => {
        const dv = view(bytes, offset, count * 8);
        if (scaled)
          for (let i = 0; i < count; i++) out[o + i] = bzero + bscale * dv.getFloat64(i * 8);
        else for (let i = 0; i < count; i++) out[o + i] = dv.getFloat64(i * 8);
      };
  }
  const blankValue = hdu.header.get('BLANK');
  const blank = typeof blankValue === 'number' && Number.isInteger(blankValue) ? blankValue : NaN;
  switch (hdu.bitpix) {
    case 8:
      return (out, o, bytes, offset, count) => {
        for (let i = 0; i < count; i++) {
          const v = bytes[offset + i];
          out[o + i] = v === blank ? NaN : bzero + bscale * v;
        }
      };
    case 16:
      return (out, o, bytes, offset, count) => {
        const dv = view(bytes, offset, count * 2);
        for (let i = 0; i < count; i++) {
          const v = dv.getInt16(i * 2);
          out[o + i] = v === blank ? NaN : bzero + bscale * v;
        }
      };
    case 32:
      return (out, o, bytes, offset, count) => {
        const dv = view(bytes, offset, count * 4);
        for (let i = 0; i < count; i++) {
          const v = dv.getInt32(i * 4);
          out[o + i] = v === blank ? NaN : bzero + bscale * v;
        }
      };
    default: {
      const blankBig = Number.isNaN(blank) ? undefined : BigInt(blank);
      return (out, o, bytes, offset, count) => {
        const dv = view(bytes, offset, count * 8);
        for (let i = 0; i < count; i++) {
          const v = dv.getBigInt64(i * 8);
          out[o + i] = v === blankBig ? NaN : bzero + bscale * Number(v);
        }
      };
    }
  }
}
