/**
 * The file-system side of reading FITS in Node, shared by `readFits(path)` and `openFits`:
 * opening only regular files, reading byte ranges whole, and the errors that name the file.
 */
import { closeSync, constants, fstatSync, openSync, read as readCallback, readSync } from 'node:fs';
import { promisify } from 'node:util';
import { Buffer } from 'node:buffer';
import os from 'node:os';
import { FitsError } from '../core/errors.js';
import { gunzipFits, isGzip } from './gzip.js';

const readAsync = promisify(readCallback);

/**
 * Reads up to this size are made with synchronous calls: for them the thread-pool round trips
 * of asynchronous reads cost more than the read itself (measured on the 4 MB B335 image: 2.3 ms
 * asynchronous, 0.7 ms synchronous), and the event loop is held for about a millisecond per few
 * MB. Larger reads go through the thread pool.
 */
export const SYNC_READ_LIMIT = 32 * 1024 * 1024;

/** @internal The FitsError for a file that cannot be read, saying why in words. */
export function cannotRead(name: string, err: unknown): FitsError {
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
 * @internal Open `path` for reading without blocking (opening a FIFO would wait for a writer
 * forever) and check that it is a regular file: a folder is `EISDIR`, anything else `ENOTREG`.
 */
export function openRegularSync(path: string): { fd: number; size: number } {
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

/**
 * @internal Fill `buffer` from `fd` at `position`, as far as the file goes; the number of bytes
 * read. Synchronous for reads up to {@link SYNC_READ_LIMIT}; larger ones go through the thread
 * pool so as not to hold the event loop. `readFullySync` is the same loop for callers that must
 * not await (a read into a shared buffer that is decoded before anything else runs).
 */
export async function readFully(fd: number, buffer: Uint8Array, position: number): Promise<number> {
  if (buffer.length <= SYNC_READ_LIMIT) return readFullySync(fd, buffer, position);
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

/** @internal {@link readFully} without the thread pool, whatever the size. */
export function readFullySync(fd: number, buffer: Uint8Array, position: number): number {
  let filled = 0;
  while (filled < buffer.length) {
    const n = readSync(fd, buffer, filled, buffer.length - filled, position + filled);
    if (n === 0) break;
    filled += n;
  }
  return filled;
}

/**
 * @internal The whole file, inflated when it is gzip-compressed ({@link gunzipFits}), in one
 * read into an uninitialised buffer (`fs.readFile` reads in 512 KiB chunks into a zeroed
 * buffer, which costs more than decoding the pixels). The buffer is the caller's alone.
 *
 * @throws FitsError naming the file when it cannot be read or its gzip stream is corrupt
 */
export async function readFileBytes(path: string, name: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    const { fd, size } = openRegularSync(path);
    try {
      const buffer = Buffer.allocUnsafe(size);
      const filled = await readFully(fd, buffer, 0);
      // A file that shrank while being read: what was there.
      bytes = filled === size ? buffer : buffer.subarray(0, filled);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw cannotRead(name, err);
  }
  return isGzip(bytes) ? gunzipFits(bytes, name) : bytes;
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * @internal Swap big-endian 32-bit words to the machine's order where they lie (natively), for
 * buffers a reader owns: float32 pixels then need no copy.
 */
export function swapInPlace(bytes: Uint8Array): void {
  if (LITTLE_ENDIAN) Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).swap32();
}
