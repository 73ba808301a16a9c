// model module: Node-only exports (file system, worker threads, native backend).
import './platform.node.js';
export { saveModel, loadModel, fileSystemHandler } from './io.node.js';
export { wasmBinaryDirectory } from './backend.node.js';
