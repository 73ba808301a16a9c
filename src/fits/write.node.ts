/**
 * `writeFitsFile`: {@link writeFits} to disk, atomically.
 */
import { writeFileAtomic } from '../core/atomic.node.js';
import { FitsError } from '../core/errors.js';
import type { Image2D } from '../core/image2d.js';
import type { FitsCard, FitsHeader } from './header.js';
import { writeFits } from './write.js';
import type { WriteFitsOptions } from './write.js';

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
