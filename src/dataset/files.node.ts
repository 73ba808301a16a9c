import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '../core/errors.js';
import { requireImage, scanFitsLayout } from '../fits/index.js';
import { readFitsFile } from '../fits/index.node.js';
import { buildNegativeSet, buildPositiveSet } from './build.js';
import type { BuildOptions, ImageInput } from './build.js';
import type { Dataset } from './dataset.js';
import type { TargetProfile } from './profile.js';

/** File paths, sync or async, e.g. from a directory walk or an archive download stream. */
export type PathInputs = Iterable<string> | AsyncIterable<string>;

/** Options of {@link readSourceImages}. */
export interface ReadSourceOptions {
  /** HDU to read; default: the first image HDU with data. */
  hdu?: number;
  /**
   * Skip images whose shorter side (after dropping degenerate axes) is below this many pixels,
   * decided from the headers before any pixel is read. The original pipeline kept only images
   * over 500 px (`minSize: 501`); this library pads small images instead, so the default is 0:
   * nothing is skipped. Compressed (`.gz`) files are read whole before the check.
   */
  minSize?: number;
}

/**
 * The squeezed `[rows, cols]` of the image HDU a read would use, from the headers alone, or
 * undefined when that cannot be told without reading the file whole (gzip, damaged layout).
 */
async function imageShapeFromHeaders(
  path: string,
  hdu: number | undefined,
): Promise<[number, number] | undefined> {
  if (/\.gz$/i.test(path)) return undefined;
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const layout = await scanFitsLayout(
      async (offset, length) => {
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await fh.read(buf, 0, length, offset);
        return buf.subarray(0, bytesRead);
      },
      size,
      path,
    );
    const chosen =
      hdu !== undefined
        ? layout.hdus[hdu]
        : layout.hdus.find((h) => h.kind === 'image' && h.dataBytes > 0);
    if (chosen === undefined || chosen.kind !== 'image') return undefined;
    const axes = chosen.axes.filter((n) => n !== 1);
    return axes.length === 2 ? [axes[1], axes[0]] : undefined;
  } finally {
    await fh.close();
  }
}

/**
 * Read FITS files one at a time and yield each image with its source, or, for a file that
 * cannot be read (missing, corrupt, no image), a skipped record with the reason. Only one
 * image is alive at a time as long as the consumer drops it before asking for the next.
 *
 * @param paths - `.fits` / `.fits.gz` paths
 * @param opts - see {@link ReadSourceOptions}
 */
export async function* readSourceImages(
  paths: PathInputs,
  opts: ReadSourceOptions = {},
): AsyncGenerator<ImageInput> {
  const minSize = opts.minSize ?? 0;
  for await (const path of paths as AsyncIterable<string>) {
    let item: ImageInput;
    try {
      if (minSize > 0) {
        const shape = await imageShapeFromHeaders(path, opts.hdu).catch(() => undefined);
        if (shape !== undefined && Math.min(...shape) < minSize) {
          yield {
            source: path,
            reason: `image ${shape[0]}x${shape[1]} is smaller than minSize ${minSize} (skipped from its header)`,
          };
          continue;
        }
      }
      const file = await readFitsFile(path, opts.hdu === undefined ? {} : { hdu: opts.hdu });
      item = { image: requireImage(file), source: path };
      if (file.imageHdu !== undefined) item.hdu = file.imageHdu;
    } catch (err) {
      item = { source: path, reason: (err as Error).message };
    }
    yield item;
  }
}

/**
 * The `.fits` and `.fits.gz` files directly inside `dir`, sorted by name (so builds are
 * reproducible whatever order the file system lists them in).
 *
 * @param dir - the directory
 * @throws DatasetError naming `dir` when it cannot be listed
 */
export async function listFitsFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new DatasetError(`${dir}: cannot list FITS files (${(err as Error).message})`, dir, {
      cause: err,
    });
  }
  return names
    .filter((n) => /\.fits?(\.gz)?$/i.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * {@link buildPositiveSet} over FITS files, streamed one at a time: a corrupt or unreadable file
 * is skipped, named in `onWarning` and listed in the result's `skipped`.
 *
 * @param paths - FITS file paths (e.g. from {@link listFitsFiles})
 * @param profile - a resolved profile
 * @param opts - see {@link BuildOptions} and {@link ReadSourceOptions}
 */
export function buildPositiveSetFromFiles(
  paths: PathInputs,
  profile: TargetProfile,
  opts: BuildOptions & ReadSourceOptions = {},
): Promise<Dataset> {
  return buildPositiveSet(readSourceImages(paths, opts), profile, opts);
}

/**
 * {@link buildNegativeSet} over FITS files, streamed one at a time: only the model inputs stay
 * in memory; a corrupt or unreadable file is skipped, named in `onWarning` and listed in
 * `skipped`.
 *
 * @param paths - FITS file paths (e.g. from {@link listFitsFiles})
 * @param profile - a resolved profile
 * @param opts - see {@link BuildOptions} and {@link ReadSourceOptions}
 */
export function buildNegativeSetFromFiles(
  paths: PathInputs,
  profile: TargetProfile,
  opts: BuildOptions & ReadSourceOptions = {},
): Promise<Dataset> {
  return buildNegativeSet(readSourceImages(paths, opts), profile, opts);
}

/**
 * Read an exclude list: a JSON array of file names / sample ids, an object with an `exclude`
 * array, or the `decisions.json` a review page exports (`{ version: 1, decisions: [{ id, file,
 * decision }] }`), of which the entries decided `'reject'` give their `id`, and their `file`
 * too when it names a FITS file (a rejected candidate image is dropped whole).
 *
 * @param path - the JSON file
 * @throws DatasetError naming `path` when it cannot be read or has none of those shapes
 */
export async function readExcludeList(path: string): Promise<string[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new DatasetError(
      `${path}: cannot read the exclude list (${(err as Error).message})`,
      path,
      { cause: err },
    );
  }
  const strings = (v: unknown): v is string[] =>
    Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (strings(parsed)) return parsed;
  const obj = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    exclude?: unknown;
    decisions?: unknown;
  };
  if (strings(obj.exclude)) return obj.exclude;
  if (Array.isArray(obj.decisions)) {
    return (obj.decisions as { id?: unknown; file?: unknown; decision?: unknown }[])
      .filter((d) => d?.decision === 'reject')
      .flatMap((d) => [
        d.id,
        typeof d.file === 'string' && /\.fits?(\.gz)?$/i.test(d.file) ? d.file : undefined,
      ])
      .filter((x): x is string => typeof x === 'string');
  }
  throw new DatasetError(
    `${path}: an exclude list must be a JSON array of names, { exclude: [...] } or a review page's decisions.json`,
    path,
  );
}
