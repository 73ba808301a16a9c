import type { Image2D } from '../core/image2d.js';
import type { FitsHeader } from '../fits/header.js';
import { imageStatistics, type ImageStatistics } from '../fits/statistics.js';
import type { Wcs } from './parse.js';
import { measureOnSky, type SkySource } from './sky-source.js';

/** What {@link summarizeImage} finds: what `alma-classifier inspect --json` prints of an image. */
export interface ImageSummary {
  /** NaN-aware statistics (shape, NaN count, min, max, mean, sum, argmax). */
  statistics: ImageStatistics;
  /**
   * The brightest pixel on the sky (RA/Dec, sexagesimal), the beam, the pixel scale, the
   * robust rms of the whole image away from that peak, and the peak's S/N; undefined for an
   * image without a finite pixel.
   */
  peak?: SkySource;
}

/** Options of {@link summarizeImage}. */
export interface SummarizeImageOptions {
  /** The file, named in notes. Default `'image'`. */
  source?: string;
  /** The WCS when parsed already (`null`: none). Default: parsed from the header. */
  wcs?: Wcs | null;
  /** The plane of a cube the image is, for its WCS. Default: the first. */
  plane?: readonly number[];
}

/**
 * Summarise an image as `inspect` shows it: {@link imageStatistics}, and
 * {@link measureOnSky} at its brightest pixel with the noise taken over the whole image (away
 * from that peak), so scripts get the same figures as `inspect --json`.
 *
 * @param image - the image, `[rows, cols]`
 * @param header - its header
 * @param opts - see {@link SummarizeImageOptions}
 */
export function summarizeImage(
  image: Image2D,
  header: FitsHeader,
  opts: SummarizeImageOptions = {},
): ImageSummary {
  const statistics = imageStatistics(image);
  const arg = statistics.nanArgMax;
  if (arg === null) return { statistics };
  const peak = measureOnSky(image, header, [arg[0], arg[1]], {
    rmsRadius: Infinity,
    ...(opts.source !== undefined ? { source: opts.source } : {}),
    ...(opts.wcs !== undefined ? { wcs: opts.wcs } : {}),
    ...(opts.plane !== undefined ? { plane: opts.plane } : {}),
  });
  return { statistics, peak };
}
