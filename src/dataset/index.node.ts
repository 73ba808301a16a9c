/**
 * `alma-classifier/dataset` in Node: the browser-safe dataset functions plus those that read
 * FITS files and folders, save and load datasets, and keep the label store.
 *
 * @module alma-classifier/dataset
 */
// The browser entry is itself an explicit list; this file only adds the Node names.
export * from './index.js';
export {
  buildNegativeSetFromFiles,
  buildPositiveSetFromFiles,
  type FileSource,
  type PathInputs,
  preprocessFile,
  type PreprocessFileOptions,
  type PreprocessFileResult,
  readExcludeList,
  readSourceImages,
  type ReadSourceOptions,
} from './files.node.js';
export {
  type DatasetManifest,
  importNpyCrops,
  loadDataset,
  type LoadDatasetOptions,
  type NpyCropFile,
  saveDataset,
} from './persist.node.js';
export {
  appendLabels,
  buildLabelledCandidates,
  type LabelledCandidates,
  type LabelledSourceOptions,
  type LabelledSources,
  locateLabelledFiles,
  type LocateOptions,
  planLabelledSources,
  readLabels,
  type ReadLabelsResult,
} from './labels.node.js';
export { fitsDataHash, type FitsDataHash, hashOfOpenImage } from './content-hash.node.js';
