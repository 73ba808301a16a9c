/**
 * `alma-classifier/pipeline`: the flows that join the modules: classify images into candidates,
 * train and calibrate, evaluate per source, cross-validate, fine-tune from review decisions,
 * shard an archive run, rank results and shape report data. Browser-safe; in Node the entry
 * adds the flows that read and write files.
 *
 * @module
 */
export { PipelineError } from '../core/errors.js';
export type { Progress } from '../core/progress.js';
export {
  candidateSkyFields,
  classifyImages,
  profileForModel,
  modelThreshold,
  DEFAULT_CLASSIFY_OPTIONS,
  type Candidate,
  type CandidateBeam,
  type CandidateProvenance,
  type ClassifyOptions,
  type NamedImage,
} from './classify.js';
export {
  positionLabel,
  reportSkyFields,
  skyViewOf,
  toReportData,
  toReportEvaluation,
  type CandidateContext,
  type ReportInputs,
  type SkyViewExtras,
} from './report-data.js';
export {
  candidateCatalogueRows,
  candidateCatalogues,
  type CandidateCatalogueTexts,
  type CandidateRows,
  type CatalogueCandidate,
} from './catalogue.js';
export {
  type EnvLike,
  parseShard,
  selectShard,
  type SelectShardOptions,
  shardFromEnv,
  shardOf,
  type ShardSpec,
  stableHash,
} from './shard.js';
export {
  type CandidateSkyKey,
  type ProductInfo,
  type ProductResult,
  type RankedResults,
  rankResults,
  type RankResultsOptions,
  type SourceScore,
} from './results.js';
export {
  datasetParts,
  sampleWeightsOf,
  trainAndCalibrate,
  type TrainAndCalibrateOptions,
  type TrainAndCalibrateResult,
  type ValidationFit,
} from './train-flow.js';
export {
  DEFAULT_SOURCE_EVALUATION_OPTIONS,
  evaluateSources,
  formatSourceEvaluation,
  sourceEvaluationFromScores,
  type SourceEvaluation,
  type SourceEvaluationOptions,
} from './evaluation.js';
export {
  DEFAULT_FINE_TUNE_OPTIONS,
  DEFAULT_REVIEW_SELECTION_OPTIONS,
  fineTune,
  modelConfigOf,
  rankMoves,
  replayIndices,
  selectForReview,
  type FineTuneOptions,
  type FineTuneResult,
  type RankMove,
  type ReviewPick,
  type ReviewReason,
  type ReviewSelectionOptions,
  type ScoredItem,
} from './retrain.js';
export {
  decodeFloat32,
  payloadModel,
  payloadTrainingData,
  rerankPage,
  retrainFromPayload,
  type PageDecision,
  type PageRerank,
  type PayloadRetrain,
  type ReviewPayload,
} from './review-payload.js';
export { startReviewApp, type ReviewAppApi } from './review-app.js';
export {
  crossValidate,
  formatCrossValidation,
  type CrossValidateOptions,
  type CrossValidation,
  type FoldResult,
} from './cross-validate.js';
