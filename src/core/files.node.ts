/**
 * File-system helpers that refuse what would hang or exhaust memory: folders made one
 * component at a time, and files read only when they are regular and no larger than allowed.
 */
import { constants } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Whether something (a file, a folder) is at `path`; false when it cannot be looked at either. */
export async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
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

/** An error with a system error's `code` (so `systemErrorText` can name it). */
function systemError(code: string, message: string, path: string): Error {
  return Object.assign(new Error(`${code}: ${message}, open '${path}'`), { code, path });
}

/**
 * Open `path` for reading only when it is a regular file: opened without blocking (a FIFO
 * would otherwise wait for a writer forever), then checked, so a FIFO, a device such as
 * `/dev/zero` or a folder is refused with an error whose `code` is `ENOTREG` (`EISDIR` for a
 * folder). The caller closes the handle.
 *
 * @param path - the file
 * @returns the open handle and the file's size
 * @throws the system's error (`ENOENT`, `EACCES`, ...) or `ENOTREG`/`EISDIR`
 */
export async function openRegularFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw systemError('EISDIR', 'illegal operation on a directory', path);
    if (!st.isFile()) throw systemError('ENOTREG', 'not a regular file', path);
    return { handle, size: st.size };
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * The whole of a regular file of at most `maxBytes` bytes (see {@link openRegularFile}).
 *
 * @param path - the file
 * @param maxBytes - the largest size accepted
 * @throws the system's error, `ENOTREG`/`EISDIR`, or `EFBIG` when the file is larger
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path);
  try {
    if (size > maxBytes)
      throw systemError('EFBIG', `${size} bytes, more than the ${maxBytes} allowed`, path);
    const out = Buffer.alloc(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(out, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled === size ? out : out.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
