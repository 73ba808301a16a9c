/**
 * `alma-classifier/model`: the CNN: configs, create, train, predict, evaluate, calibrate,
 * metrics, test-time augmentation, uncertainty, saliency and the model-free baseline.
 * Browser-safe; in Node the entry adds saving and loading models from folders.
 *
 * @module
 */
export { ModelError } from '../core/errors.js';
export {
  DEFAULT_MODEL_CONFIG,
  DEFAULT_TRAIN_CONFIG,
  EARLY_STOPPING_MONITORS,
  LOSS_NAMES,
  OPTIMIZER_NAMES,
  lossName,
  monitorName,
  optimizerName,
  scheduledLearningRate,
  type Activation,
  type ConvBlockConfig,
  type EarlyStoppingConfig,
  type EarlyStoppingMonitor,
  type EpochLog,
  type LossName,
  type ModelConfig,
  type OptimizerName,
  type TensorData,
  type TrainConfig,
} from './config.js';
export { ORIGINAL_MODEL_CONFIG, createModel, resolveModelConfig } from './factory.js';
export { trainModel, describeTrainer, type TrainOptions, type TrainHistory } from './train.js';
export { evaluateModel, DEFAULT_EVALUATE_OPTIONS, type EvaluateOptions } from './evaluate.js';
export { predict, DEFAULT_PREDICT_OPTIONS, type PredictOptions } from './predict.js';
export {
  DEFAULT_BOOTSTRAP_OPTIONS,
  DEFAULT_METRICS_OPTIONS,
  DEFAULT_RECALL_BUDGET,
  DEFAULT_THRESHOLD_OPTIONS,
  bootstrapMetrics,
  chooseThreshold,
  computeMetrics,
  confusionMatrix,
  precisionAtK,
  recallAtBudget,
  summarize,
  summarizeSpread,
  type BestThreshold,
  type BootstrapMetricName,
  type BootstrapOptions,
  type BootstrapResult,
  type ConfidenceInterval,
  type ConfusionMatrix,
  type ConfusionRates,
  type CurvePoint,
  type Evaluation,
  type MetricsOptions,
  type Spread,
  type Summary,
  type ThresholdChoice,
  type ThresholdOptions,
  type ThresholdRule,
} from './metrics.js';
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
  createNoiseField,
  imageLevels,
  type NoiseField,
  type TrainAugmentOptions,
} from './augment-batch.js';
export {
  DEFAULT_RELIABILITY_OPTIONS,
  DEFAULT_TEMPERATURE_OPTIONS,
  PROBABILITY_EPSILON,
  applyTemperature,
  binaryLogLoss,
  fitTemperature,
  reliabilityDiagram,
  type CalibrationInput,
  type ReliabilityBin,
  type ReliabilityDiagram,
  type ReliabilityOptions,
  type TemperatureFit,
  type TemperatureOptions,
} from './calibration.js';
export {
  centralLevel,
  compareToInputRange,
  isInputRange,
  measureInputRange,
  type InputRange,
} from './input-range.js';
export {
  DEFAULT_SOURCE_SCORE_OPTIONS,
  DERIVED_TRANSFORMS,
  isBaseSample,
  sourceScores,
  type SourceFileScore,
  type SourceSampleInfo,
  type SourceScoreMethod,
  type SourceScoreOptions,
  type SourceScores,
} from './source-metrics.js';
export {
  AXIS_FLIPS,
  DEFAULT_TTA_OPTIONS,
  DIHEDRAL_TRANSFORMS,
  TEST_TIME_AUGMENTATIONS,
  describeTta,
  dihedralTransform,
  predictTTA,
  scoreWithModel,
  ttaTransforms,
  type DihedralTransform,
  type TestTimeAugmentation,
  type TTAOptions,
} from './tta.js';
export {
  DEFAULT_UNCERTAINTY_OPTIONS,
  predictWithUncertainty,
  type UncertaintyMethod,
  type UncertaintyOptions,
  type UncertaintyResult,
} from './uncertainty.js';
export {
  DEFAULT_GRADIENT_SALIENCY_OPTIONS,
  DEFAULT_OCCLUSION_OPTIONS,
  gradientSaliency,
  occlusionSaliency,
  type GradientSaliencyOptions,
  type OcclusionOptions,
} from './saliency.js';
export {
  DEFAULT_BASELINE_OPTIONS,
  baselineScores,
  baselineWindScore,
  type BaselineOptions,
  type BaselineParts,
  type BaselineScore,
} from './baseline.js';
