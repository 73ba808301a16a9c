/**
 * `alma-classifier/fits`: FITS headers, images, cubes and tables, read and written the way
 * astropy does, and NumPy `.npy` arrays. Browser-safe (bytes in, bytes out); in Node the entry
 * adds the functions that take paths (`readFits(path)`, `readFitsFile`, `openFits`, ...).
 *
 * @module
 */
export { FitsError, NpyError } from '../core/errors.js';
export type { Image2D } from '../core/image2d.js';
export { FitsHeader, formatCard } from './header.js';
export type { FitsCard, FitsValue } from './header.js';
export { scanFitsLayout } from './layout.js';
export type { FitsHduKind, FitsHduSpan, FitsLayout } from './layout.js';
export { DEFAULT_READ_FITS_OPTIONS, readFits, requireImage } from './read.js';
export type { FitsFile, FitsHdu, FitsRegion, ReadFitsOptions } from './read.js';
export { DEFAULT_WRITE_FITS_OPTIONS, writeFits } from './write.js';
export type { WriteFitsOptions } from './write.js';
export {
  type NpyData,
  type NpyDtype,
  readNpy,
  type ReadNpyOptions,
  writeNpy,
  type WriteNpyOptions,
} from './npy.js';
export { cubeStatistics, imageStatistics } from './statistics.js';
export type { ImageStatistics, PlaneStatistics } from './statistics.js';
