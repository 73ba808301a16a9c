// dataset module: Node-only exports (file system).
export * from './files.node.js';
export * from './persist.node.js';
export * from './labels.node.js';
export * from './content-hash.node.js';
