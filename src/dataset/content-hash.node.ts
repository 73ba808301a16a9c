/**
 * Content hashes of FITS images (Node): what the label store names an image by, so that a
 * label survives renaming, moving and copying the file.
 */
import { createHash } from 'node:crypto';
import { open, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FitsError } from '../core/errors.js';
import { openFits } from '../fits/open.node.js';
import { noImageMessage } from '../fits/read.js';
import type { FitsHdu } from '../fits/read.js';

/** Hashes already computed, by path, size and modification time. */
const hashCache = new Map<string, { hash: string; hdu: number }>();

/** What {@link fitsDataHash} returns. */
export interface FitsDataHash {
  /** 16 hex digits of the SHA-256 of the image HDU's data unit (without its padding). */
  hash: string;
  /** The HDU hashed. */
  hdu: number;
}

/** The data unit of `hdu` of the file at `path`, as stored (inflated when gzip-compressed). */
async function dataUnit(
  path: string,
  hdu: Pick<FitsHdu, 'dataOffset' | 'dataBytes'>,
): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const magic = new Uint8Array(2);
    await handle.read(magic, 0, 2, 0);
    if (magic[0] === 0x1f && magic[1] === 0x8b) {
      const all = gunzipSync(await readFile(path));
      return all.subarray(hdu.dataOffset, hdu.dataOffset + hdu.dataBytes);
    }
    const out = new Uint8Array(hdu.dataBytes);
    let filled = 0;
    while (filled < out.length) {
      const { bytesRead } = await handle.read(
        out,
        filled,
        out.length - filled,
        hdu.dataOffset + filled,
      );
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return out.subarray(0, filled);
  } finally {
    await handle.close();
  }
}

/**
 * The content hash of a FITS file's image: the SHA-256 of its data unit as stored (16 hex
 * digits), so a renamed, moved or copied file, or one whose header was edited, hashes the same,
 * and `.fits` and `.fits.gz` of the same pixels too. The label store names images by it.
 * Results are cached for the process by path, size and modification time.
 *
 * @param path - the FITS file
 * @param hdu - the HDU; default the first image HDU with data, as the readers choose it
 * @throws FitsError naming the file when it cannot be read or has no image
 */
export async function fitsDataHash(path: string, hdu?: number): Promise<FitsDataHash> {
  const st = await stat(path).catch(() => undefined);
  const key = `${resolve(path)}\u0000${hdu ?? ''}\u0000${st?.size}\u0000${st?.mtimeMs}`;
  const known = hashCache.get(key);
  if (known) return known;
  const reader = await openFits(path, hdu === undefined ? {} : { hdu });
  let result: FitsDataHash;
  try {
    if (reader.imageHdu === undefined) throw new FitsError(noImageMessage(path, reader.hdus), path);
    result = await hashOfOpenImage(path, reader.hdus[reader.imageHdu]);
  } finally {
    await reader.close();
  }
  if (st) hashCache.set(key, result);
  return result;
}

/** {@link fitsDataHash} of an HDU whose layout is known already (a reader is open). Used by the builders, which have the file open already. */
export async function hashOfOpenImage(
  path: string,
  hdu: Pick<FitsHdu, 'index' | 'dataOffset' | 'dataBytes'>,
): Promise<FitsDataHash> {
  const bytes = await dataUnit(path, hdu);
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  return { hash, hdu: hdu.index };
}
