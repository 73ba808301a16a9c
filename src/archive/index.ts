/**
 * `alma-classifier/archive`: the ALMA Science Archive client (TAP/ObsCore search, DataLink,
 * mirrors, VOTable parsing, download planning). Browser-safe; in Node the entry adds
 * `downloadProducts`.
 *
 * @module
 */
export { ArchiveError } from '../core/errors.js';
export type { Progress } from '../core/progress.js';
export {
  DEFAULT_RETRY_OPTIONS,
  defaultFetch,
  type FetchLike,
  isConnectionFailure,
  type RetryOptions,
} from './http.js';
export {
  adqlString,
  buildKeywordQuery,
  conditionsQuery,
  type ConeCriteria,
  DEFAULT_SEARCH_CRITERIA,
  MAX_SEARCH_VALUE_LENGTH,
  OBSCORE_STRING_COLUMNS,
  type SearchCondition,
  searchConditions,
  type SearchCriteria,
  splitSearchValue,
} from './adql.js';
export {
  AlmaArchive,
  type AlmaArchiveOptions,
  type ArchiveEvent,
  DEFAULT_ARCHIVE_OPTIONS,
  type QueryOptions,
  type SearchOptions,
  type SearchResult,
  type ValueCount,
} from './archive.js';
export {
  adhocDataLinkServices,
  DATALINK_STANDARD_ID,
  type DataLinkRow,
  type DataProduct,
  type DataProductList,
  type DataProductOptions,
  type DataProductOrigin,
  DEFAULT_DATA_PRODUCT_OPTIONS,
  explainFilters,
  FilterLog,
  type FilterStat,
  toDataProduct,
  urlFileName,
} from './datalink.js';
export {
  contentDispositionName,
  DEFAULT_DOWNLOAD_OPTIONS,
  DOWNLOAD_RECORD_FILE,
  type DownloadedFile,
  type DownloadEvent,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadReport,
  type DownloadStatus,
  parseBytes,
  planDownload,
} from './download.js';
export { ALMA_MIRRORS, mirrorChain, type MirrorName, mirrorUrl } from './mirrors.js';
export {
  type Observation,
  type ObservationSummary,
  summarizeObservations,
  toObservation,
} from './observation.js';
export {
  isServiceError,
  parseVOTable,
  type ParseVOTableOptions,
  parseVOTableStream,
  type VOField,
  type VOInfo,
  type VOParam,
  type VOResource,
  type VOTable,
  type VOTableData,
  voTableRecords,
  VOTableStreamParser,
  type VOValue,
} from './votable.js';
export { ALMA_SCIENCE_KEYWORDS, ALMA_SCIENTIFIC_CATEGORIES } from './vocabulary.js';
export { almaFileInfo, type AlmaFileInfo } from './file-name.js';
