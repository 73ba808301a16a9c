// archive module: Node-only exports (file system, processes).
export * from './download.node.js';
