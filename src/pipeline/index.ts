// pipeline module: public, browser-safe exports.
export {
  candidateSkyFields,
  classifyImages,
  profileForModel,
  modelThreshold,
  CLASSIFY_DEFAULTS,
  type Candidate,
  type CandidateBeam,
  type CandidateProvenance,
  type ClassifierModel,
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
export * from './shard.js';
export * from './results.js';
export {
  datasetParts,
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
  crossValidate,
  formatCrossValidation,
  type CrossValidateOptions,
  type CrossValidation,
  type FoldResult,
} from './cross-validate.js';
