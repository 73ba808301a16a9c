/**
 * `alma-classifier/fits` in Node: the browser-safe FITS functions plus those that read and
 * write files. `readFits` here also takes a path.
 *
 * @module alma-classifier/fits
 */
// The browser entry is itself an explicit list; this file only adds the Node names (and the
// Node `readFits`, which stands in for the browser entry's bytes-only one).
export * from './index.js';
export { readFits, readFitsFile } from './read.node.js';
export { type FitsReader, type FitsSection, openFits, type OpenFitsOptions } from './open.node.js';
export { writeFitsFile } from './write.node.js';
export { listFitsFiles, type ListFitsFilesOptions } from './list.node.js';
export { readNpyFile, writeNpyFile } from './npy.node.js';
export {
  COLLAPSE_METHODS,
  type CollapseMethod,
  type CollapseOptions,
  readFitsCollapsed,
} from './collapse.node.js';
