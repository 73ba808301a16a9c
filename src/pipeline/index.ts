// pipeline module: public, browser-safe exports.
export {
  classifyImages,
  profileForModel,
  CLASSIFY_DEFAULTS,
  type Candidate,
  type CandidateProvenance,
  type ClassifierModel,
  type ClassifyOptions,
  type NamedImage,
} from './classify.js';
export {
  toReportData,
  toReportEvaluation,
  type CandidateContext,
  type ReportInputs,
} from './report-data.js';
export * from './shard.js';
export * from './results.js';
