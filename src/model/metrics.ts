/**
 * Classification metrics from scores and labels, with no TensorFlow.js dependency. The four
 * headline figures are the thesis's equations 2.1 to 2.4:
 * recall = TP / (TP + FN), precision = TP / (TP + FP), accuracy = (TP + TN) / (TP + TN + FP + FN),
 * F1 = 2 P R / (P + R).
 */
import { ModelError } from '../core/errors.js';
import { createRng } from '../core/random.js';

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

/** Refuses mismatched lengths, empty input and NaN scores, naming the calling function. */
function checkScores(fn: string, scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (labels.length !== scores.length) {
    throw new ModelError(`${fn}: ${scores.length} scores but ${labels.length} labels`);
  }
  if (scores.length === 0) throw new ModelError(`${fn}: no scores`);
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new ModelError(`${fn}: score ${i} is NaN`);
  }
}

/** Sample indices by score, highest first; equal scores keep their input order. */
function rankOrder(scores: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}

/** What one pass down a ranking gives (see {@link rankPass}); counts are weighted. */
interface RankPass {
  /** Total weight of positives and of negatives. */
  pos: number;
  neg: number;
  /** Weight of positives and negatives scored at or above the threshold. */
  tp: number;
  fp: number;
  /** Area under the ROC curve (ties one half); NaN with one class only. */
  auc: number;
  /** The top counts asked for. */
  cuts: number[];
  /** Positives among the first `cuts[j]` samples, a tie block at the cut counted pro rata. */
  found: number[];
}

/**
 * One walk down the ranking with a multiplicity per sample (bootstrap resamples; all 1 for the
 * data as given). The cut of a top-`m` count can fall inside a block of equal scores; the block
 * then adds its positives in proportion to the part of it inside the cut, which is the expected
 * count over every order of the tied samples, so the figure never depends on input order.
 *
 * @param tops - how many of the total weight `w` each top count takes, as a function of `w`
 */
function rankPass(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  order: Int32Array,
  weights: Float64Array | undefined,
  threshold: number,
  tops: (total: number) => number[],
): RankPass {
  const n = order.length;
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    if (labels[i] === 1) pos += w;
    else neg += w;
  }
  const cuts = tops(pos + neg);
  const found = cuts.map(() => 0);
  let tp = 0;
  let fp = 0;
  let tpT = 0;
  let fpT = 0;
  let auc = 0;
  for (let k = 0; k < n;) {
    const t = scores[order[k]];
    const tp0 = tp;
    const fp0 = fp;
    for (; k < n && scores[order[k]] === t; k++) {
      const i = order[k];
      const w = weights ? weights[i] : 1;
      if (labels[i] === 1) tp += w;
      else fp += w;
    }
    const before = tp0 + fp0;
    const block = tp + fp - before;
    if (block > 0) {
      cuts.forEach((m, j) => {
        if (m > before && m < before + block) found[j] = tp0 + ((tp - tp0) * (m - before)) / block;
        else if (m >= before + block) found[j] = tp;
      });
    }
    auc += (fp - fp0) * (tp + tp0) * 0.5;
    if (t >= threshold) {
      tpT = tp;
      fpT = fp;
    }
  }
  return {
    pos,
    neg,
    tp: tpT,
    fp: fpT,
    auc: pos === 0 || neg === 0 ? NaN : auc / (pos * neg),
    cuts,
    found,
  };
}

/** Samples an astronomer reviews out of `total` for a budget `fraction`: ⌈fraction·total⌉, at least 1. */
function budgetCount(total: number, fraction: number): number {
  // The small tolerance keeps 0.1 × 30 at 3 although it is 3.0000000000000004 in floating point.
  return Math.max(1, Math.ceil(fraction * total - 1e-9));
}

function checkK(fn: string, k: number): void {
  if (!Number.isInteger(k) || k < 1) {
    throw new RangeError(`${fn}: k must be a positive integer, got ${k}`);
  }
}

function checkBudget(fn: string, fraction: number): void {
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`${fn}: the budget fraction must lie in (0, 1], got ${fraction}`);
  }
}

/**
 * Precision in the top `k` of the ranking: the fraction of positives (label 1) among the `k`
 * highest scores, what an astronomer finds reviewing the first `k` candidates. When the `k`-th
 * place falls inside a run of equal scores, that run counts in proportion to the part of it
 * inside the top `k` (the mean over every order of the tied samples), so the result depends on
 * the scores alone, never on the order the samples come in. `k` above the number of samples is
 * taken as all of them.
 *
 * @param scores - positive-class score per sample; NaN is refused
 * @param labels - class per sample (1 positive, anything else negative)
 * @param k - how many top-ranked samples are reviewed, a positive integer
 * @throws ModelError on NaN scores, mismatched lengths or no samples; RangeError on a bad `k`
 */
export function precisionAtK(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  k: number,
): number {
  checkScores('precisionAtK', scores, labels);
  checkK('precisionAtK', k);
  const m = Math.min(k, scores.length);
  const pass = rankPass(scores, labels, rankOrder(scores), undefined, Infinity, () => [m]);
  return pass.found[0] / m;
}

/** The review budget {@link recallAtBudget} uses by default: the top 10 % of scores. */
export const DEFAULT_RECALL_BUDGET = 0.1;

/**
 * Recall within a review budget: the fraction of all positives found among the
 * ⌈`fraction` · n⌉ highest scores (at least one sample), i.e. what an astronomer who reviews
 * the top 10 % of the ranking finds of everything there is to find. Ties at the cut count pro
 * rata as in {@link precisionAtK}.
 *
 * @param scores - positive-class score per sample; NaN is refused
 * @param labels - class per sample (1 positive, anything else negative)
 * @param fraction - share of the samples reviewed, in (0, 1]; default {@link DEFAULT_RECALL_BUDGET}
 * @returns the recall in [0, 1]; NaN when there are no positives
 * @throws ModelError on NaN scores, mismatched lengths or no samples; RangeError on a bad fraction
 */
export function recallAtBudget(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  fraction = DEFAULT_RECALL_BUDGET,
): number {
  checkScores('recallAtBudget', scores, labels);
  checkBudget('recallAtBudget', fraction);
  const pass = rankPass(scores, labels, rankOrder(scores), undefined, Infinity, (w) => [
    budgetCount(w, fraction),
  ]);
  return pass.pos === 0 ? NaN : pass.found[0] / pass.pos;
}

/** How {@link chooseThreshold} picks: best F1, or the highest threshold that reaches a recall. */
export type ThresholdRule = 'f1' | 'recall';

/** Options of {@link chooseThreshold}. */
export interface ThresholdOptions {
  /** `'f1'` (default): maximise F1. `'recall'`: the highest threshold whose recall reaches `minRecall`. */
  rule: ThresholdRule;
  /** The recall the `'recall'` rule must reach, in (0, 1]. Default 0.9. */
  minRecall: number;
}

/** Defaults of {@link ThresholdOptions}. */
export const DEFAULT_THRESHOLD_OPTIONS: ThresholdOptions = { rule: 'f1', minRecall: 0.9 };

/** A threshold chosen by {@link chooseThreshold}, with the figures it gives on the data it was fitted on. */
export interface ThresholdChoice {
  /** Scores at or above count as positive; lies between two fitted scores (see {@link chooseThreshold}). */
  threshold: number;
  /** The lowest score called positive on the fitted data. */
  score: number;
  /** The rule used. */
  rule: ThresholdRule;
  /** Precision on the fitted data at `threshold`. */
  precision: number;
  /** Recall on the fitted data at `threshold`. */
  recall: number;
  /** F1 on the fitted data at `threshold`. */
  f1: number;
}

/**
 * Choose a decision threshold from **validation** scores. Fit it on the validation part only,
 * never on the test part: a threshold fitted on the data it is scored on makes the reported F1
 * an optimistic maximum instead of a measurement. The sweep goes down the distinct scores;
 * `'f1'` takes the score with the highest F1 (the highest such score on a tie), `'recall'` the
 * highest score whose recall reaches `minRecall` (the fewest candidates to review for that
 * recall). The threshold returned is the midpoint between that score and the next lower
 * distinct score, so it classifies the fitted data exactly as the score would while leaving a
 * margin on both sides for new data; when the chosen score is the lowest one, it is returned
 * itself.
 *
 * @param valScores - positive-class scores of the validation samples; NaN is refused
 * @param valLabels - their classes (1 positive, anything else negative)
 * @param opts - see {@link ThresholdOptions}
 * @throws ModelError on NaN scores, mismatched lengths, no samples or no positives;
 *   RangeError on a `minRecall` outside (0, 1]
 */
export function chooseThreshold(
  valScores: ArrayLike<number>,
  valLabels: ArrayLike<number>,
  opts: Partial<ThresholdOptions> = {},
): ThresholdChoice {
  const o = { ...DEFAULT_THRESHOLD_OPTIONS, ...opts };
  checkScores('chooseThreshold', valScores, valLabels);
  if (o.rule !== 'f1' && o.rule !== 'recall') {
    throw new RangeError(`chooseThreshold: rule must be 'f1' or 'recall', got '${String(o.rule)}'`);
  }
  if (typeof o.minRecall !== 'number' || !(o.minRecall > 0 && o.minRecall <= 1)) {
    throw new RangeError(`chooseThreshold: minRecall must lie in (0, 1], got ${o.minRecall}`);
  }
  const n = valScores.length;
  let pos = 0;
  for (let i = 0; i < n; i++) if (valLabels[i] === 1) pos++;
  if (pos === 0) {
    throw new ModelError(
      'chooseThreshold: the validation data has no positives, so no threshold can be fitted',
    );
  }
  const order = rankOrder(valScores);
  let best: ThresholdChoice | undefined;
  let bestAt = 0;
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n;) {
    const t = valScores[order[k]];
    for (; k < n && valScores[order[k]] === t; k++) {
      if (valLabels[order[k]] === 1) tp++;
      else fp++;
    }
    const precision = tp / (tp + fp);
    const recall = tp / pos;
    const f1 = ratio(2 * precision * recall, precision + recall);
    const take =
      o.rule === 'f1' ? best === undefined || f1 > best.f1 : recall >= o.minRecall - 1e-12;
    if (take) {
      best = { threshold: t, score: t, rule: o.rule, precision, recall, f1 };
      bestAt = k;
    }
    if (o.rule === 'recall' && take) break;
  }
  // The recall rule always stops: the lowest score gives recall 1.
  const choice = best as ThresholdChoice;
  if (bestAt < n) {
    const lower = valScores[order[bestAt]];
    const mid = choice.score / 2 + lower / 2;
    // Adjacent floating-point scores can round the midpoint onto the lower one; keep the score then.
    if (mid > lower && mid <= choice.score) choice.threshold = mid;
  }
  return choice;
}

/** Mean, spread and range of a few repeated measurements (see {@link summarizeSpread}). */
export interface Spread {
  /** Arithmetic mean. */
  mean: number;
  /** Sample standard deviation (divides by n − 1); 0 for one value. */
  std: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
  /** Number of values. */
  n: number;
}

/**
 * Mean, sample standard deviation (n − 1), minimum and maximum of repeated measurements, e.g.
 * one figure over training seeds. A NaN among the values makes every field NaN (a failed run
 * is not silently left out); no values give NaN fields and `n` 0.
 *
 * @param values - the measurements
 */
export function summarizeSpread(values: readonly number[]): Spread {
  const n = values.length;
  if (n === 0 || values.some(Number.isNaN)) {
    return { mean: NaN, std: NaN, min: NaN, max: NaN, n };
  }
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const ss = values.reduce((a, v) => a + (v - mean) ** 2, 0);
  return {
    mean,
    std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0,
    min: Math.min(...values),
    max: Math.max(...values),
    n,
  };
}

/** The figures {@link bootstrapMetrics} gives intervals for. */
export type BootstrapMetricName =
  'rocAuc' | 'f1' | 'precision' | 'recall' | 'precisionAtK' | 'recallAtBudget';

/** Options of {@link bootstrapMetrics}. */
export interface BootstrapOptions {
  /** Number of resamples. Default 2000. */
  resamples: number;
  /** Seed of the resampling ({@link createRng}). Default 0. */
  seed: number;
  /** Coverage of the percentile intervals, in (0, 1). Default 0.95. */
  level: number;
  /**
   * The resampling unit of each sample, e.g. its source file: samples of one group are drawn
   * together, since augmented copies of one image are not independent evidence. Default: each
   * sample is its own unit.
   */
  groups?: ArrayLike<string | number>;
  /** Threshold of F1, precision and recall (scores at or above are positive). Default 0.5. */
  threshold: number;
  /** `k` of precision at k. Default 10. */
  k: number;
  /** Review budget of recall at budget, a fraction of the samples. Default 0.1. */
  budget: number;
}

/** Defaults of {@link BootstrapOptions}. */
export const DEFAULT_BOOTSTRAP_OPTIONS: BootstrapOptions = {
  resamples: 2000,
  seed: 0,
  level: 0.95,
  threshold: 0.5,
  k: 10,
  budget: DEFAULT_RECALL_BUDGET,
};

/** A figure measured on the data and its bootstrap percentile interval. */
export interface ConfidenceInterval {
  /** The figure on the data as given. */
  estimate: number;
  /** Lower end of the interval. */
  lower: number;
  /** Upper end of the interval. */
  upper: number;
  /** Resamples in which the figure was defined (not NaN); the interval uses only those. */
  valid: number;
}

/** What {@link bootstrapMetrics} returns. */
export interface BootstrapResult {
  /** Each figure with its interval. */
  metrics: Record<BootstrapMetricName, ConfidenceInterval>;
  /** Coverage of the intervals. */
  level: number;
  /** Number of resamples drawn. */
  resamples: number;
  /** `'group'` when `groups` were given, else `'sample'`. */
  unit: 'group' | 'sample';
  /** Resampling units of each class (a group's class is that of its first sample). */
  positiveUnits: number;
  /** See {@link BootstrapResult.positiveUnits}. */
  negativeUnits: number;
}

const BOOTSTRAP_NAMES: BootstrapMetricName[] = [
  'rocAuc',
  'f1',
  'precision',
  'recall',
  'precisionAtK',
  'recallAtBudget',
];

/** The bootstrap figures of one weighted pass. */
function passFigures(p: RankPass): Record<BootstrapMetricName, number> {
  const recall = ratio(p.tp, p.pos);
  const precision = ratio(p.tp, p.tp + p.fp);
  return {
    rocAuc: p.auc,
    f1: ratio(2 * precision * recall, precision + recall),
    precision,
    recall,
    precisionAtK: p.found[0] / p.cuts[0],
    recallAtBudget: p.pos === 0 ? NaN : p.found[1] / p.pos,
  };
}

/** Linear-interpolation quantile (the default of numpy and R type 7) of sorted values. */
function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Bootstrap percentile intervals of ROC AUC, F1, precision and recall at a threshold,
 * precision at k and recall within a review budget. Each resample draws units with
 * replacement, **stratified by class**: as many positive units as the data has, from the
 * positive units, and as many negative ones from the negative units, so every resample holds
 * both classes and ROC AUC is always defined; the class balance is then fixed, which is what a
 * test set of given composition measures. With `groups`, the units are groups (source files):
 * a drawn group brings all its samples, so correlated copies of one image never pass for
 * independent evidence (a group's class is that of its first sample). The interval is the
 * `(1 − level) / 2` and `(1 + level) / 2` quantiles of the resampled figures (linear
 * interpolation); the estimate is the figure on the data as given. Precision at k takes `k`
 * samples of each resample (or all when fewer); recall at budget, ⌈budget · n⌉ of the
 * resample's n samples. Seeded: the same seed gives the same intervals.
 *
 * @param scores - positive-class score per sample; NaN is refused
 * @param labels - class per sample (1 positive, anything else negative)
 * @param opts - see {@link BootstrapOptions}
 * @throws ModelError on NaN scores, mismatched lengths, or data without both classes;
 *   RangeError on bad option values
 */
export function bootstrapMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: Partial<BootstrapOptions> = {},
): BootstrapResult {
  const o = { ...DEFAULT_BOOTSTRAP_OPTIONS, ...opts };
  checkScores('bootstrapMetrics', scores, labels);
  if (!Number.isInteger(o.resamples) || o.resamples < 1) {
    throw new RangeError(
      `bootstrapMetrics: resamples must be a positive integer, got ${o.resamples}`,
    );
  }
  if (typeof o.level !== 'number' || !(o.level > 0 && o.level < 1)) {
    throw new RangeError(`bootstrapMetrics: level must lie in (0, 1), got ${o.level}`);
  }
  checkK('bootstrapMetrics', o.k);
  checkBudget('bootstrapMetrics', o.budget);
  const n = scores.length;
  if (o.groups !== undefined && o.groups.length !== n) {
    throw new ModelError(`bootstrapMetrics: ${n} scores but ${o.groups.length} groups`);
  }

  // Units: lists of sample indices, split by class.
  const members: number[][] = [];
  if (o.groups === undefined) {
    for (let i = 0; i < n; i++) members.push([i]);
  } else {
    const byKey = new Map<string | number, number[]>();
    for (let i = 0; i < n; i++) {
      const key = o.groups[i];
      const list = byKey.get(key);
      if (list) list.push(i);
      else byKey.set(key, [i]);
    }
    members.push(...byKey.values());
  }
  const posUnits = members.filter((m) => labels[m[0]] === 1);
  const negUnits = members.filter((m) => labels[m[0]] !== 1);
  if (posUnits.length === 0 || negUnits.length === 0) {
    throw new ModelError(
      `bootstrapMetrics: needs both classes, got ${posUnits.length} positive and ${negUnits.length} negative ${o.groups ? 'groups' : 'samples'}`,
    );
  }

  const order = rankOrder(scores);
  const tops = (w: number): number[] => [Math.min(o.k, w), budgetCount(w, o.budget)];
  const estimate = passFigures(rankPass(scores, labels, order, undefined, o.threshold, tops));
  const draws = Object.fromEntries(
    BOOTSTRAP_NAMES.map((name) => [name, new Float64Array(o.resamples)]),
  ) as Record<BootstrapMetricName, Float64Array>;
  const rng = createRng(o.seed);
  const weights = new Float64Array(n);
  const draw = (units: number[][]): void => {
    for (let d = 0; d < units.length; d++) {
      for (const i of units[rng.int(0, units.length - 1)]) weights[i] += 1;
    }
  };
  for (let r = 0; r < o.resamples; r++) {
    weights.fill(0);
    draw(posUnits);
    draw(negUnits);
    const fig = passFigures(rankPass(scores, labels, order, weights, o.threshold, tops));
    for (const name of BOOTSTRAP_NAMES) draws[name][r] = fig[name];
  }
  const lo = (1 - o.level) / 2;
  const metrics = {} as Record<BootstrapMetricName, ConfidenceInterval>;
  for (const name of BOOTSTRAP_NAMES) {
    const finite = draws[name].filter((v) => !Number.isNaN(v)).sort();
    metrics[name] = {
      estimate: estimate[name],
      lower: quantileSorted(finite, lo),
      upper: quantileSorted(finite, 1 - lo),
      valid: finite.length,
    };
  }
  return {
    metrics,
    level: o.level,
    resamples: o.resamples,
    unit: o.groups === undefined ? 'sample' : 'group',
    positiveUnits: posUnits.length,
    negativeUnits: negUnits.length,
  };
}
