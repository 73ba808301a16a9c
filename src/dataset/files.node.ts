import { readFile } from 'node:fs/promises';
import { DatasetError } from '../core/errors.js';
import { openFits, readFitsCollapsed, type CollapseMethod } from '../fits/index.node.js';
import { createImage2D, type Image2D } from '../core/image2d.js';
import type { FitsReader, OpenFitsOptions } from '../fits/index.node.js';
import { FitsError } from '../core/errors.js';
import { noImageMessage, placeImage } from '../fits/read.js';
import { buildNegativeSet, buildPositiveSet } from './build.js';
import type { BuildOptions, ImageInput, WindowedSource } from './build.js';
import type { Dataset, SkippedSource } from './dataset.js';
import { preprocessWindows } from './preprocess.js';
import type { ImageWindows, PreprocessOptions, PreprocessResult } from './preprocess.js';
import type { TargetProfile } from './profile.js';
import { skyScaleFromHeader } from './sky-scale.js';
import { startContentHasher, type ContentHasher } from './content-hash.node.js';

// Where users have imported it from since 0.1.0; it lives in fits/ with the other file readers.
export { listFitsFiles } from '../fits/list.node.js';

/**
 * A FITS file handed to the `*FromFiles` builders with what a review said about one object in
 * it: a candidate kept (a positive) or rejected (a hard negative), cropped around its own peak.
 */
export interface FileSource {
  /** The FITS file. */
  path: string;
  /** Crop around this pixel `[row, col]` instead of the brightest one (see {@link SourceImage.center}). */
  center?: [row: number, col: number];
  /** Weight of its samples in the training loss. Default 1. */
  weight?: number;
  /** The review decision that brought it in. */
  reviewed?: 'keep' | 'reject';
}

/** File paths (or {@link FileSource}s), sync or async, e.g. from a directory walk or an archive download stream. */
export type PathInputs = Iterable<string | FileSource> | AsyncIterable<string | FileSource>;

/** Options of {@link readSourceImages}. */
export interface ReadSourceOptions {
  /** HDU to read; default: the first image HDU with data. */
  hdu?: number;
  /**
   * Skip images whose shorter side (after dropping degenerate axes) is below this many pixels,
   * decided from the headers before any pixel is read. The original pipeline kept only images
   * over 500 px (`minSize: 501`); this library pads small images instead, so the default is 0:
   * nothing is skipped. Compressed (`.gz`) files are inflated before the check.
   */
  minSize?: number;
  /** For cubes: the plane to read, as `readFits`'s `plane` (ALMA: `[stokes, channel]`). */
  plane?: number[];
  /** For cubes: read each collapsed along its spectral axis (see `readFitsCollapsed`). */
  collapse?: CollapseMethod;
  /**
   * Hash each file's image data (`fitsDataHash`) so every sample gets a stable
   * {@link SampleInfo.contentId}, the id labels match. Default true.
   */
  contentIds?: boolean;
}

/** An image in memory as {@link ImageWindows}: each window a copy of its pixels. */
function memoryWindows(image: Image2D): ImageWindows {
  const [rows, cols] = image.shape as [number, number];
  return {
    shape: [rows, cols],
    read(window) {
      const [r0, r1] = window.rows;
      const [c0, c1] = window.cols;
      const out = createImage2D(r1 - r0, c1 - c0);
      for (let r = r0; r < r1; r++)
        for (let c = c0; c < c1; c++) out.set(r - r0, c - c0, image.get(r, c));
      return out;
    },
  };
}

/** A FITS file opened for its image, read a window at a time ({@link ImageWindows}). */
interface OpenImage extends ImageWindows {
  readonly hdus: FitsReader['hdus'];
  readonly imageHdu: number;
  readonly header: FitsReader['header'];
  close(): Promise<void>;
}

/**
 * `openFits` for the one image a builder uses: a FitsError (the file closed) when there is no
 * image, or it is a cube and no plane is given.
 */
async function openImage(path: string, opts: OpenFitsOptions): Promise<OpenImage> {
  const reader = await openFits(path, opts);
  const { imageHdu, shape } = reader;
  if (imageHdu === undefined || shape === undefined) {
    await reader.close();
    throw new FitsError(noImageMessage(reader.name, reader.hdus), reader.name);
  }
  try {
    // For a cube without a plane: the FitsError that says which axes a plane needs.
    placeImage(reader.hdus[imageHdu], opts, reader.name);
  } catch (err) {
    await reader.close();
    throw err;
  }
  return {
    hdus: reader.hdus,
    imageHdu,
    header: reader.header,
    shape,
    read: (window) => reader.read({ region: window }),
    close: () => reader.close(),
  };
}

/**
 * Why an opened image is skipped under `minSize`, judged from its header: its shorter side
 * after dropping axes of length 1, for images with two such axes; undefined to keep it.
 */
function tooSmall(reader: OpenImage, minSize: number): string | undefined {
  if (minSize <= 0) return undefined;
  const axes = reader.hdus[reader.imageHdu].axes.filter((n) => n !== 1);
  if (axes.length !== 2 || Math.min(axes[0], axes[1]) >= minSize) return undefined;
  return `image ${axes[1]}x${axes[0]} is smaller than minSize ${minSize} (skipped from its header)`;
}

/** The fields of a {@link FileSource} a builder's source carries. */
function labelledFields(f: FileSource): Pick<WindowedSource, 'center' | 'weight' | 'reviewed'> {
  return {
    ...(f.center ? { center: f.center } : {}),
    ...(f.weight !== undefined ? { weight: f.weight } : {}),
    ...(f.reviewed !== undefined ? { reviewed: f.reviewed } : {}),
  };
}

/**
 * Open FITS files one at a time, reading their headers only, and yield each as a
 * {@link WindowedSource} (closed when the consumer asks for the next) or, for a file that
 * cannot be used (missing, corrupt, no image, under `minSize`), a skipped record with the
 * reason. The next file is opened (its header) and its hash started while the consumer works
 * on the current one: at most two files are open at a time.
 */
async function* openSourceFiles(
  paths: PathInputs,
  opts: ReadSourceOptions,
): AsyncGenerator<WindowedSource | SkippedSource> {
  // Each file's hash is computed on a second thread while the consumer preprocesses the file.
  const hasher = opts.contentIds === false ? undefined : startContentHasher();
  try {
    yield* opts.collapse === undefined
      ? openEach(paths, opts, hasher)
      : collapseEach(paths, opts.collapse, opts);
  } finally {
    await hasher?.close();
  }
}

/** {@link openSourceFiles} for cubes collapsed along their spectral axis: one read whole at a time. */
async function* collapseEach(
  paths: PathInputs,
  method: CollapseMethod,
  opts: ReadSourceOptions,
): AsyncGenerator<WindowedSource | SkippedSource> {
  for await (const item of paths as AsyncIterable<string | FileSource>) {
    const path = typeof item === 'string' ? item : item.path;
    const extra = typeof item === 'string' ? {} : labelledFields(item);
    // A collapsed cube is made whole (one plane at a time), then windowed in memory.
    try {
      const file = await readFitsCollapsed(path, {
        method,
        ...(opts.hdu === undefined ? {} : { hdu: opts.hdu }),
      });
      const image = file.image as Image2D;
      const [rows, cols] = image.shape as [number, number];
      const small =
        (opts.minSize ?? 0) > Math.min(rows, cols)
          ? `image ${rows}x${cols} is smaller than minSize ${opts.minSize}`
          : undefined;
      const sky = skyScaleFromHeader(file.header);
      if (small !== undefined) yield { source: path, reason: small };
      else
        yield {
          windows: memoryWindows(image),
          source: path,
          ...(file.imageHdu !== undefined ? { hdu: file.imageHdu } : {}),
          ...(sky ? { sky } : {}),
          ...extra,
        };
    } catch (err) {
      yield { source: path, reason: (err as Error).message };
    }
  }
}

/** A file {@link openEach} opened ahead: the source to yield, and its reader while open. */
interface Opened {
  item: WindowedSource | SkippedSource;
  reader?: OpenImage;
}

/** The paths as an async iterator, sync or async, as `for await` walks them. */
async function* pathsOf(paths: PathInputs): AsyncGenerator<string | FileSource> {
  yield* paths;
}

/**
 * {@link openSourceFiles}' loop, hashing with `hasher` when given: file N+1 is opened and its
 * hash asked for before file N is yielded, so the hashing thread works on it while the
 * consumer preprocesses file N. Two readers at most are open (the one yielded, the one ahead);
 * both are closed when the consumer stops early.
 */
async function* openEach(
  paths: PathInputs,
  opts: ReadSourceOptions,
  hasher: ContentHasher | undefined,
): AsyncGenerator<WindowedSource | SkippedSource> {
  const source = pathsOf(paths);
  const openOpts: OpenFitsOptions = {
    ...(opts.hdu === undefined ? {} : { hdu: opts.hdu }),
    ...(opts.plane === undefined ? {} : { plane: opts.plane }),
  };
  /** The next path, opened; undefined after the last. Rejects only when the paths throw. */
  const openNext = async (): Promise<Opened | undefined> => {
    const next = await source.next();
    // The consumer stopped while this path was coming: nothing more is opened.
    if (next.done || stopped) return undefined;
    const path = typeof next.value === 'string' ? next.value : next.value.path;
    let reader: OpenImage;
    try {
      reader = await openImage(path, openOpts);
    } catch (err) {
      return { item: { source: path, reason: (err as Error).message } };
    }
    const small = tooSmall(reader, opts.minSize ?? 0);
    if (small !== undefined) {
      await reader.close();
      return { item: { source: path, reason: small } };
    }
    const sky = skyScaleFromHeader(reader.header);
    const hash = hasher?.hash(path, reader.hdus[reader.imageHdu]);
    // Awaited by the consumer after preprocessing, or never (an excluded file, an early stop).
    hash?.catch(() => undefined);
    const extra = typeof next.value === 'string' ? {} : labelledFields(next.value);
    return {
      item: {
        windows: reader,
        source: path,
        hdu: reader.imageHdu,
        ...(sky ? { sky } : {}),
        ...(hash !== undefined ? { hash } : {}),
        ...extra,
      },
      reader,
    };
  };
  let stopped = false;
  let ahead = openNext();
  // Rethrown (the paths' error) only when the consumer asks for that item.
  ahead.catch(() => undefined);
  let current: Opened | undefined;
  try {
    for (;;) {
      current = await ahead;
      if (current === undefined) return;
      ahead = openNext();
      ahead.catch(() => undefined);
      yield current.item;
      const done = current.reader;
      current = undefined;
      await done?.close();
    }
  } finally {
    stopped = true;
    await current?.reader?.close();
    // Stopped early: close the file opened ahead and the paths.
    const left = await ahead.catch(() => undefined);
    await left?.reader?.close();
    await source.return(undefined);
  }
}

/**
 * Read FITS files one at a time and yield each image with its source, or, for a file that
 * cannot be read (missing, corrupt, no image), a skipped record with the reason. Only one
 * image is alive at a time as long as the consumer drops it before asking for the next.
 *
 * This reads every image whole; the `*FromFiles` builders do not need to, and read only the
 * windows that preprocessing uses (see {@link WindowedSource}).
 *
 * @param paths - `.fits` / `.fits.gz` paths
 * @param opts - see {@link ReadSourceOptions}
 */
export async function* readSourceImages(
  paths: PathInputs,
  opts: ReadSourceOptions = {},
): AsyncGenerator<ImageInput> {
  for await (const item of openSourceFiles(paths, opts)) {
    if (!('windows' in item)) {
      yield item;
      continue;
    }
    let next: ImageInput;
    try {
      const { windows, hash, ...rest } = item;
      const image = await windows.read(whole(windows.shape));
      next = { ...rest, image, ...(hash !== undefined ? { hash: await hash } : {}) };
    } catch (err) {
      next = { source: item.source, reason: (err as Error).message };
    }
    yield next;
  }
}

function whole(shape: readonly [number, number]): {
  rows: [number, number];
  cols: [number, number];
} {
  return { rows: [0, shape[0]], cols: [0, shape[1]] };
}

/** Options of {@link preprocessFile}. */
export interface PreprocessFileOptions extends PreprocessOptions {
  /** HDU to read; default: the first image HDU with data. */
  hdu?: number;
  /** For a cube: the plane, as `ReadFitsOptions.plane` (`alma-classifier/fits`) takes it. */
  plane?: number[];
}

/** What {@link preprocessFile} made of a file: {@link PreprocessResult} and where it came from. */
export interface PreprocessFileResult extends PreprocessResult {
  /** The HDU the image was read from. */
  hdu: number;
  /** `[rows, cols]` of the whole image. */
  shape: [rows: number, cols: number];
}

/**
 * {@link preprocess} a FITS file, reading from disk only the windows it needs (the search
 * window, then the crop around the peak; see {@link preprocessWindows}): the same result as
 * `preprocess(requireImage(await readFits(path)), profile)`, byte for byte, for a fraction of
 * the reading and decoding.
 *
 * @param path - the FITS file (`.fits`, or `.fits.gz`, which is inflated whole)
 * @param profile - a resolved profile ({@link resolveProfile})
 * @param opts - see {@link PreprocessFileOptions}; `source` defaults to `path`
 * @throws FitsError naming the file when it cannot be read, has no image, or is a cube without
 *   `plane`; DatasetError as {@link preprocess} throws it
 */
export async function preprocessFile(
  path: string,
  profile: TargetProfile,
  opts: PreprocessFileOptions = {},
): Promise<PreprocessFileResult> {
  const { hdu, plane, ...pre } = opts;
  const reader = await openImage(path, {
    ...(hdu === undefined ? {} : { hdu }),
    ...(plane === undefined ? {} : { plane }),
  });
  try {
    const sky = skyScaleFromHeader(reader.header);
    const result = await preprocessWindows(reader, profile, {
      source: path,
      ...(sky ? { sky } : {}),
      ...pre,
    });
    return { ...result, hdu: reader.imageHdu, shape: [reader.shape[0], reader.shape[1]] };
  } finally {
    await reader.close();
  }
}

/** `opts` whose `onProgress` also gives the number of files when `paths` is an array. */
function withTotal<O extends BuildOptions>(paths: PathInputs, opts: O): O {
  const { onProgress } = opts;
  if (onProgress === undefined || !Array.isArray(paths)) return opts;
  return { ...opts, onProgress: (p) => onProgress({ ...p, total: paths.length }) };
}

/**
 * {@link buildPositiveSet} over FITS files, streamed one at a time: a corrupt or unreadable file
 * is skipped, named in `onWarning` and listed in the result's `skipped`. Each file is read only
 * as far as preprocessing needs (its headers, the search window and the crop around the peak;
 * see {@link preprocessFile}); the dataset is the same as from the whole images.
 *
 * @param paths - FITS file paths (e.g. from `listFitsFiles` in `alma-classifier/fits`)
 * @param profile - a resolved profile
 * @param opts - see {@link BuildOptions} and {@link ReadSourceOptions}
 */
export function buildPositiveSetFromFiles(
  paths: PathInputs,
  profile: TargetProfile,
  opts: BuildOptions & ReadSourceOptions = {},
): Promise<Dataset> {
  return buildPositiveSet(openSourceFiles(paths, opts), profile, withTotal(paths, opts));
}

/**
 * {@link buildNegativeSet} over FITS files, streamed one at a time: only the model inputs stay
 * in memory; a corrupt or unreadable file is skipped, named in `onWarning` and listed in
 * `skipped`. Each file is read only as far as preprocessing needs, as
 * {@link buildPositiveSetFromFiles} does.
 *
 * @param paths - FITS file paths (e.g. from `listFitsFiles` in `alma-classifier/fits`)
 * @param profile - a resolved profile
 * @param opts - see {@link BuildOptions} and {@link ReadSourceOptions}
 */
export function buildNegativeSetFromFiles(
  paths: PathInputs,
  profile: TargetProfile,
  opts: BuildOptions & ReadSourceOptions = {},
): Promise<Dataset> {
  return buildNegativeSet(openSourceFiles(paths, opts), profile, withTotal(paths, opts));
}

/**
 * Read an exclude list: a JSON array of file names / sample ids, an object with an `exclude`
 * array, or the `decisions.json` a review page exports (`{ version: 1, decisions: [{ id, file,
 * decision }] }`), of which the entries decided `'reject'` give their `id` only: a rejected
 * flip drops that flip (and the geometric means made from it), never its whole file. The label
 * store (`labels.jsonl`, `readLabels`) supersedes this.
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
    return (obj.decisions as { id?: unknown; decision?: unknown }[])
      .filter((d) => d?.decision === 'reject')
      .map((d) => d.id)
      .filter((x): x is string => typeof x === 'string');
  }
  throw new DatasetError(
    `${path}: an exclude list must be a JSON array of names, { exclude: [...] } or a review page's decisions.json`,
    path,
  );
}
