/**
 * `readFits` for Node: the browser-safe reader of bytes, which here also takes a path.
 */
import { readFits as readFitsBytesOnly, readFitsBytes } from './read.js';
import type { FitsFile, ReadFitsOptions } from './read.js';
import { readFileBytes, swapInPlace } from './file.node.js';
import { readFileRegion } from './open.node.js';

/**
 * Read a FITS file, from disk or from memory: every HDU's header, and the first image HDU (or
 * `opts.hdu`) as an {@link Image2D}, as astropy's `fits.getdata` does. This is the Node form of
 * the browser-safe `readFits(bytes)`: the same values and errors, and it also takes a path.
 *
 * From a path, the file is read with one read (`.fits`, or `.fits.gz`, recognised by its magic
 * bytes and inflated by the same gzip reader: multi-member streams read whole, trailing bytes
 * ignored, never inflated beyond what the compressed size allows, never inflated twice, as
 * astropy reads them), and the answer is a promise. With `opts.region`, only the headers and
 * the rows of the region are read from disk (a `.gz` file is still inflated whole) and only the
 * region is decoded: `image` holds exactly the pixels a full read has there, `header` is the
 * whole image's. To read several sections of one file, {@link openFits} it.
 *
 * ```ts
 * const file = await readFits('b335_2017_band6_0.fits'); // or .fits.gz
 * requireImage(file).get(493, 491); // 0.0047647846 Jy/beam, astropy's data[493, 491]
 * const middle = await readFits('b335_2017_band6_0.fits', { region: { rows: [250, 750] } });
 * const fromMemory = readFits(bytes); // no promise for bytes
 * ```
 *
 * @param src - a path (its name becomes {@link FitsFile.name} unless `opts.name` is given), or
 *   the file's bytes (never modified)
 * @param opts - see {@link ReadFitsOptions}
 * @throws FitsError naming the file when it cannot be read or is not valid FITS, or when the
 *   HDU, plane or region does not fit (for a path: the promise rejects)
 */
export function readFits(src: string, opts?: ReadFitsOptions): Promise<FitsFile>;
export function readFits(src: Uint8Array | ArrayBuffer, opts?: ReadFitsOptions): FitsFile;
export function readFits(
  src: string | Uint8Array | ArrayBuffer,
  opts?: ReadFitsOptions,
): FitsFile | Promise<FitsFile>;
export function readFits(
  src: string | Uint8Array | ArrayBuffer,
  opts: ReadFitsOptions = {},
): FitsFile | Promise<FitsFile> {
  return typeof src === 'string' ? readPath(src, opts) : readFitsBytesOnly(src, opts);
}

/**
 * `readFits(path, opts)`, by its older name: the same function, kept for code written against
 * 0.1.0.
 *
 * @param path - the file
 * @param opts - see {@link ReadFitsOptions}
 * @throws FitsError as {@link readFits} throws it
 */
export function readFitsFile(path: string, opts: ReadFitsOptions = {}): Promise<FitsFile> {
  return readPath(path, opts);
}

async function readPath(path: string, opts: ReadFitsOptions): Promise<FitsFile> {
  const name = opts.name ?? path;
  if (opts.region !== undefined)
    return readFileRegion(path, { ...opts, name, region: opts.region });
  // The buffer is ours alone, so big-endian float32 pixels may be swapped in place (natively).
  return readFitsBytes(await readFileBytes(path, name), { ...opts, name }, swapInPlace);
}
