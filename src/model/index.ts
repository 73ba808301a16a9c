// model module: public, browser-safe exports.
export * from './config.js';
export { ORIGINAL_MODEL_CONFIG, createModel, resolveModelConfig } from './factory.js';
export { trainModel, describeTrainer, type TrainOptions, type TrainHistory } from './train.js';
export { evaluateModel, DEFAULT_EVALUATE_OPTIONS, type EvaluateOptions } from './evaluate.js';
export { predict, DEFAULT_PREDICT_OPTIONS, type PredictOptions } from './predict.js';
export * from './metrics.js';
export type { ModelMeta } from './meta.js';
export { MODEL_FILES } from './meta.js';
export { loadModelFromUrl, loadModelFromFiles, type LoadedModel } from './io.js';
export {
  useFastBackend,
  DEFAULT_BACKEND_OPTIONS,
  type BackendName,
  type BackendOptions,
} from './backend.js';
export {
  DEFAULT_TRAIN_AUGMENT_OPTIONS,
  NO_TRAIN_AUGMENT,
  augmentBatch,
  imageLevels,
  type TrainAugmentOptions,
} from './augment-batch.js';
export * from './calibration.js';
export * from './source-metrics.js';
export * from './tta.js';
export * from './uncertainty.js';
export * from './saliency.js';
export * from './baseline.js';
