/**
 * `classify` for Node: FITS files and folders of them, read one at a time so memory holds one
 * image plus the model inputs, whatever the number of files.
 */
import type { Progress } from '../core/progress.js';
import type { Image2D } from '../core/image2d.js';
import { AlmaClassifierError } from '../core/errors.js';
import { requireImage, type FitsFile } from '../fits/index.js';
import { skyScaleFromHeader } from '../dataset/sky-scale.js';
import {
  listFitsFiles,
  readFits,
  readFitsCollapsed,
  type CollapseMethod,
} from '../fits/index.node.js';
import type { LoadedModel } from '../model/io.js';
import { hashOfOpenImage } from '../dataset/content-hash.node.js';
import {
  classifyImages,
  profileForModel,
  type Candidate,
  type ClassifyOptions,
  type NamedImage,
} from './classify.js';

/** Options of {@link classify}: {@link ClassifyOptions} plus file handling. */
export interface ClassifyFilesOptions extends ClassifyOptions {
  /** For cubes: the plane to score, as `readFits`'s `plane` (ALMA: `[stokes, channel]`). */
  plane?: number[];
  /** For cubes: score the cube collapsed along its spectral axis (see `readFitsCollapsed`). */
  collapse?: CollapseMethod;
  /**
   * Called with the reason and the file for a file that cannot be read or prepared (it is
   * skipped) and for a folder with no FITS files. Default: ignore.
   */
  onWarning?: (message: string, source?: string) => void;
  /** Called after each file: files done, files in all, and the file. */
  onProgress?: (progress: Progress) => void;
}

/** A file's image as {@link classifyImages} takes it, with its HDU and sky scale. */
async function named1(name: string, image: Image2D, fits: FitsFile): Promise<NamedImage> {
  const sky = skyScaleFromHeader(fits.header);
  const hdu = fits.imageHdu === undefined ? undefined : fits.hdus[fits.imageHdu];
  const hash = hdu === undefined ? undefined : (await hashOfOpenImage(name, hdu)).hash;
  return {
    name,
    image,
    ...(hash !== undefined ? { hash } : {}),
    ...(fits.imageHdu !== undefined ? { hdu: fits.imageHdu } : {}),
    ...(sky ? { sky } : {}),
    header: fits.header,
  };
}

/**
 * Classify FITS files (paths or folders) and in-memory images with a loaded model. Files are
 * read one at a time; each object in each image is scored (see {@link ClassifyOptions}). A file
 * that cannot be read is skipped and reported through `onWarning`, never fatal.
 *
 * @param loaded - a model from `loadModel`
 * @param inputs - FITS paths, folders (the FITS files directly inside), or {@link NamedImage}s / bare images (named `image-N`)
 * @param opts - see {@link ClassifyFilesOptions}
 * @returns the candidates of all images, highest score first
 */
export async function classify(
  loaded: LoadedModel,
  inputs: ReadonlyArray<string | NamedImage | Image2D>,
  opts: ClassifyFilesOptions = {},
): Promise<Candidate[]> {
  const profile = profileForModel(loaded, opts.profile);
  const options: ClassifyOptions = { ...opts, profile };
  const paths = await listFitsFiles(
    inputs.filter((x): x is string => typeof x === 'string'),
    opts.onWarning === undefined
      ? {}
      : { onEmptyFolder: (folder, message) => opts.onWarning?.(message, folder) },
  );
  const named: NamedImage[] = inputs
    .filter((x): x is NamedImage | Image2D => typeof x !== 'string')
    .map((x, i) => ('image' in x && 'name' in x ? x : { name: `image-${i}`, image: x as Image2D }));
  const candidates: Candidate[] = [];
  if (named.length > 0) {
    candidates.push(...(await classifyImages(loaded, named, options)));
  }
  for (let i = 0; i < paths.length; i++) {
    const file = paths[i];
    try {
      const fits =
        opts.collapse !== undefined
          ? await readFitsCollapsed(file, { method: opts.collapse })
          : await readFits(file, opts.plane !== undefined ? { plane: opts.plane } : {});
      const image = requireImage(fits);
      candidates.push(
        ...(await classifyImages(loaded, [await named1(file, image, fits)], options)),
      );
    } catch (err) {
      if (!(err instanceof AlmaClassifierError) && !(err instanceof RangeError)) throw err;
      opts.onWarning?.(err.message, file);
    }
    opts.onProgress?.({ done: i + 1, total: paths.length, file });
  }
  candidates.sort(
    (a, b) => b.score - a.score || a.file.localeCompare(b.file) || a.sourceIndex - b.sourceIndex,
  );
  return candidates;
}
