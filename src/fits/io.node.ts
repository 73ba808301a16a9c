import { writeFileAtomic } from '../core/atomic.node.js';
import { closeSync, constants, fstatSync, openSync, read as readCallback, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Buffer } from 'node:buffer';
import os from 'node:os';
import { FitsError } from '../core/errors.js';
import { createImage2D } from '../core/image2d.js';
import type { Image2D } from '../core/image2d.js';
import type { FitsCard, FitsHeader } from './header.js';
import {
  DEFAULT_READ_FITS_OPTIONS,
  chooseImageHdu,
  cubePlaneAxes,
  decodeRegion,
  isPlainFloat32,
  noImageMessage,
  placeImage,
  readFitsBytes,
  readStructure,
  resolveRegion,
  uncompressedImage,
} from './read.js';
import type { FitsFile, FitsHdu, FitsRegion, ImagePlacement, ReadFitsOptions } from './read.js';
import { writeFits } from './write.js';
import { gunzipFits, isGzip } from './gzip.js';
import type { WriteFitsOptions } from './write.js';

const readAsync = promisify(readCallback);

/**
 * Read a FITS file (`.fits`, or gzip-compressed `.fits.gz`, recognised by its magic bytes) from
 * disk with {@link readFits} (same values, same errors, the same gzip reader: multi-member
 * streams read whole, trailing bytes ignored, never inflated beyond what the compressed size
 * allows, never inflated twice, as astropy reads them).
 *
 * With `opts.region`, only the headers and the rows of the region are read from disk (a `.gz`
 * file is still inflated whole) and only the region is decoded: `image` holds exactly the
 * pixels a full read has there, `header` is the whole image's.
 *
 * @param path - the file; it becomes {@link FitsFile.name} unless `opts.name` is given
 * @param opts - see {@link ReadFitsOptions}
 * @throws FitsError naming the path when the file cannot be read or is not valid FITS, or when
 *   the region does not lie in the image
 */
export async function readFitsFile(path: string, opts: ReadFitsOptions = {}): Promise<FitsFile> {
  const name = opts.name ?? path;
  if (opts.region !== undefined) {
    const file = await openFile(path, name);
    try {
      const imageHdu = chooseImageHdu(file.hdus, opts, name);
      const header = file.hdus[imageHdu ?? 0].header;
      if (imageHdu === undefined) return { name, hdus: file.hdus, header };
      const src = pixelSource(file, file.hdus[imageHdu], name);
      const reader = new FileImageReader(name, src.file, placeImage(src.hdu, opts, name), opts);
      const region = resolveRegion(opts.region, reader.place, name);
      const image = await reader.read(region);
      return { name, hdus: file.hdus, imageHdu, image, header, region };
    } finally {
      file.close();
    }
  }
  // The buffer is ours alone, so big-endian float32 pixels may be swapped in place (natively).
  return readFitsBytes(await readBytes(path, name), { ...opts, name }, swapInPlace);
}

/** The whole file, inflated when it is gzip-compressed ({@link gunzipFits}); FitsErrors name the file. */
async function readBytes(path: string, name: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readWhole(path);
  } catch (err) {
    throw cannotRead(name, err);
  }
  return isGzip(bytes) ? gunzipFits(bytes, name) : bytes;
}

function cannotRead(name: string, err: unknown): FitsError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'is a directory'
        : code === 'ENOTREG'
          ? 'not a regular file (a FIFO, device or socket)'
          : (err as Error).message;
  return new FitsError(`${name}: cannot read (${why})`, name, { cause: err });
}

/**
 * Open `path` for reading without blocking (opening a FIFO would wait for a writer forever)
 * and check that it is a regular file: a folder is `EISDIR`, anything else `ENOTREG`.
 */
function openRegularSync(path: string): { fd: number; size: number } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
    return { fd, size: stats.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

function swapInPlace(bytes: Uint8Array): void {
  if (LITTLE_ENDIAN) Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).swap32();
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** Options of {@link openFitsImage}: those of {@link ReadFitsOptions} but the region, which each read takes. */
export type OpenFitsImageOptions = Omit<ReadFitsOptions, 'region'>;

/**
 * One image of a FITS file on disk, opened by {@link openFitsImage}: its headers are parsed,
 * its pixels are read a window at a time by {@link FitsImageReader.read}. Close it when done.
 */
export interface FitsImageReader {
  /** The file's name (its path unless `opts.name` was given). */
  readonly name: string;
  /** Every HDU in the file, in order. */
  readonly hdus: readonly FitsHdu[];
  /** Index of the HDU the image comes from. */
  readonly imageHdu: number;
  /** Header of that HDU (the whole image's). */
  readonly header: FitsHeader;
  /** `[rows, cols]` of the squeezed image (or of the chosen plane of a cube). */
  readonly shape: readonly [rows: number, cols: number];
  /**
   * The pixels of `region` (default: the whole image), with the values and type
   * {@link readFitsFile} gives there. Only the rows of the region are read from disk; the
   * last rows read are kept, so a second window inside them costs no disk read. Each call
   * returns a new image.
   *
   * @param region - the window, see {@link FitsRegion}
   * @throws FitsError naming the file when the region does not lie in the image, the reader is
   *   closed, or the file cannot be read (it shrank since it was opened)
   */
  read(region?: FitsRegion): Promise<Image2D>;
  /** Close the file. Idempotent; reads after it throw. */
  close(): Promise<void>;
}

/**
 * Open the image of a FITS file for reading it a window at a time: the headers are read and
 * checked at once (only header blocks are read), the pixels on each {@link FitsImageReader.read}.
 * Useful when only part of a large image is wanted: the dataset builders read just the search
 * window and the crop around the peak this way. A `.gz` file is inflated whole when opened.
 *
 * ```ts
 * const reader = await openFitsImage('b335.fits');
 * try {
 *   const [rows, cols] = reader.shape; // [1000, 1000]
 *   const middle = await reader.read({ rows: [rows / 4, (3 * rows) / 4] }); // 500 rows, all columns
 * } finally {
 *   await reader.close();
 * }
 * ```
 *
 * @param path - the file
 * @param opts - see {@link OpenFitsImageOptions}
 * @throws FitsError naming the file when it cannot be read, is not valid FITS, has no image
 *   (or `opts.hdu` is not one), or is a cube without `opts.plane`; the file is then closed
 */
export async function openFitsImage(
  path: string,
  opts: OpenFitsImageOptions = {},
): Promise<FitsImageReader> {
  const name = opts.name ?? path;
  const file = await openFile(path, name);
  try {
    const imageHdu = chooseImageHdu(file.hdus, opts, name);
    if (imageHdu === undefined) throw new FitsError(noImageMessage(name, file.hdus), name);
    const src = pixelSource(file, file.hdus[imageHdu], name);
    return new FileImageReader(name, src.file, placeImage(src.hdu, opts, name), opts);
  } catch (err) {
    file.close();
    throw err;
  }
}

/** Options of {@link openFits}: those of {@link ReadFitsOptions} but the plane and region, which each read takes. */
export type OpenFitsOptions = Omit<ReadFitsOptions, 'plane' | 'region'>;

/** What one {@link FitsReader.read} reads: a plane of a cube, a window. */
export interface FitsPlaneOptions {
  /** For a cube: one index per axis of {@link FitsReader.planeAxes}, outermost first. */
  plane?: readonly number[];
  /** The window, see {@link FitsRegion}. Default: the whole image (or plane). */
  region?: FitsRegion;
}

/**
 * A FITS file on disk opened by {@link openFits}: its headers parsed, the pixels of its image
 * read a plane (or a window of one) at a time. Close it when done.
 */
export interface FitsReader {
  /** The file's name (its path unless `opts.name` was given). */
  readonly name: string;
  /** Every HDU in the file, in order. */
  readonly hdus: readonly FitsHdu[];
  /** Index of the HDU images are read from (the first image HDU, or `opts.hdu`); none without an image. */
  readonly imageHdu: number | undefined;
  /** Header of that HDU, or of the primary HDU when there is no image. */
  readonly header: FitsHeader;
  /**
   * For a cube (more than two axes longer than 1): the lengths of the axes beyond the second,
   * outermost first as numpy orders them (ALMA's `[stokes, channels]`), which a read's `plane`
   * indexes. `undefined` for an image that squeezes to `[rows, cols]`, and when there is no image.
   */
  readonly planeAxes: readonly number[] | undefined;
  /**
   * The pixels of a plane of a cube (or of the squeezed image), in a window (default: all), with
   * the values and type {@link readFitsFile} gives with the same `plane` and `region`. Only the
   * rows needed are read from disk.
   *
   * @param opts - see {@link FitsPlaneOptions}
   * @throws FitsError naming the file when it has no image, the plane or region does not fit the
   *   image (a cube needs a plane), the reader is closed, or the file cannot be read
   */
  read(opts?: FitsPlaneOptions): Promise<Image2D>;
  /** Close the file once the reads in flight end. Idempotent; reads after it throw. */
  close(): Promise<void>;
}

/**
 * Open a FITS file to read the planes of its image one after another, as astropy's `fits.open`
 * does lazily: the headers are read and checked at once (only header blocks are read), the
 * pixels of each plane on {@link FitsReader.read}. Reading every channel of a cube this way
 * holds one plane in memory at a time, however large the cube. A `.gz` file is inflated whole
 * when opened, once.
 *
 * ```ts
 * const cube = await openFits('cube.fits');
 * try {
 *   const [stokes, channels] = cube.planeAxes ?? [1, 1];
 *   for (let c = 0; c < channels; c++) await cube.read({ plane: [0, c] });
 * } finally {
 *   await cube.close();
 * }
 * ```
 *
 * @param path - the file
 * @param opts - see {@link OpenFitsOptions}
 * @throws FitsError naming the file when it cannot be read, is not valid FITS, or `opts.hdu` is
 *   not an image; the file is then closed
 */
export async function openFits(path: string, opts: OpenFitsOptions = {}): Promise<FitsReader> {
  const name = opts.name ?? path;
  const file = await openFile(path, name);
  try {
    return new FileReader(name, file, chooseImageHdu(file.hdus, opts, name), opts);
  } catch (err) {
    file.close();
    throw err;
  }
}

class FileReader implements FitsReader {
  readonly hdus: readonly FitsHdu[];
  readonly header: FitsHeader;
  readonly planeAxes: readonly number[] | undefined;
  private readonly pending = new Set<Promise<Image2D>>();
  private closed = false;

  constructor(
    readonly name: string,
    private readonly file: OpenFile,
    readonly imageHdu: number | undefined,
    private readonly opts: OpenFitsOptions,
  ) {
    this.hdus = file.hdus;
    this.header = file.hdus[imageHdu ?? 0].header;
    this.planeAxes = imageHdu === undefined ? undefined : cubePlaneAxes(file.hdus[imageHdu].axes);
  }

  async read(opts: FitsPlaneOptions = {}): Promise<Image2D> {
    if (this.closed) throw new FitsError(`${this.name}: read after close`, this.name);
    if (this.imageHdu === undefined)
      throw new FitsError(noImageMessage(this.name, this.hdus), this.name);
    const { plane, region } = opts;
    const src = pixelSource(this.file, this.hdus[this.imageHdu], this.name);
    const place = placeImage(src.hdu, plane === undefined ? {} : { plane: [...plane] }, this.name);
    // A reader of this one plane over the open file; it holds nothing once its read is done.
    const reading = new FileImageReader(this.name, src.file, place, this.opts).read(region);
    this.pending.add(reading);
    try {
      return await reading;
    } finally {
      this.pending.delete(reading);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    this.file.close();
  }
}

/** Bytes read ahead from the start of a file for its headers (ALMA headers are 3-6 blocks). */
const HEAD_BYTES = 32 * 1024;
/**
 * The buffer those bytes are read into, shared by every open: they are used only while the
 * headers are parsed, synchronously, and never after `openFile` returns.
 */
const headBuffer = Buffer.allocUnsafe(HEAD_BYTES);
/** Planes up to this size are read whole on the first window: one read serves every window. */
const WHOLE_PLANE_BYTES = 256 * 1024;
/** Largest read kept in the buffer shared by all readers; larger reads get their own. */
const SHARED_BUFFER_LIMIT = 16 * 1024 * 1024;

/**
 * The buffer synchronous window reads go through, shared by every reader so that reading file
 * after file does not allocate (and page in) a fresh buffer each time. `owner` and the row
 * range say what it holds; any reader's read may replace it, which its owner then notices.
 */
const shared = {
  buffer: Buffer.alloc(0),
  owner: undefined as FileImageReader | undefined,
  rows: [0, 0] as [number, number],
};

/** An open FITS file: its HDUs, and its bytes on disk (`fd`) or in memory (inflated gzip). */
interface OpenFile {
  fd: number | undefined;
  memory: Uint8Array | undefined;
  size: number;
  hdus: FitsHdu[];
  close(): void;
  /** Tile-compressed images decompressed so far, by HDU index (see {@link pixelSource}). */
  unpacked?: Map<number, { file: OpenFile; hdu: FitsHdu }>;
}

/**
 * Where the pixels of `hdu` are read from: the file itself, or for a tile-compressed image its
 * pixels decompressed in memory (once per open file: every plane and window reads them), as an
 * in-memory file whose `close` closes the real one.
 */
function pixelSource(file: OpenFile, hdu: FitsHdu, name: string): { file: OpenFile; hdu: FitsHdu } {
  if (hdu.tiled === undefined) return { file, hdu };
  const cached = file.unpacked?.get(hdu.index);
  if (cached !== undefined) return cached;
  const unpacked = uncompressedImage(hdu, () => dataUnit(file, hdu, name), name) as {
    bytes: Uint8Array;
    hdu: FitsHdu;
  };
  const source = {
    file: {
      fd: undefined,
      memory: unpacked.bytes,
      size: unpacked.bytes.length,
      hdus: file.hdus,
      close: () => file.close(),
    },
    hdu: unpacked.hdu,
  };
  (file.unpacked ??= new Map()).set(hdu.index, source);
  return source;
}

/** The data unit of `hdu` (a tile-compressed image's table and heap), from memory or disk. */
function dataUnit(file: OpenFile, hdu: FitsHdu, name: string): Uint8Array {
  const end = hdu.dataOffset + hdu.dataBytes;
  if (file.memory !== undefined) return file.memory.subarray(hdu.dataOffset, end);
  const out = Buffer.allocUnsafe(hdu.dataBytes);
  const got = readFully(file.fd as number, out, hdu.dataOffset);
  if (got !== hdu.dataBytes) {
    throw new FitsError(
      `${name}: file shrank while open: ${hdu.dataBytes} bytes wanted at offset ${hdu.dataOffset}, ${got} read`,
      name,
    );
  }
  return out;
}

/** Open `path`, read its headers (read ahead in one block) and check its layout. */
async function openFile(path: string, name: string): Promise<OpenFile> {
  let fd: number;
  let size: number;
  let head: Buffer;
  try {
    ({ fd, size } = openRegularSync(path));
  } catch (err) {
    throw cannotRead(name, err);
  }
  try {
    head = headBuffer.subarray(0, Math.min(size, HEAD_BYTES));
    head = head.subarray(0, readFully(fd, head, 0));
  } catch (err) {
    closeSync(fd);
    throw cannotRead(name, err);
  }
  let closed = false;
  const close = (): void => {
    if (!closed) closeSync(fd);
    closed = true;
  };
  if (isGzip(head)) {
    close();
    const memory = await readBytes(path, name);
    return { fd: undefined, memory, size: memory.length, hdus: readStructure(memory, name), close };
  }
  try {
    const hdus = readStructure(
      {
        length: size,
        bytes(start, end) {
          if (end <= head.length) return head.subarray(start, end);
          const out = Buffer.allocUnsafe(end - start);
          return out.subarray(0, readFully(fd, out, start));
        },
      },
      name,
    );
    return { fd, memory: undefined, size, hdus, close };
  } catch (err) {
    close();
    throw err instanceof FitsError ? err : cannotRead(name, err);
  }
}

/** Fill `buffer` from `fd` at `position`, as far as the file goes; the bytes read. */
function readFully(fd: number, buffer: Uint8Array, position: number): number {
  let filled = 0;
  while (filled < buffer.length) {
    const n = readSync(fd, buffer, filled, buffer.length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

/** {@link readFully} through the thread pool, for reads too large to hold the event loop. */
async function readFullyAsync(fd: number, buffer: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await readAsync(
      fd,
      buffer,
      filled,
      buffer.length - filled,
      position + filled,
    );
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

class FileImageReader implements FitsImageReader {
  readonly hdus: readonly FitsHdu[];
  readonly imageHdu: number;
  readonly header: FitsHeader;
  readonly shape: readonly [rows: number, cols: number];
  private readonly float64: boolean;
  /** Reads through the thread pool not yet finished: `close` waits for them. */
  private readonly pending = new Set<Promise<number>>();
  /** Rows of the plane this reader last read into a buffer of its own (reads too large to share). */
  private own: { rows: [number, number]; bytes: Uint8Array } | undefined;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly file: OpenFile,
    readonly place: ImagePlacement,
    opts: OpenFitsImageOptions,
  ) {
    this.hdus = file.hdus;
    this.imageHdu = place.hdu.index;
    this.header = place.hdu.header;
    this.shape = [place.rows, place.cols];
    this.float64 = (opts.dtype ?? DEFAULT_READ_FITS_OPTIONS.dtype) === 'float64';
  }

  // Reads that fit the shared buffer are read and decoded without an await between, so no other
  // reader can replace the buffer's bytes in between.
  async read(region?: FitsRegion): Promise<Image2D> {
    if (this.closed) throw new FitsError(`${this.name}: read after close`, this.name);
    const r = resolveRegion(region, this.place, this.name);
    const { place, file } = this;
    const rowBytes = place.cols * place.width;
    const decode = (bytes: Uint8Array, first: number): Image2D =>
      createImage2D(
        r.rows[1] - r.rows[0],
        r.cols[1] - r.cols[0],
        decodeRegion(bytes, (r.rows[0] - first) * rowBytes, place, r, this.float64, swapInPlace),
      );
    if (file.memory !== undefined) return decode(file.memory.subarray(place.offset), 0);
    if (shared.owner === this && shared.rows[0] <= r.rows[0] && r.rows[1] <= shared.rows[1])
      return decode(shared.buffer, shared.rows[0]);
    const count = (r.rows[1] - r.rows[0]) * (r.cols[1] - r.cols[0]);
    if (count === place.rows * place.cols && isPlainFloat32(place.hdu, this.float64))
      return this.readWholeFloat32(count);
    const own = this.own;
    if (own !== undefined && own.rows[0] <= r.rows[0] && r.rows[1] <= own.rows[1])
      return decode(own.bytes, own.rows[0]);
    // The whole plane when it is small (one read serves every later window), else the rows asked.
    const rows: [number, number] =
      place.rows * rowBytes <= WHOLE_PLANE_BYTES ? [0, place.rows] : r.rows;
    const length = (rows[1] - rows[0]) * rowBytes;
    const position = place.offset + rows[0] * rowBytes;
    if (length <= SHARED_BUFFER_LIMIT) {
      if (shared.buffer.length < length) shared.buffer = Buffer.allocUnsafe(length);
      shared.owner = undefined;
      const fd = file.fd as number;
      this.check(readFully(fd, shared.buffer.subarray(0, length), position), length, position);
      shared.owner = this;
      shared.rows = rows;
      return decode(shared.buffer, rows[0]);
    }
    const bytes = Buffer.allocUnsafe(length);
    this.check(await this.fill(bytes, position), length, position);
    this.own = { rows, bytes };
    return decode(bytes, rows[0]);
  }

  /** Fill `bytes` from the file at `position`: synchronously up to SYNC_READ_LIMIT, else not. */
  private async fill(bytes: Uint8Array, position: number): Promise<number> {
    const fd = this.file.fd as number;
    if (bytes.length <= SYNC_READ_LIMIT) return readFully(fd, bytes, position);
    const reading = readFullyAsync(fd, bytes, position);
    this.pending.add(reading);
    try {
      return await reading;
    } finally {
      this.pending.delete(reading);
    }
  }

  /** The whole plane of float32 data: read straight into the image's array and swapped there. */
  private async readWholeFloat32(count: number): Promise<Image2D> {
    const data = new Float32Array(count);
    const bytes = new Uint8Array(data.buffer);
    const position = this.place.offset;
    this.check(await this.fill(bytes, position), bytes.length, position);
    swapInPlace(bytes);
    return createImage2D(this.place.rows, this.place.cols, data);
  }

  private check(got: number, length: number, position: number): void {
    if (got !== length) {
      throw new FitsError(
        `${this.name}: file shrank while open: ${length} bytes wanted at offset ${position}, ${got} read`,
        this.name,
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.own = undefined;
    if (shared.owner === this) shared.owner = undefined;
    // The descriptor stays open until reads in the thread pool are done with it.
    await Promise.allSettled([...this.pending]);
    this.file.close();
  }
}

/**
 * Write `image` as a FITS file with {@link writeFits}. The bytes land in `path.part`, which is
 * renamed to `path` once fully written, so no reader sees half a file.
 *
 * @param path - where to write
 * @param image - the image
 * @param header - cards to carry over (see {@link writeFits})
 * @param opts - see {@link WriteFitsOptions}
 * @throws FitsError when the image cannot be encoded or the file cannot be written
 */
export async function writeFitsFile(
  path: string,
  image: Image2D,
  header?: FitsHeader | FitsCard[],
  opts: WriteFitsOptions = {},
): Promise<void> {
  const bytes = writeFits(image, header, opts);
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    throw new FitsError(`${path}: cannot write (${(err as Error).message})`, path, { cause: err });
  }
}

/**
 * Files up to this size are read with synchronous calls: for them the four thread-pool round
 * trips of an asynchronous open/stat/read/close cost more than the read itself (measured on the
 * 4 MB B335 image: 2.3 ms asynchronous, 0.7 ms synchronous), and the event loop is held for
 * about a millisecond per few MB. Larger files are read asynchronously.
 */
const SYNC_READ_LIMIT = 32 * 1024 * 1024;

/** `buffer`, cut to the bytes actually read (a file that shrank while being read). */
function fillResult(buffer: Buffer, filled: number): Buffer {
  return filled === buffer.length ? buffer : buffer.subarray(0, filled);
}

/**
 * The whole file in one read into an uninitialised buffer: `fs.readFile` reads in 512 KiB
 * chunks into a zeroed buffer, which costs more than decoding the pixels.
 */
async function readWhole(path: string): Promise<Buffer> {
  const { fd, size } = openRegularSync(path);
  let closed = false;
  try {
    const buffer = Buffer.allocUnsafe(size);
    let filled = 0;
    if (size <= SYNC_READ_LIMIT) {
      while (filled < size) {
        const n = readSync(fd, buffer, filled, size - filled, filled);
        if (n === 0) break;
        filled += n;
      }
      return fillResult(buffer, filled);
    }
    closeSync(fd);
    closed = true;
    const handle = await open(path, 'r');
    try {
      while (filled < size) {
        const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } finally {
      await handle.close();
    }
    return fillResult(buffer, filled);
  } finally {
    if (!closed) closeSync(fd);
  }
}
