/**
 * `openFits`: a FITS file on disk opened lazily, as astropy's `fits.open` opens it: the headers
 * at once, the pixels of a section (a plane of a cube, a window of it) when asked for.
 */
import { closeSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { FitsError } from '../core/errors.js';
import { createImage2D } from '../core/image2d.js';
import type { Image2D } from '../core/image2d.js';
import type { FitsHeader } from './header.js';
import {
  DEFAULT_READ_FITS_OPTIONS,
  chooseImageHdu,
  cubePlaneAxes,
  decodeRegion,
  isPlainFloat32,
  noImageMessage,
  placeImage,
  readStructure,
  resolveRegion,
  uncompressedImage,
} from './read.js';
import type { FitsFile, FitsHdu, FitsRegion, ImagePlacement, ReadFitsOptions } from './read.js';
import { isGzip } from './gzip.js';
import {
  cannotRead,
  openRegularSync,
  readFileBytes,
  readFully,
  readFullySync,
  swapInPlace,
} from './file.node.js';

/**
 * Options of {@link openFits}: those of {@link ReadFitsOptions} but the region, which each
 * {@link FitsReader.read} takes. `plane` is the plane a read without one takes.
 */
export type OpenFitsOptions = Omit<ReadFitsOptions, 'region'>;

/** What one {@link FitsReader.read} reads, as astropy's `section[...]` slices it: a plane of a cube, a window. */
export interface FitsSection {
  /**
   * For a cube: one index per axis of {@link FitsReader.planeAxes}, outermost first (ALMA:
   * `[stokes, channel]`). Default: the `plane` given to {@link openFits}, else none (which
   * reads an image that squeezes to `[rows, cols]`).
   */
  plane?: readonly number[];
  /** The window, see {@link FitsRegion}. Default: the whole image (or plane). */
  region?: FitsRegion;
}

/**
 * A FITS file on disk opened by {@link openFits}: its headers parsed, the pixels of its image
 * read a section (a plane, or a window of one) at a time. Close it when done.
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
   * outermost first as numpy orders them (ALMA's `[stokes, channels]`), which a section's `plane`
   * indexes. `undefined` for an image that squeezes to `[rows, cols]`, and when there is no image.
   */
  readonly planeAxes: readonly number[] | undefined;
  /**
   * `[rows, cols]` of what a read of the whole image returns: the squeezed image, or for a cube
   * each plane (`opts.plane`'s when one was given). `undefined` when there is no image.
   */
  readonly shape: readonly [rows: number, cols: number] | undefined;
  /**
   * The pixels of a section, with the values and type {@link readFits} gives with the same
   * `plane` and `region`. Only the rows needed are read from disk; the rows read last are kept,
   * so a second window inside them (of the same plane) costs no disk read. Each call returns a
   * new image.
   *
   * @param section - see {@link FitsSection}; default: the whole image (or `opts.plane`)
   * @throws FitsError naming the file when it has no image, the plane or region does not fit the
   *   image (a cube needs a plane), the reader is closed, or the file cannot be read (it shrank
   *   since it was opened)
   */
  read(section?: FitsSection): Promise<Image2D>;
  /** Close the file once the reads in flight end. Idempotent; reads after it throw. */
  close(): Promise<void>;
}

/**
 * Open a FITS file (`.fits`, or `.fits.gz`, recognised by its magic bytes) to read sections of
 * its image, as astropy's `fits.open` does lazily: the headers are read and checked at once
 * (only header blocks are read), the pixels of each section on {@link FitsReader.read}. Reading
 * every channel of a cube this way holds one plane in memory at a time, however large the cube;
 * reading a window of a large image reads only its rows (the dataset builders read just the
 * search window and the crop around the peak this way). A `.gz` file is inflated whole when
 * opened, once.
 *
 * ```ts
 * const cube = await openFits('cube.fits');
 * try {
 *   const [stokes, channels] = cube.planeAxes ?? [1, 1];
 *   for (let c = 0; c < channels; c++) await cube.read({ plane: [0, c] });
 * } finally {
 *   await cube.close();
 * }
 *
 * const image = await openFits('b335.fits');
 * try {
 *   const [rows] = image.shape ?? [0, 0]; // [1000, 1000]
 *   const middle = await image.read({ region: { rows: [rows / 4, (3 * rows) / 4] } }); // 500 rows
 * } finally {
 *   await image.close();
 * }
 * ```
 *
 * @param path - the file; it becomes {@link FitsReader.name} unless `opts.name` is given
 * @param opts - see {@link OpenFitsOptions}
 * @throws FitsError naming the file when it cannot be read, is not valid FITS, `opts.hdu` is
 *   not an image, or `opts.plane` does not fit the image; the file is then closed
 */
export async function openFits(path: string, opts: OpenFitsOptions = {}): Promise<FitsReader> {
  const name = opts.name ?? path;
  const file = await openFile(path, name);
  try {
    return new Reader(name, file, chooseImageHdu(file.hdus, opts, name), opts);
  } catch (err) {
    file.close();
    throw err;
  }
}

/**
 * @internal `readFits(path, opts)` with a region: only the headers and the rows of the region
 * are read from disk.
 */
export async function readFileRegion(
  path: string,
  opts: ReadFitsOptions & { region: FitsRegion },
): Promise<FitsFile> {
  const name = opts.name ?? path;
  const file = await openFile(path, name);
  try {
    const imageHdu = chooseImageHdu(file.hdus, opts, name);
    const header = file.hdus[imageHdu ?? 0].header;
    if (imageHdu === undefined) return { name, hdus: file.hdus, header };
    const section = planeReader(file, imageHdu, opts.plane, opts, name);
    const resolved = resolveRegion(opts.region, section.place, name);
    const image = await section.read(resolved);
    return { name, hdus: file.hdus, imageHdu, image, header, region: resolved };
  } finally {
    file.close();
  }
}

class Reader implements FitsReader {
  readonly hdus: readonly FitsHdu[];
  readonly header: FitsHeader;
  readonly planeAxes: readonly number[] | undefined;
  readonly shape: readonly [rows: number, cols: number] | undefined;
  /** The plane read last, with the rows it keeps; a read of another plane replaces it. */
  private section: { key: string; reader: PlaneReader } | undefined;
  private readonly pending = new Set<Promise<Image2D>>();
  private closed = false;

  constructor(
    readonly name: string,
    private readonly file: OpenFile,
    readonly imageHdu: number | undefined,
    private readonly opts: OpenFitsOptions,
  ) {
    const hdus = file.hdus;
    this.hdus = hdus;
    this.header = hdus[imageHdu ?? 0].header;
    this.planeAxes = imageHdu === undefined ? undefined : cubePlaneAxes(hdus[imageHdu].axes);
    if (imageHdu === undefined) {
      this.shape = undefined;
    } else if (opts.plane !== undefined || this.planeAxes === undefined) {
      // Checks `opts.plane` against the axes now, so a bad plane fails the open.
      const place = placeImage(file.hdus[imageHdu], opts, name);
      this.shape = [place.rows, place.cols];
    } else {
      const axes = hdus[imageHdu].axes;
      this.shape = [axes[1], axes[0]];
    }
  }

  async read(section: FitsSection = {}): Promise<Image2D> {
    if (this.closed) throw new FitsError(`${this.name}: read after close`, this.name);
    const file = this.file;
    if (this.imageHdu === undefined)
      throw new FitsError(noImageMessage(this.name, this.hdus), this.name);
    const plane = section.plane ?? this.opts.plane;
    const key = plane === undefined ? '' : plane.join(',');
    if (this.section?.key !== key) {
      this.section?.reader.release();
      this.section = {
        key,
        reader: planeReader(file, this.imageHdu, plane, this.opts, this.name),
      };
    }
    const reader = this.section.reader;
    const reading = reader.read(resolveRegion(section.region, reader.place, this.name));
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
    this.section?.reader.release();
    this.section = undefined;
    // The descriptor stays open until reads in the thread pool are done with it.
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
  owner: undefined as PlaneReader | undefined,
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

/** A reader of one plane (or the squeezed image) of image HDU `imageHdu` of `file`. */
function planeReader(
  file: OpenFile,
  imageHdu: number,
  plane: readonly number[] | undefined,
  opts: OpenFitsOptions,
  name: string,
): PlaneReader {
  const src = pixelSource(file, file.hdus[imageHdu], name);
  const place = placeImage(src.hdu, plane === undefined ? {} : { plane: [...plane] }, name);
  const float64 = (opts.dtype ?? DEFAULT_READ_FITS_OPTIONS.dtype) === 'float64';
  return new PlaneReader(name, src.file, place, float64);
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
  checkRead(
    name,
    readFullySync(file.fd as number, out, hdu.dataOffset),
    out.length,
    hdu.dataOffset,
  );
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
    head = head.subarray(0, readFullySync(fd, head, 0));
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
    const memory = await readFileBytes(path, name);
    return { fd: undefined, memory, size: memory.length, hdus: readStructure(memory, name), close };
  }
  try {
    const hdus = readStructure(
      {
        length: size,
        bytes(start, end) {
          if (end <= head.length) return head.subarray(start, end);
          const out = Buffer.allocUnsafe(end - start);
          return out.subarray(0, readFullySync(fd, out, start));
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

/** A FitsError when fewer bytes were read than wanted: the file shrank since it was opened. */
function checkRead(name: string, got: number, length: number, position: number): void {
  if (got !== length) {
    throw new FitsError(
      `${name}: file shrank while open: ${length} bytes wanted at offset ${position}, ${got} read`,
      name,
    );
  }
}

/** Reads windows of one plane (or the squeezed image) of an open file. */
class PlaneReader {
  /** Rows of the plane this reader last read into a buffer of its own (reads too large to share). */
  private own: { rows: [number, number]; bytes: Uint8Array } | undefined;

  constructor(
    readonly name: string,
    private readonly file: OpenFile,
    readonly place: ImagePlacement,
    private readonly float64: boolean,
  ) {}

  // Reads that fit the shared buffer are read and decoded without an await between, so no other
  // reader can replace the buffer's bytes in between.
  async read(r: { rows: [number, number]; cols: [number, number] }): Promise<Image2D> {
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
    const fd = file.fd as number;
    if (length <= SHARED_BUFFER_LIMIT) {
      if (shared.buffer.length < length) shared.buffer = Buffer.allocUnsafe(length);
      shared.owner = undefined;
      const got = readFullySync(fd, shared.buffer.subarray(0, length), position);
      checkRead(this.name, got, length, position);
      shared.owner = this;
      shared.rows = rows;
      return decode(shared.buffer, rows[0]);
    }
    const bytes = Buffer.allocUnsafe(length);
    checkRead(this.name, await readFully(fd, bytes, position), length, position);
    this.own = { rows, bytes };
    return decode(bytes, rows[0]);
  }

  /** The whole plane of float32 data: read straight into the image's array and swapped there. */
  private async readWholeFloat32(count: number): Promise<Image2D> {
    const data = new Float32Array(count);
    const bytes = new Uint8Array(data.buffer);
    const position = this.place.offset;
    checkRead(
      this.name,
      await readFully(this.file.fd as number, bytes, position),
      bytes.length,
      position,
    );
    swapInPlace(bytes);
    return createImage2D(this.place.rows, this.place.cols, data);
  }

  /** Drop the rows this reader keeps (the reader is replaced or closed). */
  release(): void {
    this.own = undefined;
    if (shared.owner === this) shared.owner = undefined;
  }
}
