// model module: Node-only exports (file system, native backend). The Node platform (engine
// threads, tfjs-node, the WASM binaries' location) arrives through `#model-platform`.
export { saveModel, loadModel, fileSystemHandler } from './io.node.js';
export { wasmBinaryDirectory } from './backend.node.js';
