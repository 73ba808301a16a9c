// fits module: Node-only exports (file system). `readFits` here also takes a path.
export { readFits, readFitsFile } from './read.node.js';
export { openFits } from './open.node.js';
export type { FitsReader, FitsSection, OpenFitsOptions } from './open.node.js';
export { writeFitsFile } from './write.node.js';
export { listFitsFiles } from './list.node.js';
export type { ListFitsFilesOptions } from './list.node.js';
export * from './npy.node.js';
export * from './collapse.node.js';
