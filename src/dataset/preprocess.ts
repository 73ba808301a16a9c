import type { Image2D } from '../core/image2d.js';
import { preprocessImage, preprocessSource } from './preprocess-steps.js';
import type { TargetProfile } from './profile.js';
import type { ImageSkyScale } from './sky-scale.js';

/** Options of {@link preprocess}. */
export interface PreprocessOptions {
  /** File path or name of the image, recorded in errors and used to look up hand-typed angles. */
  source?: string;
  /**
   * Rotation in degrees to apply instead of the profile's alignment rule (`0`: none). By
   * default the rule of `profile.positive.align` decides.
   */
  angle?: number;
  /**
   * Crop around this pixel `[row, col]` instead of the brightest one in the search region (to
   * score each of several sources in one image). Default: the brightest pixel.
   */
  center?: [row: number, col: number];
  /**
   * How the image samples the sky, for a profile whose crop is given in arcsec or beams
   * (`preprocess.sky`); read it from the header with `skyScaleFromHeader`. Ignored otherwise.
   */
  sky?: ImageSkyScale;
}

/** What {@link preprocess} made from one image. */
export interface PreprocessResult {
  /** The model input, `inputSize` x `inputSize`, normalised per the profile, without NaN. */
  input: Image2D;
  /** The `cropSize` crop around the brightest pixel (after alignment), in source units; NaN kept. */
  crop: Image2D;
  /** Brightest pixel of the search region, `[row, col]` in the source image. */
  peak: [number, number];
  /** Degrees the image was rotated by (`rotate` sense); 0 when not aligned. */
  angle: number;
  /** Whether the crop reached past the image edge and was padded. */
  padded: boolean;
  /** The transforms applied, in order, as recorded in {@link SampleInfo.transforms}. */
  transforms: string[];
}

/** A window of an image: rows `[start, end)` and columns `[start, end)` (numpy's `a[r0:r1, c0:c1]`). */
export interface ImageWindow {
  /** First row and one past the last. */
  rows: [start: number, end: number];
  /** First column and one past the last. */
  cols: [start: number, end: number];
}

/**
 * An image that is read a window at a time, so that {@link preprocessWindows} reads only the
 * pixels it uses: the search window, then the crop around the peak. `openFitsImage` (Node)
 * returns one for a FITS file on disk; any object with this shape will do (an image on a
 * server that answers range requests, say).
 */
export interface ImageWindows {
  /** `[rows, cols]` of the whole image. */
  readonly shape: readonly [rows: number, cols: number];
  /**
   * The pixels of `window`, `[rows, cols]` of the window, as a new image each call: the caller
   * may keep it (the crop {@link preprocessWindows} returns can be that image). Called at most
   * twice per image; the images are not mutated.
   */
  read(window: ImageWindow): Image2D | Promise<Image2D>;
}

/**
 * Turn one image into the model's input the way `profile` says: find the brightest pixel in the
 * central `searchFraction`, rotate to the profile's alignment, cut `cropSize` around that pixel
 * (padding past the edge with `padValue`, or refusing with `pad: 'skip'`), make the
 * `inputSize` input by a central crop or a resize, and normalise.
 *
 * Alignment measures the orientation on what the model will see (the central `inputSize`
 * window, or the whole crop with `inputMode: 'resize'`) and rotates only a crop `cropSize·√2`
 * wide around the peak, never the whole image, so its cost does not grow with the image. NaN: ignored when locating the peak; NaN pixels become
 * 0 in `input` (after min-max scaling of the finite pixels) and stay NaN in `crop`.
 *
 * Only two windows of the image are used: the search window and the crop around the peak (with
 * the pixels `'edge'` / `'reflect'` padding copies). {@link preprocessWindows} reads just those
 * from a file and gives the same result.
 *
 * @param image - the source image `[rows, cols]` (not mutated)
 * @param profile - a resolved profile ({@link resolveProfile})
 * @param opts - see {@link PreprocessOptions}
 * @throws DatasetError naming the source when `pad` is `'skip'` and the crop would need padding,
 *   when the search region holds no finite pixel, or when `center` lies outside the image
 */
export function preprocess(
  image: Image2D,
  profile: TargetProfile,
  opts: PreprocessOptions = {},
): PreprocessResult {
  return preprocessImage(image, profile, opts, true) as PreprocessResult;
}

/**
 * {@link preprocess} over an image read a window at a time: the same result, byte for byte, from
 * only the pixels it needs. It asks `source` for the search window, then for the pixels of the
 * crop around the peak unless they lie in the search window (they usually do): for a 1000x1000
 * image and the default profile, the central 500x500 pixels and no more. The builders read FITS
 * files this way.
 *
 * @param source - the image's shape and a window reader ({@link ImageWindows})
 * @param profile - a resolved profile ({@link resolveProfile})
 * @param opts - see {@link PreprocessOptions}
 * @throws DatasetError as {@link preprocess} does; errors of `source.read` propagate
 */
export async function preprocessWindows(
  source: ImageWindows,
  profile: TargetProfile,
  opts: PreprocessOptions = {},
): Promise<PreprocessResult> {
  return (await preprocessSource(source, profile, opts, true)) as PreprocessResult;
}
