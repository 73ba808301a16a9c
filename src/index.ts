/**
 * alma-classifier: find rare phenomena in the ALMA Science Archive with a convolutional network.
 *
 * This entry point is browser-safe (no `node:` imports). In Node, `import 'alma-classifier'`
 * resolves to `index.node` instead, which adds the file-system functions.
 *
 * @packageDocumentation
 */
export * from './core/index.js';
export * from './fits/index.js';
export * from './wcs/index.js';
export * from './image/index.js';
export * from './archive/index.js';
export * from './dataset/index.js';
export * from './model/index.js';
export * from './report/index.js';
export * from './pipeline/index.js';
