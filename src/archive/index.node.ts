/**
 * `alma-classifier/archive` in Node: the browser-safe archive client plus the downloads that
 * write files.
 *
 * @module alma-classifier/archive
 */
// The browser entry is itself an explicit list; this file only adds the Node names.
export * from './index.js';
export { downloadProducts } from './download.node.js';
