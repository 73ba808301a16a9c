// report module: Node-only exports (file system).
export {
  DEFAULT_WRITE_REPORT_OPTIONS,
  readDecisions,
  writeReport,
  writeReviewPage,
  type ImageMode,
  type WriteReportOptions,
  type WriteReviewPageOptions,
  type WrittenReport,
} from './report.node.js';
