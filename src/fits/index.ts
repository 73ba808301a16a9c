// fits module: public, browser-safe exports.
export { FitsHeader, formatCard } from './header.js';
export type { FitsCard, FitsValue } from './header.js';
export { scanFitsLayout } from './layout.js';
export type { FitsHduKind, FitsHduSpan, FitsLayout } from './layout.js';
export { DEFAULT_READ_FITS_OPTIONS, readFits, requireImage } from './read.js';
export type { FitsFile, FitsHdu, FitsRegion, ReadFitsOptions } from './read.js';
export { DEFAULT_WRITE_FITS_OPTIONS, writeFits } from './write.js';
export type { WriteFitsOptions } from './write.js';
export * from './npy.js';
export { cubeStatistics, imageStatistics } from './statistics.js';
export type { ImageStatistics, PlaneStatistics } from './statistics.js';
