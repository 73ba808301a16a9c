// dataset module: Node-only exports (file system).
export * from './files.node.js';
export * from './persist.node.js';
