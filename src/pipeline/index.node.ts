// pipeline module: Node-only exports (file system, processes).
export { classify, type ClassifyFilesOptions } from './classify.node.js';
export { trainFromDataset, type TrainFlowOptions, type TrainFlowResult } from './train.node.js';
export {
  datasetWithLabels,
  type DatasetWithLabels,
  type DatasetWithLabelsOptions,
} from './labelled-dataset.node.js';
export {
  readRunCandidates,
  rescoreCandidates,
  writeRunReview,
  type RunCandidate,
  type RunCandidates,
  type RunReviewOptions,
  type WrittenRunReview,
} from './review.node.js';
export {
  retrainWithLabels,
  type RetrainWithLabelsOptions,
  type RetrainWithLabelsResult,
} from './retrain.node.js';
export { REVIEW_APP_FILE, buildReviewApp, reviewAppScript } from './review-app-script.node.js';
export {
  BUNDLED_IMAGES,
  DEMO_SCENE_OPTIONS,
  THESIS_CRITERIA,
  demoProfile,
  runDemo,
  type BundledImage,
  type DemoBaseline,
  type DemoRealImage,
  type DemoArchiveOptions,
  type DemoOptions,
  type DemoResult,
} from './demo.node.js';
export * from './journal.node.js';
export * from './merge.node.js';
export * from './classify-archive.node.js';
export {
  CATALOGUE_EXTENSIONS,
  writeCandidateCatalogues,
  type WrittenCatalogues,
} from './catalogue.node.js';
export {
  CANDIDATE_INPUTS_FILE,
  candidateFileReportData,
  readCandidateFile,
  readCandidateInputs,
  writeCandidateFiles,
  type CandidateFileReportOptions,
  type CandidateRecord,
  type WriteCandidateFilesOptions,
  type WrittenCandidateFiles,
} from './candidate-files.node.js';
