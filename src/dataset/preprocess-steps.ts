// The preprocessing behind `preprocess` and `preprocessWindows`, and the builders' entry to it;
// not part of the public API.
import type { Image2D } from '../core/image2d.js';
import { DatasetError } from '../core/errors.js';
import { cropCenter, normalize, principalAngle, resize } from '../image/index.js';
import { rotateWindow } from '../image/rotate.js';
import type { WindowPad } from '../image/index.js';
// The image module's own search window, peak finder and window cutter, shared rather than
// copied, so a crop cut from a window read from disk equals cropAroundMax's on the whole image.
import { allNaNMessage, searchWindow } from '../image/crop-around-max.js';
import {
  assertImage,
  assertInteger,
  assertNumber,
  assertOneOf,
  cutWindow,
  nanArgmax,
  windowSourceRange,
} from '../image/internal.js';
import { baseName } from './internal.js';
import type {
  ImageWindow,
  ImageWindows,
  PreprocessOptions,
  PreprocessResult,
} from './preprocess.js';
import type { TargetProfile } from './profile.js';
import { nativeProfile, skyResampleFactor } from './sky-scale.js';

/** A {@link PreprocessResult} whose crop was made only when asked for. */
export type PreprocessOutput = Omit<PreprocessResult, 'crop'> & { crop?: Image2D };

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
 * `preprocess` of an image in memory; with `withCrop` false, the `cropSize` crop is left out
 * when the input does not need it (no rotation, `center-crop` input), which saves cutting it.
 */
export function preprocessImage(
  image: Image2D,
  profile: TargetProfile,
  opts: PreprocessOptions,
  withCrop: boolean,
): PreprocessOutput {
  const native = onTheSky(profile, opts);
  if (native !== undefined) {
    return resampled(preprocessImage(image, native.profile, opts, withCrop), profile, native);
  }
  guard(opts, () => assertImage(image, opts.center ? 'cropAround' : 'cropAroundMax'));
  const steps = preprocessSteps(image.shape as [number, number], profile, opts, false, withCrop);
  let step = steps.next();
  while (!step.done) {
    const { rows, cols } = step.value;
    step = steps.next(image.hi(rows[1], cols[1]).lo(rows[0], cols[0]));
  }
  return step.value;
}

/** `preprocessWindows`, with `withCrop` as {@link preprocessImage} takes it. */
export async function preprocessSource(
  source: ImageWindows,
  profile: TargetProfile,
  opts: PreprocessOptions,
  withCrop: boolean,
): Promise<PreprocessOutput> {
  const native = onTheSky(profile, opts);
  if (native !== undefined) {
    const out = await preprocessSource(source, native.profile, opts, withCrop);
    return resampled(out, profile, native);
  }
  const [rows, cols] = source.shape;
  guard(opts, () => {
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows > 0 && cols > 0)) {
      const fn = opts.center ? 'cropAround' : 'cropAroundMax';
      throw new RangeError(`${fn}: image is empty (shape [${rows}, ${cols}])`);
    }
  });
  const steps = preprocessSteps([rows, cols], profile, opts, true, withCrop);
  let step = steps.next();
  while (!step.done) {
    const window = step.value;
    const pixels = await source.read({ rows: window.rows, cols: window.cols });
    const want = [window.rows[1] - window.rows[0], window.cols[1] - window.cols[0]];
    if (pixels.shape[0] !== want[0] || pixels.shape[1] !== want[1]) {
      throw new DatasetError(
        `${opts.source ?? 'image'}: window read returned [${pixels.shape.join(', ')}], expected [${want.join(', ')}]`,
        opts.source,
      );
    }
    step = steps.next(pixels);
  }
  return step.value;
}

/** For a profile whose crop is on the sky: the same profile in this image's pixels. */
function onTheSky(
  profile: TargetProfile,
  opts: PreprocessOptions,
): { profile: TargetProfile; resample: boolean; factor: number } | undefined {
  const sky = profile.preprocess.sky;
  if (sky === null || sky === undefined) return undefined;
  const factor = skyResampleFactor(sky, profile.preprocess.inputSize, opts.sky, opts.source);
  return { ...nativeProfile(profile, factor), factor };
}

/**
 * The output of preprocessing in source pixels brought to the profile's sizes: the input (and
 * the crop, when made) resampled by `1 / factor` (bilinear, anti-aliased when shrinking), then
 * normalised as the profile says.
 */
function resampled(
  out: PreprocessOutput,
  profile: TargetProfile,
  native: { resample: boolean; factor: number },
): PreprocessOutput {
  const pp = profile.preprocess;
  const tag = `sky-scale:${native.factor.toFixed(4)}`;
  if (!native.resample) {
    return { ...out, transforms: [tag, ...out.transforms] };
  }
  const shrink = native.factor > 1;
  const size = (img: Image2D, n: number): Image2D =>
    resize(withoutNaN(img), [n, n], { order: 1, antiAlias: shrink });
  // The deferred normalisation ('none', NaN to 0) is the last transform: resample, then normalise.
  const transforms = [tag, ...out.transforms.slice(0, -1), `resize:${pp.inputSize}`];
  const input = normalize(size(out.input, pp.inputSize), { method: pp.normalize, nan: 0 });
  transforms.push(`normalize:${pp.normalize}`);
  const result: PreprocessOutput = { ...out, input, transforms };
  if (out.crop !== undefined) result.crop = size(out.crop, pp.cropSize);
  return result;
}

/** Run `check`, turning what it throws into the DatasetError preprocess reports for a bad crop. */
function guard(opts: PreprocessOptions, check: () => void): void {
  try {
    check();
  } catch (err) {
    const name = opts.source ?? 'image';
    throw new DatasetError(`${name}: cannot crop: ${(err as Error).message}`, opts.source, {
      cause: err,
    });
  }
}

/**
 * The preprocessing, written once for both drivers: it yields the windows of the image it needs
 * (the search window, then the pixels of the crop around the peak) and is handed their pixels,
 * so {@link preprocess} drives it with views of an image in memory and
 * {@link preprocessWindows} with reads from a file. The crop is cut exactly as `cropAroundMax`
 * and `cropAround` cut it from the whole image, with the same checks and messages.
 */
function* preprocessSteps(
  shape: [rows: number, cols: number],
  profile: TargetProfile,
  opts: PreprocessOptions,
  fresh: boolean,
  withCrop: boolean,
): Generator<ImageWindow, PreprocessOutput, Image2D> {
  const pp = profile.preprocess;
  const [rows, cols] = shape;
  const alignAuto = opts.angle === undefined && profile.positive.align === 'principal-axis';
  const fixedAngle = opts.angle ?? handAngle(profile, opts.source);
  const rotating = alignAuto || fixedAngle !== 0;
  // Room for any rotation: the crop's diagonal, with the parity of cropSize so the centre stays put.
  let work = rotating ? Math.ceil(pp.cropSize * Math.SQRT2) + 2 : pp.cropSize;
  if ((work - pp.cropSize) % 2 !== 0) work += 1;
  const padMode = (pp.pad === 'skip' ? 'constant' : pp.pad) as WindowPad;
  let peak: [number, number] = [0, 0];
  let searched: { window: ImageWindow; pixels: Image2D } | undefined;
  if (opts.center) {
    const center = opts.center;
    guard(opts, () => {
      checkCropOptions('cropAround', work, padMode, pp.padValue);
      const [r, c] = center;
      if (
        !Number.isInteger(r) ||
        !Number.isInteger(c) ||
        r < 0 ||
        c < 0 ||
        r >= rows ||
        c >= cols
      ) {
        throw new RangeError(
          `cropAround: center [${r}, ${c}] is not a pixel of the ${rows}x${cols} image`,
        );
      }
    });
    peak = [center[0], center[1]];
  } else {
    const fn = 'cropAroundMax';
    guard(opts, () => {
      checkCropOptions(fn, work, padMode, pp.padValue);
      assertNumber(pp.searchFraction, fn, 'searchFraction', 0, 1);
      if (pp.searchFraction === 0) {
        throw new RangeError(`${fn}: option 'searchFraction' must be > 0, got 0`);
      }
    });
    const search = searchWindow(shape, pp.searchFraction);
    const pixels = yield search;
    searched = { window: search, pixels };
    const found = nanArgmax(pixels);
    if (found === undefined) {
      guard(opts, () => {
        throw new RangeError(allNaNMessage(fn, pp.searchFraction));
      });
    } else {
      peak = [found[0] + search.rows[0], found[1] + search.cols[0]];
    }
  }
  // A center-crop input is the crop's central inputSize window: when the crop itself is not
  // wanted, only that window is made. Without rotation it is the inputSize window around the
  // peak (with the same padding), cut alone; with rotation only it is rotated.
  const cropless = !withCrop && pp.inputMode === 'center-crop';
  const direct = cropless && !rotating;
  // Rotating only the input window with order 0 or 1 samples only pixels near the centre of the
  // work window: the square of them (`sub` from its corner) is all that is cut.
  let sub = 0;
  let size = direct ? pp.inputSize : work;
  if (cropless && rotating && profile.positive.rotationOrder !== 3) {
    const reach = Math.ceil((pp.inputSize + 2) / Math.SQRT2) + 3;
    sub = Math.max(0, Math.floor(work / 2) - reach);
    size = Math.min(work, Math.floor(work / 2) + reach) - sub;
  }
  const top = peak[0] - Math.floor((direct ? size : work) / 2) + sub;
  const left = peak[1] - Math.floor((direct ? size : work) / 2) + sub;
  const need: ImageWindow = {
    rows: windowSourceRange(top, size, rows, padMode),
    cols: windowSourceRange(left, size, cols, padMode),
  };
  // The crop's pixels: from the search window when they lie in it (the peak is usually well
  // inside), else a second window.
  const reuse = searched !== undefined && contains(searched.window, need) ? searched : undefined;
  const from = reuse?.window ?? need;
  const pixels = reuse !== undefined ? reuse.pixels : yield need;
  // A window read afresh that is exactly the crop (no padding) is the crop: no second copy.
  const exact =
    reuse === undefined &&
    fresh &&
    need.rows[0] === top &&
    need.cols[0] === left &&
    need.rows[1] === top + size &&
    need.cols[1] === left + size &&
    pixels.offset === 0 &&
    pixels.stride[0] === size &&
    pixels.stride[1] === 1 &&
    pixels.data.length === size * size;
  const cut = exact
    ? pixels
    : cutWindow(pixels, top, left, size, size, padMode, pp.padValue, {
        origin: [from.rows[0], from.cols[0]],
        shape: [rows, cols],
      });
  return finish(cut, peak, shape, profile, opts, {
    alignAuto,
    fixedAngle,
    rotating,
    work,
    direct,
    cropless,
    sub,
  });
}

/** Whether window `outer` holds all of window `inner`. */
function contains(outer: ImageWindow, inner: ImageWindow): boolean {
  return (
    outer.rows[0] <= inner.rows[0] &&
    inner.rows[1] <= outer.rows[1] &&
    outer.cols[0] <= inner.cols[0] &&
    inner.cols[1] <= outer.cols[1]
  );
}

/** The checks `cropAround` makes of its options, with its messages. */
function checkCropOptions(fn: string, size: number, pad: WindowPad, padValue: unknown): void {
  assertInteger(size, fn, 'size', 1);
  assertOneOf(pad, ['constant', 'edge', 'reflect'] as const, fn, 'pad');
  if (typeof padValue !== 'number') {
    throw new TypeError(`${fn}: option 'padValue' must be a number, got ${String(padValue)}`);
  }
}

/**
 * Everything after the cut: the padding check, alignment, the input crop and normalisation.
 * `cutImage` is the `work` window around the peak, or with `plan.direct` the input window, or
 * (rotating only the input window) the part of the work window from `plan.sub` that it samples.
 */
function finish(
  cutImage: Image2D,
  peak: [number, number],
  [rows, cols]: [number, number],
  profile: TargetProfile,
  opts: PreprocessOptions,
  plan: {
    alignAuto: boolean;
    fixedAngle: number;
    rotating: boolean;
    work: number;
    direct: boolean;
    cropless: boolean;
    sub: number;
  },
): PreprocessOutput {
  const pp = profile.preprocess;
  const name = opts.source ?? 'image';
  const { alignAuto, fixedAngle, rotating, work, direct, cropless, sub } = plan;
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
  let crop = cutImage;
  if (rotating) {
    // Orientation is measured on what the model will see (a view: the central input window, or
    // the whole crop when it is resized), not on the wider rotation margin.
    const seen = pp.inputMode === 'resize' ? pp.cropSize : pp.inputSize;
    const m = Math.floor(work / 2) - Math.floor(seen / 2) - sub;
    const inner = crop.hi(m + seen, m + seen).lo(m, m);
    angle = alignAuto ? -principalAngle(inner) : fixedAngle;
    transforms.push(`rotate:${angle.toFixed(2)}`);
    // Only the central cropSize window of the rotated work window is kept (cropCenter's
    // window), or only the input window of that: rotate just that window.
    const size = cropless ? pp.inputSize : pp.cropSize;
    const at = Math.floor(work / 2) - Math.floor(size / 2);
    crop = rotateWindow(
      crop,
      angle,
      { order: profile.positive.rotationOrder, reshape: false, cval: pp.padValue },
      { rows: [at, at + size], cols: [at, at + size] },
      crop.shape[0] === work ? undefined : { origin: [sub, sub], shape: [work, work] },
    );
    if (cropless) {
      transforms.push(`crop:${pp.cropSize}@${peak[0]},${peak[1]}${padded ? ':padded' : ''}`);
      transforms.push(`center-crop:${pp.inputSize}`);
      const input = normalize(crop, { method: pp.normalize, nan: 0 });
      transforms.push(`normalize:${pp.normalize}`);
      return { input, peak, angle, padded, transforms };
    }
  }
  transforms.push(`crop:${pp.cropSize}@${peak[0]},${peak[1]}${padded ? ':padded' : ''}`);
  let input: Image2D;
  if (direct) {
    // `cutImage` is already the central inputSize window of the crop, which is not made.
    transforms.push(`center-crop:${pp.inputSize}`);
    input = normalize(cutImage, { method: pp.normalize, nan: 0 });
    transforms.push(`normalize:${pp.normalize}`);
    return { input, peak, angle, padded, transforms };
  }
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
