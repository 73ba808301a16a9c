import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

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

/**
 * Create the folder `path` and any missing parents, like `mkdir -p`, visiting each missing
 * component once: Node's own `mkdir(path, { recursive: true })` never returns on a file system
 * that answers `ENOENT` to creating a folder whose parent exists (under `/proc`, for one).
 * Resolves when `path` is a folder (or a symbolic link to one).
 *
 * @param path - the folder
 * @throws the system's error (`ENOTDIR` when a file is in the way, `EACCES`, `ELOOP`, `ENOENT`
 *   when a folder cannot be created where its parent exists, ...) with its `code` and `path`
 */
export async function makeDirectory(path: string): Promise<void> {
  const missing: string[] = [];
  for (let p = resolve(path); ;) {
    let isDir: boolean;
    try {
      isDir = (await stat(p)).isDirectory();
    } catch (err) {
      const parent = dirname(p);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === p) throw err;
      missing.push(p);
      p = parent;
      continue;
    }
    if (!isDir) {
      throw Object.assign(new Error(`ENOTDIR: not a directory, mkdir '${path}'`), {
        code: 'ENOTDIR',
        syscall: 'mkdir',
        path: p,
      });
    }
    break;
  }
  for (const p of missing.reverse()) {
    try {
      await mkdir(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(p)).isDirectory())
        throw err;
    }
  }
}
