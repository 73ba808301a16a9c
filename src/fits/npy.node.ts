import { writeFileAtomic } from '../core/atomic.node.js';
import { readFile } from 'node:fs/promises';
import type { NdArray } from 'ndarray';
import { NpyError } from '../core/errors.js';
import { readNpy, writeNpy } from './npy.js';
import type { NpyData, WriteNpyOptions } from './npy.js';

/**
 * Read a `.npy` file from disk with {@link readNpy}; error messages name `path`.
 *
 * @param path - the file to read
 * @throws NpyError when the file cannot be read or is not a supported `.npy`
 */
export async function readNpyFile(path: string): Promise<NdArray<NpyData>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new NpyError(`${path}: cannot read (${(err as Error).message})`, path, { cause: err });
  }
  return readNpy(bytes, { name: path });
}

/**
 * Write `array` as a `.npy` file with {@link writeNpy}: the bytes land in `path.part`, which is
 * renamed to `path` once complete, so a reader never sees half a file.
 *
 * @param path - where to write
 * @param array - the array (see {@link writeNpy})
 * @param opts - see {@link WriteNpyOptions}
 */
export async function writeNpyFile(
  path: string,
  array: NdArray,
  opts: WriteNpyOptions = {},
): Promise<void> {
  await writeFileAtomic(path, writeNpy(array, opts));
}
