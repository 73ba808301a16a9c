/**
 * `listFitsFiles`: the FITS files a user means by the paths given on a command line.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FitsError } from '../core/errors.js';

/** Options of {@link listFitsFiles}. */
export interface ListFitsFilesOptions {
  /**
   * Called for a folder with no FITS file directly inside, with a message that says so (and how
   * many sub-folders it has, which are not searched), so that a run over the wrong folder is not
   * a silent empty one. Throw from it to make that an error. Default: none; the folder adds no
   * files.
   */
  onEmptyFolder?: (folder: string, message: string) => void;
}

/** Names of FITS files: `.fits`, `.fit`, either gzip-compressed (`.fits.gz`), in any case. */
const FITS_NAME = /\.fits?(\.gz)?$/i;

/**
 * The FITS files that `paths` name: each folder replaced by the `.fits`, `.fit` and `.fits.gz`
 * files directly inside it, sorted by name (so that runs are reproducible whatever order the
 * file system lists them in; sub-folders are not searched), and every other path kept as given
 * — a file of any name, or a path that does not exist, which its reader then reports by name.
 * The order of `paths` is kept.
 *
 * ```ts
 * await listFitsFiles('test/fixtures/fits'); // ['test/fixtures/fits/b335_2017_band6_0.fits', ...]
 * await listFitsFiles(['a.fits', 'folder'], {
 *   onEmptyFolder: (folder, message) => console.warn(`${folder}: ${message}`),
 * });
 * ```
 *
 * @param paths - a folder or file, or several
 * @param opts - see {@link ListFitsFilesOptions}
 * @throws FitsError naming the folder when a folder cannot be listed (no permission)
 */
export async function listFitsFiles(
  paths: string | readonly string[],
  opts: ListFitsFilesOptions = {},
): Promise<string[]> {
  const out: string[] = [];
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    const st = await stat(path).catch(() => undefined);
    if (!st?.isDirectory()) {
      out.push(path);
      continue;
    }
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (err) {
      throw new FitsError(`${path}: cannot list FITS files (${(err as Error).message})`, path, {
        cause: err,
      });
    }
    const files = entries
      .map((e) => e.name)
      .filter((n) => FITS_NAME.test(n))
      .sort();
    if (files.length === 0 && opts.onEmptyFolder !== undefined) {
      const folders = entries.filter((e) => e.isDirectory()).length;
      opts.onEmptyFolder(
        path,
        'no FITS files (.fits, .fit, .fits.gz) directly in this folder' +
          (folders > 0
            ? `; its ${folders} sub-folder${folders === 1 ? ' is' : 's are'} not searched: pass ${folders === 1 ? 'it' : 'them'} (e.g. ${join(path, '*')})`
            : ''),
      );
    }
    for (const n of files) out.push(join(path, n));
  }
  return out;
}
