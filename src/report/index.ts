/**
 * `alma-classifier/report`: colour maps, stretches and PNG rendering, the HTML report and review
 * pages, sky figures and contour lines, candidate catalogues (CSV, VOTable, DS9, CRTF).
 * Browser-safe; in Node the entry adds the functions that write report folders.
 *
 * @module
 */
export {
  COLORMAP_NAMES,
  COLORMAP_SIZE,
  colormapColor,
  colormapTable,
  type ColormapName,
} from './colormaps.js';
export { DEFAULT_ZSCALE_OPTIONS, zscaleLimits, type ZScaleOptions } from './zscale.js';
export {
  DEFAULT_RENDER_OPTIONS,
  DEFAULT_STRETCH_PARAMETERS,
  STRETCH_NAMES,
  parseColor,
  renderPng,
  renderRgba,
  type Color,
  type RenderOptions,
  type RgbaImage,
  type Stretch,
} from './render.js';
export type {
  ConfusionCounts,
  Decision,
  DecisionEntry,
  Decisions,
  JsonValue,
  PrPoint,
  ReportCandidate,
  ReportData,
  ReportEpoch,
  ReportBaseline,
  ReportCalibration,
  ReportEvaluation,
  ReportImage,
  ReportInterval,
  ReportRealImage,
  ReportSkyView,
  ReportReliabilityBin,
  ReviewItem,
  ReviewObject,
  RocPoint,
} from './types.js';
export {
  DEFAULT_REPORT_HTML_OPTIONS,
  almaArchiveUrl,
  buildReportHtml,
  rankCandidates,
  type ReportHtmlOptions,
} from './report-html.js';
export {
  DEFAULT_REVIEW_GROUP,
  DEFAULT_REVIEW_HTML_OPTIONS,
  buildReviewHtml,
  type ReviewHtmlOptions,
} from './review-html.js';
export { parseDecisions } from './decisions.js';
export {
  buildRunReviewHtml,
  type RunReviewCandidate,
  type RunReviewData,
  type RunReviewHtmlOptions,
  type RunReviewRetrain,
} from './run-review-html.js';
export {
  CATALOGUE_COLUMNS,
  DEFAULT_CATALOGUE_REGION_OPTIONS,
  DEFAULT_CATALOGUE_VOTABLE_META,
  catalogueCrtf,
  catalogueCsv,
  catalogueDs9,
  catalogueVotable,
  type CatalogueColumn,
  type CatalogueFrame,
  type CatalogueRegionOptions,
  type CatalogueRow,
  type CatalogueVotableMeta,
} from './catalogue.js';
export {
  DEFAULT_SKY_FIGURE_OPTIONS,
  skyFigureRender,
  skyFigureSvg,
  type SkyFigureOptions,
} from './sky-figure.js';
export { contourSegments, noiseContourLevels, type ContourSegment } from './contours.js';
