import type { Image2D } from '../core/index.js';

/** Any value JSON can hold; used for the profile and provenance shown verbatim in a report. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };

/**
 * A picture for a report or review page: an {@link Image2D} (rendered with the page's
 * `render` options) or the bytes of a PNG file rendered already.
 */
export type ReportImage = Image2D | Uint8Array;

/** One scored image (or one object in an image) as the report lists it. Plain data. */
export interface ReportCandidate {
  /** Stable identifier, unique within the report (e.g. `file#source-index`). */
  id: string;
  /** The FITS file (path or name) the candidate comes from. Shown as text, never trusted as HTML. */
  file: string;
  /** Positive-class score in [0, 1]; the report ranks by it, highest first (NaN last). */
  score: number;
  /** Class label the classifier assigned (e.g. `'positive'`). */
  label: string;
  /** Thumbnail: the preprocessed crop the model saw, or PNG bytes. Omitted: a placeholder. */
  image?: ReportImage;
  /** Target (source) name from the archive, e.g. `'HD 163296'`. */
  target?: string;
  /** ALMA project code, e.g. `'2016.1.00484.L'`. */
  projectCode?: string;
  /** Member OUS UID, e.g. `'uid://A001/X879/X8f1'`; the report links to its archive page. */
  memberOus?: string;
  /** Anything else worth showing (source position, crop offset, ...), listed as key: value. */
  provenance?: Record<string, JsonValue | undefined>;
}

/** Training metrics after one epoch, as Keras' `History` records them. */
export interface ReportEpoch {
  /** Epoch number, 1-based. */
  epoch: number;
  /** Training loss. */
  loss: number;
  /** Training accuracy in [0, 1]. */
  acc: number;
  /** Validation loss, when a validation split was used. */
  valLoss?: number;
  /** Validation accuracy in [0, 1], when a validation split was used. */
  valAcc?: number;
}

/** Counts of a binary confusion matrix (positive class = the phenomenon searched for). */
export interface ConfusionCounts {
  /** Positives classified positive. */
  tp: number;
  /** Negatives classified positive. */
  fp: number;
  /** Negatives classified negative. */
  tn: number;
  /** Positives classified negative. */
  fn: number;
}

/** One point of a ROC curve. */
export interface RocPoint {
  /** False-positive rate, fp / (fp + tn). */
  fpr: number;
  /** True-positive rate (recall), tp / (tp + fn). */
  tpr: number;
}

/** One point of a precision–recall curve. */
export interface PrPoint {
  /** tp / (tp + fn). */
  recall: number;
  /** tp / (tp + fp). */
  precision: number;
}

/** Evaluation of a model on labelled data, as plain numbers. */
export interface ReportEvaluation {
  /** The confusion matrix at {@link ReportEvaluation.threshold}. */
  confusion: ConfusionCounts;
  /** (tp + tn) / all. */
  accuracy: number;
  /** tp / (tp + fp). */
  precision: number;
  /** tp / (tp + fn). */
  recall: number;
  /** Harmonic mean of precision and recall. */
  f1: number;
  /** Area under the ROC curve, if computed. */
  rocAuc?: number;
  /** ROC curve points, in any order. */
  roc?: RocPoint[];
  /** Precision–recall curve points, in any order. */
  pr?: PrPoint[];
  /** Score threshold the counts were taken at. */
  threshold: number;
}

/** Everything a report shows. Plain data, so callers build it from any pipeline's results. */
export interface ReportData {
  /** Page title. */
  title: string;
  /** A line under the title (e.g. the command that produced the results). */
  description?: string;
  /** When the results were produced (ISO 8601); shown as given. */
  generatedAt?: string;
  /** The scored images; ranked by score in the report, whatever their order here. */
  candidates: ReportCandidate[];
  /** Per-epoch training metrics, drawn as loss and accuracy curves. */
  history?: ReportEpoch[];
  /** Evaluation on held-out data: confusion matrix, metrics, ROC and PR curves. */
  evaluation?: ReportEvaluation;
  /** The target profile (or any settings) used, shown as formatted JSON. */
  profile?: JsonValue;
}

/** A reviewer's verdict on one image. */
export type Decision = 'keep' | 'reject';

/** One image on a review page. */
export interface ReviewItem {
  /** Stable identifier, unique within the page; written to `decisions.json`. */
  id: string;
  /** The file the image came from (or will be written to); written to `decisions.json`. */
  file: string;
  /** The picture to judge. Omitted: a placeholder. */
  image?: ReportImage;
  /**
   * Section heading the item is listed under, e.g. `'Generated positives'` or `'Candidates'`.
   * Sections appear in the order their first item does. Default `'Images'`.
   */
  group?: string;
  /** Score, shown when given. */
  score?: number;
  /** Label, shown when given. */
  label?: string;
  /** A decision made earlier (e.g. from a previous `decisions.json`); the page starts with it. */
  decision?: Decision;
}

/** One entry of `decisions.json`. */
export interface DecisionEntry {
  /** The {@link ReviewItem.id}. */
  id: string;
  /** The {@link ReviewItem.file}. */
  file: string;
  /** What the reviewer decided. */
  decision: Decision;
}

/**
 * The contents of `decisions.json`, which the review page exports: only images the reviewer
 * decided on are listed, in page order. The dataset builder's `exclude` option drops the
 * entries whose decision is `'reject'`.
 */
export interface Decisions {
  /** Format version, 1. */
  version: 1;
  /** The decisions, one per decided image. */
  decisions: DecisionEntry[];
}
