// model module: Node-only exports (file system, worker threads, native backend).
import './backend.node.js';
import './predict.node.js';
import './train.node.js';
import './engine/team.node.js';
export { saveModel, loadModel, fileSystemHandler } from './io.node.js';
export { wasmBinaryDirectory } from './backend.node.js';
