/**
 * `alma-classifier/pipeline` in Node: the browser-safe flows plus those that read and write
 * files: `classify`, `classifyArchive`, `trainFromDataset`, the demo, review and retraining.
 *
 * @module alma-classifier/pipeline
 */
// The browser entry is itself an explicit list; this file only adds the Node names.
export * from './index.js';
export { classify, type ClassifyFilesOptions } from './classify.node.js';
export { type TrainFlowOptions, type TrainFlowResult, trainFromDataset } from './train.node.js';
export {
  datasetWithLabels,
  type DatasetWithLabels,
  type DatasetWithLabelsOptions,
} from './labelled-dataset.node.js';
export {
  readRunCandidates,
  rescoreCandidates,
  type RunCandidate,
  type RunCandidates,
  type RunReviewOptions,
  writeRunReview,
  type WrittenRunReview,
} from './review.node.js';
export {
  retrainWithLabels,
  type RetrainWithLabelsOptions,
  type RetrainWithLabelsResult,
} from './retrain.node.js';
export {
  BUNDLED_IMAGES,
  type BundledImage,
  DEMO_EPOCHS,
  DEMO_REAL_WEIGHT,
  DEMO_HOLD_OUT,
  DEMO_SCENE_OPTIONS,
  DEMO_SOURCES,
  type DemoArchiveOptions,
  type DemoBaseline,
  type DemoOptions,
  type DemoProgress,
  demoProfile,
  type DemoRealImage,
  type DemoResult,
  runDemo,
  THESIS_CRITERIA,
} from './demo.node.js';
export {
  CATALOGUE_EXTENSIONS,
  writeCandidateCatalogues,
  type WrittenCatalogues,
} from './catalogue.node.js';
export {
  CANDIDATE_INPUTS_FILE,
  candidateFileReportData,
  type CandidateFileReportOptions,
  type CandidateRecord,
  readCandidateFile,
  readCandidateInputs,
  writeCandidateFiles,
  type WriteCandidateFilesOptions,
  type WrittenCandidateFiles,
} from './candidate-files.node.js';
export { Journal, type JournalEntry } from './journal.node.js';
export {
  type MergeOptions,
  type MergeResult,
  mergeResults,
  productReportData,
  type ProductReportOptions,
  RUN_FILES,
  type RunInfo,
  type RunStatus,
  writeMergedResults,
} from './merge.node.js';
export {
  type ArchiveProgress,
  classifyArchive,
  type ClassifyArchiveOptions,
  type ClassifyArchiveSummary,
  DEFAULT_CLASSIFY_ARCHIVE_OPTIONS,
  type FailedProduct,
} from './classify-archive.node.js';
export { resultCatalogueCandidates } from './archive-run.node.js';
