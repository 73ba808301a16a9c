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
export { cropCenterFraction, CROP_CENTER_FRACTION_DEFAULTS } from './crop-center-fraction.js';
export type { CropCenterFractionOptions } from './crop-center-fraction.js';
export { cropAroundMax, CROP_AROUND_MAX_DEFAULTS } from './crop-around-max.js';
export type { CropAroundMaxOptions, CropAroundMaxResult } from './crop-around-max.js';
export { cropAround, CROP_AROUND_DEFAULTS } from './crop-around.js';
export type { CropAroundOptions } from './crop-around.js';
export type { WindowPad } from './internal.js';
export { cropCenter, CROP_CENTER_DEFAULTS } from './crop-center.js';
export type { CropCenterOptions } from './crop-center.js';
export { pad, PAD_DEFAULTS } from './pad.js';
export type { PadOptions } from './pad.js';
export { flip } from './flip.js';
export type { FlipAxis } from './flip.js';
export { rotate, rotatedShape, ROTATE_DEFAULTS } from './rotate.js';
export type { RotateOptions, InterpolationOrder } from './rotate.js';
export { resize, RESIZE_DEFAULTS } from './resize.js';
export type { ResizeOptions } from './resize.js';
export { gaussianBlur, GAUSSIAN_BLUR_DEFAULTS } from './gaussian-blur.js';
export type { GaussianBlurOptions, BlurMode } from './gaussian-blur.js';
export { geometricMean } from './geometric-mean.js';
export { normalize, NORMALIZE_DEFAULTS } from './normalize.js';
export type { NormalizeOptions, NormalizeMethod } from './normalize.js';
export { addNoise, ADD_NOISE_DEFAULTS } from './add-noise.js';
export type {
  AddNoiseOptions,
  GaussianNoiseOptions,
  JitterNoiseOptions,
  NeighbourNoiseOptions,
} from './add-noise.js';
export {
  randomLinearTransform,
  RANDOM_LINEAR_TRANSFORM_DEFAULTS,
} from './random-linear-transform.js';
export type { RandomLinearTransformOptions } from './random-linear-transform.js';
export { findSources, FIND_SOURCES_DEFAULTS } from './find-sources.js';
export type { FindSourcesOptions, Source } from './find-sources.js';
export { principalAngle, PRINCIPAL_ANGLE_DEFAULTS } from './principal-angle.js';
export type { PrincipalAngleOptions } from './principal-angle.js';
export { robustStd, MAD_TO_STD } from './robust-std.js';
export {
  measureSource,
  sigmaClippedStats,
  MEASURE_SOURCE_DEFAULTS,
  SIGMA_CLIP_DEFAULTS,
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
  FIT_GAUSSIAN_2D_DEFAULTS,
  type Gaussian2D,
  type Gaussian2DFit,
  type FitGaussian2DOptions,
  type FitStopReason,
  type FitWindow,
} from './fit-gaussian.js';
