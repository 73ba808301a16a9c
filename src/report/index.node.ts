/**
 * `alma-classifier/report` in Node: the browser-safe report functions plus those that write a
 * report or review page to a folder and read its decisions back.
 *
 * @module alma-classifier/report
 */
// The browser entry is itself an explicit list; this file only adds the Node names.
export * from './index.js';
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
