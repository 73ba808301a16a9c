/**
 * `alma-classifier/dataset`: target profiles, preprocessing, positive and negative sets,
 * augmentation, splits, synthetic scenes and the label store's format. Browser-safe; in Node the
 * entry adds the functions that read and write files.
 *
 * @module
 */
export { DatasetError } from '../core/errors.js';
export type { Progress } from '../core/progress.js';
export { type ImageSkyScale, skyScaleFromHeader } from './sky-scale.js';
export {
  type AlignConfig,
  dustInWind,
  type HandAngles,
  type LinearAugmentConfig,
  type NoiseAugmentConfig,
  type NoNoise,
  originalDustInWind,
  type PositiveAugmentConfig,
  type PreprocessConfig,
  profileHash,
  profileRef,
  resolveProfile,
  resolveSavedProfile,
  type SkyCropConfig,
  type TargetProfile,
  type TargetProfileInput,
} from './profile.js';
export {
  classCounts,
  concatDatasets,
  type Dataset,
  DatasetBuilder,
  type ProfileRef,
  sampleImage,
  type SampleInfo,
  type SkippedSource,
  type SplitName,
  subsetDataset,
} from './dataset.js';
export {
  type ImageWindow,
  type ImageWindows,
  preprocess,
  type PreprocessOptions,
  type PreprocessResult,
  preprocessWindows,
} from './preprocess.js';
export {
  DEFAULT_BUILD_OPTIONS,
  buildNegativeSet,
  type BuildOptions,
  buildPositiveSet,
  type ImageInput,
  type ImageInputs,
  type SourceImage,
  type WindowedSource,
} from './build.js';
export { augment, DEFAULT_AUGMENT_OPTIONS, type AugmentOptions } from './augment.js';
export {
  type DatasetFold,
  type DatasetSplit,
  DEFAULT_KFOLD_OPTIONS,
  type GroupBy,
  groupedKFold,
  type KFoldOptions,
  DEFAULT_SPLIT_OPTIONS,
  splitDataset,
  type SplitOptions,
} from './split.js';
export {
  synthesize,
  DEFAULT_SYNTHESIZE_OPTIONS,
  type SynthesizeOptions,
  type SyntheticKind,
} from './synthesize.js';
export {
  DEFAULT_SYNTHESIZE_SCENE_OPTIONS,
  type DustInWindLabel,
  type SceneRange,
  synthesizeScene,
  type SynthesizeSceneOptions,
  SYNTHETIC_SCENE_KINDS,
  type SyntheticScene,
  type SyntheticSceneKind,
  type SyntheticSceneKindInfo,
} from './synthesize-scene.js';
export { type DiskProfile } from './synthesize-sky.js';
export {
  DEFAULT_TRANSFORM_SHORTCUT_OPTIONS,
  type TransformShortcut,
  type TransformShortcutOptions,
  transformShortcuts,
} from './shortcuts.js';
export {
  formatLabelLine,
  LABEL_DECISIONS,
  LABEL_PEAK_TOLERANCE,
  type LabelDecision,
  labelId,
  type LabelKind,
  type LabelObject,
  type LabelRecord,
  type LabelSummary,
  latestLabels,
  parseLabel,
  pixelHash,
  sameObject,
  summarizeLabels,
} from './labels.js';
export {
  type AppliedLabels,
  type ApplyLabelsOptions,
  applyLabelsToDataset,
  DEFAULT_HARD_NEGATIVE_WEIGHT,
  type LabelledInput,
  labelledInputDataset,
  type LabelPlan,
  planLabels,
} from './apply-labels.js';
