/**
 * The one gzip reader of the FITS module, used by `readFits` (bytes) and by every Node reader
 * of `.fits.gz` files, so they all give the same answer, and the answer astropy gives.
 */
import { Gunzip } from 'fflate';
import { FitsError } from '../core/errors.js';

/** @internal Largest ratio deflate can reach, so a gzip stream claiming more is corrupt. */
export const MAX_DEFLATE_RATIO = 1032;

/** Compressed bytes handed to the inflater at a time: at most ~66 MB come out of one step. */
const STEP = 64 * 1024;

/** fflate's error code for bytes that are not a gzip header. */
const INVALID_GZIP_HEADER = 6;

/** @internal Whether `bytes` start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * @internal Inflate a gzip stream (every member of a multi-member stream, concatenated; bytes
 * after the last complete member ignored; a stream that ends early is an error), stopping as
 * soon as the output would pass `maxBytes`. Throws a plain `Error` saying what is wrong; callers
 * name the file.
 */
export function inflateGzip(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let started = false;
  const tooLarge = new Error(`it inflates to more than ${maxBytes} bytes`);
  const inflater = new Gunzip((chunk) => {
    started = true;
    if (chunk.length === 0) return;
    total += chunk.length;
    if (total > maxBytes) throw tooLarge;
    chunks.push(chunk);
  });
  try {
    for (let at = 0; at < bytes.length; at += STEP) {
      const end = Math.min(bytes.length, at + STEP);
      inflater.push(bytes.subarray(at, end), end === bytes.length);
    }
  } catch (err) {
    if (err === tooLarge) throw err;
    // A header error once a member has been inflated: bytes after the last member (padding,
    // junk), which astropy never reads.
    const code = (err as { code?: unknown }).code;
    if (!(started && code === INVALID_GZIP_HEADER)) throw err;
  }
  if (bytes.length > 0 && !started) throw new Error('no gzip member');
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * @internal Inflate the gzip stream of a `.fits.gz` file, as astropy (Python's `gzip` module)
 * reads it (see {@link inflateGzip}). Like astropy, which reads only the bytes the FITS headers
 * ask for, the CRC and length in a member's trailer are not checked.
 *
 * One size guard: the output may not exceed {@link MAX_DEFLATE_RATIO} times the input (no
 * deflate stream expands more), checked while inflating, so a bomb stops after at most one
 * step's output. The result is inflated once only: a gzip stream inside the gzip stream (a
 * doubly compressed file) is not FITS, and is refused as astropy refuses it.
 *
 * @param bytes - the file's bytes, starting with the gzip magic number
 * @param name - the file's name, for errors
 * @throws FitsError naming the file: a corrupt or truncated stream, output beyond the guard, a
 *   doubly compressed file
 */
export function gunzipFits(bytes: Uint8Array, name: string): Uint8Array {
  let out: Uint8Array;
  try {
    out = inflateGzip(bytes, bytes.length * MAX_DEFLATE_RATIO);
  } catch (err) {
    const why = (err as Error).message;
    const detail = why.startsWith('it inflates to more')
      ? `it inflates to more than ${MAX_DEFLATE_RATIO} times its ${bytes.length} bytes, which deflate cannot produce`
      : why;
    throw new FitsError(`${name}: corrupt gzip stream (${detail})`, name, { cause: err });
  }
  if (isGzip(out)) {
    throw new FitsError(
      `${name}: not a FITS file: the gzip stream holds another gzip stream (compressed twice?)`,
      name,
    );
  }
  return out;
}
