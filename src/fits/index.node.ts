// fits module: Node-only exports (file system, processes).
export * from './io.node.js';
export * from './npy.node.js';
export * from './collapse.node.js';
