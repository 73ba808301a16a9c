// dataset module: public, browser-safe exports.
export * from './profile.js';
export * from './dataset.js';
export * from './preprocess.js';
export * from './build.js';
export * from './augment.js';
export * from './split.js';
export * from './synthesize.js';
export { skyScaleFromHeader, type ImageSkyScale } from './sky-scale.js';
export * from './shortcuts.js';
export * from './labels.js';
export * from './apply-labels.js';
