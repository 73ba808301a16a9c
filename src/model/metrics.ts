/**
 * Classification metrics from scores and labels, with no TensorFlow.js dependency. The four
 * headline figures are the thesis's equations 2.1 to 2.4:
 * recall = TP / (TP + FN), precision = TP / (TP + FP), accuracy = (TP + TN) / (TP + TN + FP + FN),
 * F1 = 2 P R / (P + R).
 */
import { ModelError } from '../core/errors.js';

/** Counts of a binary confusion matrix (positive = label 1). */
export interface ConfusionMatrix {
  /** Positives scored at or above the threshold. */
  tp: number;
  /** Negatives scored at or above the threshold. */
  fp: number;
  /** Negatives scored below the threshold. */
  tn: number;
  /** Positives scored below the threshold. */
  fn: number;
}

/** The confusion matrix as the fractions the thesis reports, each row summing to 1. */
export interface ConfusionRates {
  /** TP / (TP + FN), the true-positive rate (= recall). */
  tpr: number;
  /** FN / (TP + FN). */
  fnr: number;
  /** TN / (TN + FP), the true-negative rate. */
  tnr: number;
  /** FP / (TN + FP), the false-positive rate. */
  fpr: number;
}

/** One point of a curve traced by sweeping the threshold. */
export interface CurvePoint {
  /** Scores at or above this count as positive. */
  threshold: number;
  /** Horizontal coordinate (ROC: false-positive rate; PR: recall). */
  x: number;
  /** Vertical coordinate (ROC: true-positive rate; PR: precision). */
  y: number;
}

/** Everything {@link computeMetrics} derives from scores and labels. */
export interface Evaluation {
  /** Threshold the counts and headline figures use. */
  threshold: number;
  /** Number of samples. */
  n: number;
  /** Counts at {@link Evaluation.threshold}. */
  confusion: ConfusionMatrix;
  /** Row-normalised confusion matrix. */
  rates: ConfusionRates;
  /** TP / (TP + FN); 0 when there are no positives. */
  recall: number;
  /** TP / (TP + FP); 0 when nothing is called positive. */
  precision: number;
  /** (TP + TN) / n. */
  accuracy: number;
  /** 2 P R / (P + R); 0 when P + R = 0. */
  f1: number;
  /** Area under the ROC curve (ties count one half); NaN when only one class is present. */
  rocAuc: number;
  /** ROC curve from (0, 0) to (1, 1), one point per distinct score. */
  roc: CurvePoint[];
  /** Precision-recall curve, one point per distinct score, recall descending. */
  pr: CurvePoint[];
  /** The threshold (one of the scores) that maximises F1, and that F1. */
  bestF1: BestThreshold;
}

/** A threshold and the F1 it gives. */
export interface BestThreshold {
  /** Scores at or above this count as positive. */
  threshold: number;
  /** F1 at that threshold. */
  f1: number;
}

/** The headline figures of one confusion matrix (see {@link summarize}). */
export interface Summary {
  /** TP / (TP + FN); 0 when there are no positives. */
  recall: number;
  /** TP / (TP + FP); 0 when nothing is called positive. */
  precision: number;
  /** (TP + TN) / all; 0 for an empty matrix. */
  accuracy: number;
  /** 2 P R / (P + R); 0 when P + R = 0. */
  f1: number;
  /** Row-normalised matrix. */
  rates: ConfusionRates;
}

/** Options of {@link computeMetrics}. */
export interface MetricsOptions {
  /** Scores at or above count as positive. Default 0.5. */
  threshold: number;
}

/** Defaults of {@link MetricsOptions}. */
export const DEFAULT_METRICS_OPTIONS: MetricsOptions = { threshold: 0.5 };

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Counts at `threshold`: score >= threshold is called positive, label 1 is positive. */
export function confusionMatrix(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): ConfusionMatrix {
  const m: ConfusionMatrix = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const called = scores[i] >= threshold;
    if (labels[i] === 1) {
      if (called) m.tp++;
      else m.fn++;
    } else if (called) m.fp++;
    else m.tn++;
  }
  return m;
}

/** Recall, precision, accuracy and F1 of a confusion matrix (thesis equations 2.1 to 2.4). */
export function summarize(m: ConfusionMatrix): Summary {
  const recall = ratio(m.tp, m.tp + m.fn);
  const precision = ratio(m.tp, m.tp + m.fp);
  return {
    recall,
    precision,
    accuracy: ratio(m.tp + m.tn, m.tp + m.tn + m.fp + m.fn),
    f1: ratio(2 * precision * recall, precision + recall),
    rates: {
      tpr: recall,
      fnr: ratio(m.fn, m.tp + m.fn),
      tnr: ratio(m.tn, m.tn + m.fp),
      fpr: ratio(m.fp, m.tn + m.fp),
    },
  };
}

/**
 * All metrics of binary scores against labels (1 = positive, anything else negative).
 *
 * @param scores - positive-class score per sample; NaN is refused (`ModelError`), since a NaN
 *   score means NaN reached the model.
 * @param labels - class index per sample, same length.
 */
export function computeMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: Partial<MetricsOptions> = {},
): Evaluation {
  const { threshold } = { ...DEFAULT_METRICS_OPTIONS, ...options };
  const n = scores.length;
  if (labels.length !== n) {
    throw new ModelError(`metrics: ${n} scores but ${labels.length} labels`);
  }
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i])) throw new ModelError(`metrics: score ${i} is NaN`);
  }
  const confusion = confusionMatrix(scores, labels, threshold);
  const s = summarize(confusion);
  const pos = confusion.tp + confusion.fn;
  const neg = confusion.tn + confusion.fp;

  // Sweep thresholds from the highest score down; samples with equal scores move together.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const roc: CurvePoint[] = [{ threshold: Infinity, x: 0, y: 0 }];
  const pr: CurvePoint[] = [];
  let tp = 0;
  let fp = 0;
  let auc = 0;
  let best: BestThreshold = { threshold: Infinity, f1: 0 };
  for (let k = 0; k < n;) {
    const t = scores[order[k]];
    const tp0 = tp;
    const fp0 = fp;
    for (; k < n && scores[order[k]] === t; k++) {
      if (labels[order[k]] === 1) tp++;
      else fp++;
    }
    // Trapezoid between the previous and this point; a vertical+horizontal mix is a tie (1/2).
    auc += (fp - fp0) * (tp + tp0) * 0.5;
    roc.push({ threshold: t, x: ratio(fp, neg), y: ratio(tp, pos) });
    const p = ratio(tp, tp + fp);
    const r = ratio(tp, pos);
    pr.push({ threshold: t, x: r, y: p });
    const f1 = ratio(2 * p * r, p + r);
    if (f1 > best.f1) best = { threshold: t, f1 };
  }
  pr.reverse();
  return {
    threshold,
    n,
    confusion,
    rates: s.rates,
    recall: s.recall,
    precision: s.precision,
    accuracy: s.accuracy,
    f1: s.f1,
    rocAuc: pos === 0 || neg === 0 ? NaN : auc / (pos * neg),
    roc,
    pr,
    bestF1: best,
  };
}
