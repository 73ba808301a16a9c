/**
 * alma-classifier for Node: everything in the browser-safe entry point plus the functions that
 * read and write files, download, and run worker threads.
 *
 * @module alma-classifier
 */
export * from './index.js';
export * from './fits/index.node.js';
// The Node `readFits` also takes a path; it stands in for the browser entry's bytes-only one.
export { readFits } from './fits/index.node.js';
export * from './archive/index.node.js';
export * from './dataset/index.node.js';
export * from './model/index.node.js';
export * from './report/index.node.js';
export * from './pipeline/index.node.js';
