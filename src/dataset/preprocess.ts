import type { Image2D } from '../core/image2d.js';
import { DatasetError } from '../core/errors.js';
import {
  cropAround,
  cropAroundMax,
  cropCenter,
  normalize,
  principalAngle,
  resize,
  rotate,
} from '../image/index.js';
// The image module's window cutter, shared rather than copied, for crops around a given pixel.
import { baseName } from './internal.js';
import type { TargetProfile } from './profile.js';

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

function handAngle(profile: TargetProfile, source: string | undefined): number {
  const align = profile.positive.align;
  if (typeof align !== 'object' || source === undefined) return 0;
  return align.angles[source] ?? align.angles[baseName(source)] ?? 0;
}

/** Replace NaN with 0 (a copy): resampling would spread NaN. */
function withoutNaN(img: Image2D): Image2D {
  return normalize(img, { method: 'none', nan: 0 });
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
  const pp = profile.preprocess;
  const name = opts.source ?? 'image';
  const [rows, cols] = image.shape;
  const alignAuto = opts.angle === undefined && profile.positive.align === 'principal-axis';
  const fixedAngle = opts.angle ?? handAngle(profile, opts.source);
  const rotating = alignAuto || fixedAngle !== 0;
  // Room for any rotation: the crop's diagonal, with the parity of cropSize so the centre stays put.
  let work = rotating ? Math.ceil(pp.cropSize * Math.SQRT2) + 2 : pp.cropSize;
  if ((work - pp.cropSize) % 2 !== 0) work += 1;
  const padMode = pp.pad === 'skip' ? 'constant' : pp.pad;
  let cut: { image: Image2D; center: [number, number] };
  try {
    if (opts.center) {
      cut = cropAround(image, opts.center, { size: work, pad: padMode, padValue: pp.padValue });
    } else {
      cut = cropAroundMax(image, {
        size: work,
        searchFraction: pp.searchFraction,
        pad: padMode,
        padValue: pp.padValue,
      });
    }
  } catch (err) {
    throw new DatasetError(`${name}: cannot crop: ${(err as Error).message}`, opts.source, {
      cause: err,
    });
  }
  const peak: [number, number] = [cut.center[0], cut.center[1]];
  const half = Math.floor(pp.cropSize / 2);
  const padded =
    peak[0] - half < 0 ||
    peak[1] - half < 0 ||
    peak[0] - half + pp.cropSize > rows ||
    peak[1] - half + pp.cropSize > cols;
  if (padded && pp.pad === 'skip') {
    throw new DatasetError(
      `${name}: image ${rows}x${cols} is too small for a ${pp.cropSize} px crop around its peak at [${peak[0]}, ${peak[1]}] (pad: 'skip')`,
      opts.source,
    );
  }
  const transforms: string[] = [];
  let angle = 0;
  let crop = cut.image;
  if (rotating) {
    // Orientation is measured on what the model will see (a view: the central input window, or
    // the whole crop when it is resized), not on the wider rotation margin.
    const seen = pp.inputMode === 'resize' ? pp.cropSize : pp.inputSize;
    const m = Math.floor(work / 2) - Math.floor(seen / 2);
    const inner = crop.hi(m + seen, m + seen).lo(m, m);
    angle = alignAuto ? -principalAngle(inner) : fixedAngle;
    transforms.push(`rotate:${angle.toFixed(2)}`);
    crop = rotate(crop, angle, {
      order: profile.positive.rotationOrder,
      reshape: false,
      cval: pp.padValue,
    });
    crop = cropCenter(crop, { size: pp.cropSize });
  }
  transforms.push(`crop:${pp.cropSize}@${peak[0]},${peak[1]}${padded ? ':padded' : ''}`);
  let input: Image2D;
  if (pp.inputMode === 'resize') {
    input = resize(withoutNaN(crop), [pp.inputSize, pp.inputSize], { order: 1, antiAlias: true });
    transforms.push(`resize:${pp.inputSize}`);
  } else {
    input = cropCenter(crop, { size: pp.inputSize });
    transforms.push(`center-crop:${pp.inputSize}`);
  }
  input = normalize(input, { method: pp.normalize, nan: 0 });
  transforms.push(`normalize:${pp.normalize}`);
  return { input, crop, peak, angle, padded, transforms };
}
