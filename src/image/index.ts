/**
 * `alma-classifier/image`: pure 2-D operations on an {@link Image2D} (`[rows, cols]`), one a
 * file: crops, padding, flips, rotation, resizing, blur, normalisation, noise, source finding
 * and measurement, 2-D Gaussian fits. Browser-safe.
 *
 * @module alma-classifier/image
 */
export {
  cloneImage,
  createImage2D,
  type Image2D,
  type PixelArray,
  shapeOf,
  toContiguous,
} from '../core/image2d.js';
export {
  cropCenterFraction,
  DEFAULT_CROP_CENTER_FRACTION_OPTIONS,
} from './crop-center-fraction.js';
export type { CropCenterFractionOptions } from './crop-center-fraction.js';
export { cropAroundMax, DEFAULT_CROP_AROUND_MAX_OPTIONS } from './crop-around-max.js';
export type { CropAroundMaxOptions, CropAroundMaxResult } from './crop-around-max.js';
export { cropAround, DEFAULT_CROP_AROUND_OPTIONS } from './crop-around.js';
export type { CropAroundOptions } from './crop-around.js';
export type { WindowPad } from './internal.js';
export { cropCenter, DEFAULT_CROP_CENTER_OPTIONS } from './crop-center.js';
export type { CropCenterOptions } from './crop-center.js';
export { pad, DEFAULT_PAD_OPTIONS } from './pad.js';
export type { PadOptions } from './pad.js';
export { flip } from './flip.js';
export type { FlipAxis } from './flip.js';
export { rotate, rotatedShape, DEFAULT_ROTATE_OPTIONS } from './rotate.js';
export type { RotateOptions, InterpolationOrder } from './rotate.js';
export { resize, DEFAULT_RESIZE_OPTIONS } from './resize.js';
export type { ResizeOptions } from './resize.js';
export { gaussianBlur, DEFAULT_GAUSSIAN_BLUR_OPTIONS } from './gaussian-blur.js';
export type { GaussianBlurOptions, BlurMode } from './gaussian-blur.js';
export { geometricMean } from './geometric-mean.js';
export { normalize, DEFAULT_NORMALIZE_OPTIONS } from './normalize.js';
export type { NormalizeOptions, NormalizeMethod } from './normalize.js';
export { addNoise, DEFAULT_ADD_NOISE_OPTIONS } from './add-noise.js';
export type {
  AddNoiseOptions,
  GaussianNoiseOptions,
  JitterNoiseOptions,
  NeighbourNoiseOptions,
} from './add-noise.js';
export {
  randomLinearTransform,
  DEFAULT_RANDOM_LINEAR_TRANSFORM_OPTIONS,
} from './random-linear-transform.js';
export type { RandomLinearTransformOptions } from './random-linear-transform.js';
export { findSources, DEFAULT_FIND_SOURCES_OPTIONS } from './find-sources.js';
export type { FindSourcesOptions, Source } from './find-sources.js';
export { principalAngle, DEFAULT_PRINCIPAL_ANGLE_OPTIONS } from './principal-angle.js';
export type { PrincipalAngleOptions } from './principal-angle.js';
export { robustStd, MAD_TO_STD } from './robust-std.js';
export {
  measureSource,
  sigmaClippedStats,
  DEFAULT_MEASURE_SOURCE_OPTIONS,
  DEFAULT_SIGMA_CLIP_OPTIONS,
} from './measure-source.js';
export type {
  MeasureSourceOptions,
  SourceMeasurement,
  RmsMethod,
  SigmaClipOptions,
  SigmaClippedStats,
} from './measure-source.js';
export {
  fitGaussian2D,
  renderGaussian2D,
  DEFAULT_FIT_GAUSSIAN_2D_OPTIONS,
  type Gaussian2D,
  type Gaussian2DFit,
  type FitGaussian2DOptions,
  type FitStopReason,
  type FitWindow,
} from './fit-gaussian.js';
