import { open, rename, rm } from 'node:fs/promises';

/** Options of {@link writeFileAtomic}. */
export interface WriteFileAtomicOptions {
  /** fsync the file before renaming it, so it survives a power loss too. Default false. */
  sync?: boolean;
}

/**
 * Write `data` to `path` whole or not at all: the bytes land in `path.part` (flushed to disk
 * when `sync` is set) and the file is renamed into place; on any error the `.part` file is removed and the error
 * rethrown. A reader (or a run resumed after a kill) never sees half a file under the final name.
 *
 * @param path - the final file path
 * @param data - the contents
 * @param opts - see {@link WriteFileAtomicOptions}
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: WriteFileAtomicOptions = {},
): Promise<void> {
  const part = `${path}.part`;
  try {
    const fh = await open(part, 'w');
    try {
      await fh.writeFile(data);
      if (opts.sync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(part, path);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
}
