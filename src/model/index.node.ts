/**
 * `alma-classifier/model` in Node: the browser-safe model functions plus saving and loading
 * model folders. The Node platform (engine threads, tfjs-node, the WASM binaries' location)
 * arrives through `#model-platform`.
 *
 * @module alma-classifier/model
 */
// The browser entry is this module's public list; this file only adds the Node names.
export * from './index.js';
export { saveModel, loadModel } from './io.node.js';
export { wasmBinaryDirectory } from './backend.node.js';
