/**
 * core module: the errors, the `Image2D` helpers, the seeded random generator and the version,
 * shared by every other module. Browser-safe. Re-exported by the package root.
 *
 * @module
 */
export {
  AlmaClassifierError,
  ArchiveError,
  DatasetError,
  FitsError,
  ModelError,
  NpyError,
  PipelineError,
  WcsError,
} from './errors.js';
export {
  cloneImage,
  createImage2D,
  type Image2D,
  type PixelArray,
  shapeOf,
  toContiguous,
} from './image2d.js';
export { createRng, type Rng, shuffleInPlace } from './random.js';
export type { Progress } from './progress.js';
export { VERSION } from './version.js';
