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
  /** The class the run knows this image to have (demo data, labelled test files); shown beside the score. */
  knownLabel?: string;
  /** Uncertainty of the score (standard deviation), shown as `score ± std`. */
  scoreStd?: number;
  /** What drove the score: a saliency map (PNG, or an image rendered like the thumbnail). */
  saliency?: ReportImage;
  /** Right ascension, degrees, in {@link ReportCandidate.frame}. */
  ra?: number;
  /** Declination, degrees. */
  dec?: number;
  /** Right ascension as text, e.g. `18h30m04.117s`. */
  raHms?: string;
  /** Declination as text, e.g. `-02d03m02.63s`. */
  decDms?: string;
  /** Frame of the position, e.g. `'ICRS'`, `'FK5 J2000'`. */
  frame?: string;
  /** Object name (FITS `OBJECT`); shown as the target when {@link ReportCandidate.target} is not given. */
  object?: string;
  /** Peak intensity, Jy/beam. */
  peakJyBeam?: number;
  /** Integrated flux density, Jy. */
  integratedJy?: number;
  /** 1σ error of the integrated flux density, Jy. */
  integratedErrJy?: number;
  /** Image noise near the candidate, Jy/beam. */
  rmsJyBeam?: number;
  /** Peak signal-to-noise ratio. */
  snr?: number;
  /**
   * `'fainter'` or `'brighter'` when the candidate's model input lies outside the range of the
   * model's training inputs (`Candidate.outsideTraining`); the page marks its score as an
   * extrapolation.
   */
  outsideTraining?: 'fainter' | 'brighter';
  /** Degrees the model input was rotated by to align the source; the page says so when not 0. */
  inputAngle?: number;
  /** The crop on the sky, drawn as a figure beside the model input. */
  sky?: ReportSkyView;
}

/**
 * A candidate's crop on the sky, for a figure: north up, east left (as `northUpCutout` cuts
 * it). Plain data, like the rest of the report's input.
 */
export interface ReportSkyView {
  /** The pixels, `[rows, cols]`: row 0 the southern edge (drawn at the bottom), column 0 the eastern. */
  image: Image2D;
  /** Pixel side, arcsec. */
  pixelArcsec: number;
  /** Unit of the pixels (FITS `BUNIT`), e.g. `'Jy/beam'`. */
  unit?: string;
  /** The restoring beam: FWHM axes in arcsec, position angle in degrees east of north. */
  beam?: {
    /** FWHM along the major axis, arcsec. */
    majorArcsec: number;
    /** FWHM along the minor axis, arcsec. */
    minorArcsec: number;
    /** Position angle of the major axis, degrees east of north. */
    paDeg: number;
  };
  /** Image noise (robust rms), in `unit`: the colour scale starts at −3 rms and contours count it. */
  rms?: number;
  /** The centre's position as text, e.g. `'18h30m04.117s -02d03m02.63s ICRS'`. */
  centerLabel?: string;
  /** Whether the pixels were resampled to north up (the figure says so). */
  resampled?: boolean;
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
  /** What one count is: a source file (its own image, not augmented copies) or a sample. */
  unit?: 'source' | 'sample';
  /** Where the evaluated data came from, e.g. `'held-out synthetic sources (test part)'`. */
  dataset?: string;
  /** 95 % bootstrap intervals of the figures, by name (`rocAuc`, `f1`, `precision`, `recall`, ...). */
  intervals?: Record<string, ReportInterval>;
  /** Precision among the k highest scores. */
  precisionAtK?: {
    /** How many of the highest scores. */
    k: number;
    /** The precision among them. */
    value: number;
  };
  /** Recall within the top fraction of scores (a review budget). */
  recallAtBudget?: {
    /** Fraction of the scores reviewed. */
    budget: number;
    /** The recall within them. */
    value: number;
  };
  /** How the threshold was chosen, e.g. `'maximum F1 on the validation sources'`. */
  thresholdFrom?: string;
  /**
   * How each score was made, e.g. `'the mean over the four axis flips of each input
   * (test-time augmentation)'`; shown under the figures.
   */
  scoring?: string;
  /** Calibration of the scores (fitted on validation data). */
  calibration?: ReportCalibration;
  /** Model-free scorers on the same sources, the figures every model must beat. */
  baselines?: ReportBaseline[];
}

/** A figure and its confidence interval. */
export interface ReportInterval {
  /** Lower end. */
  lower: number;
  /** Upper end. */
  upper: number;
}

/** One bin of a reliability diagram. */
export interface ReportReliabilityBin {
  /** Lower edge of the predicted-probability bin. */
  lower: number;
  /** Upper edge. */
  upper: number;
  /** Samples in the bin. */
  count: number;
  /** Mean predicted probability in the bin (NaN when empty). */
  meanPredicted: number;
  /** Observed fraction of positives in the bin (NaN when empty). */
  observed: number;
}

/** Calibration of the scores, measured on validation data. */
export interface ReportCalibration {
  /** Temperature fitted on validation data (1: none). */
  temperature: number;
  /** Validation log-loss before and after. */
  logLossBefore?: number;
  /** See {@link ReportCalibration.logLossBefore}. */
  logLossAfter?: number;
  /** Reliability of the calibrated validation scores. */
  bins?: ReportReliabilityBin[];
  /** Expected calibration error of the calibrated validation scores. */
  ece?: number;
}

/** A scorer the model is compared with (a model-free baseline), on the same sources. */
export interface ReportBaseline {
  /** What it is, e.g. `'elliptical-Gaussian residual (no training)'`. */
  name: string;
  /** Its ROC AUC. */
  rocAuc: number;
  /** Its ROC AUC interval, when measured. */
  rocAucInterval?: ReportInterval;
}

/** One real image the run knows the class of, scored apart from the synthetic ones. */
export interface ReportRealImage {
  /** The file (name) and, for a transformed copy, which transform (e.g. `flip-lr`). */
  file: string;
  /** Whether the model trained on it. */
  role: 'trained on' | 'held out';
  /** Its known class. */
  knownLabel: string;
  /** Its (calibrated) score. */
  score: number;
  /**
   * When `score` averages over symmetries of the input (test-time augmentation): the calibrated
   * score of one pass over this orientation alone, shown beside it.
   */
  onePass?: number;
  /** The threshold it is compared with. */
  threshold: number;
  /** Thumbnail of the model input. */
  image?: ReportImage;
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
  /** Real images of known class, reported apart from synthetic ones (never mixed into one figure). */
  realImages?: ReportRealImage[];
  /** Further evaluations on other data (e.g. an independent generator), each shown as its own block. */
  extraEvaluations?: ReportEvaluation[];
  /** Where the page's data came from (a run, a seed); shown at the top, so no figure goes unexplained. */
  provenanceNote?: string;
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
  /**
   * Lines under the file name that tell this image from others of the same file: the
   * transform (`flip-lr`, `geometric mean of …`), the object and its peak. Shown as given.
   */
  details?: string[];
  /**
   * The image's object by content (hash, HDU, peak), for pages that export label-store lines
   * (`exportFormat: 'labels'`); items without one are not exported there.
   */
  object?: ReviewObject;
  /** The transform of an augmented sample, written to its label line. */
  transform?: string;
}

/** An image's object by content, as a label line names it (the label store's `LabelObject`). */
export interface ReviewObject {
  /** Content hash of the image's data (16 hex digits). */
  hash: string;
  /** The HDU the image was read from. */
  hdu: number;
  /** The object's peak, `[row, col]` in the whole image. */
  peak: [number, number];
  /** Where the file was (a hint for finding it again). */
  path?: string;
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
