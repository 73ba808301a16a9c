export * from './errors.js';
export * from './image2d.js';
export * from './random.js';
export * from './version.js';
