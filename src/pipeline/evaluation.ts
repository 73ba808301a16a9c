/**
 * Evaluation per source file: what an astronomer can trust. A source's score is that of its own
 * image (not of its augmented copies, which are not independent evidence), scores are calibrated
 * with the temperature fitted on validation data, the threshold comes from validation data, and
 * every figure carries a bootstrap interval over sources. Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../dataset/dataset.js';
import { applyTemperature } from '../model/calibration.js';
import {
  bootstrapMetrics,
  computeMetrics,
  precisionAtK,
  recallAtBudget,
  type BootstrapResult,
  type Evaluation,
} from '../model/metrics.js';
import { predict } from '../model/predict.js';
import { predictTTA, type DihedralTransform } from '../model/tta.js';
import { sourceScores, type SourceFileScore } from '../model/source-metrics.js';

/** Options of {@link evaluateSources}. */
export interface SourceEvaluationOptions {
  /** Scores at or above count as positive: the threshold chosen on validation data. Default 0.5. */
  threshold: number;
  /** Temperature of the calibration fitted on validation data (1: none). Default 1. */
  temperature: number;
  /**
   * Average each image's score over symmetries of the square (test-time augmentation): `true`
   * all eight flips and 90° rotations, a list those (e.g. `AXIS_FLIPS` for aligned inputs).
   * Default false.
   */
  tta: boolean | readonly DihedralTransform[];
  /** `k` of precision in the top k. Default 10. */
  k: number;
  /** Review budget (fraction of sources) of recall within budget. Default 0.1. */
  budget: number;
  /** Bootstrap resamples for the 95 % intervals; 0 skips them. Default 2000. */
  resamples: number;
  /** Seed of the bootstrap. Default 0. */
  seed: number;
  /** Images per forward pass. Default 32. */
  batchSize: number;
}

/** Defaults of {@link SourceEvaluationOptions}. */
export const DEFAULT_SOURCE_EVALUATION_OPTIONS: SourceEvaluationOptions = {
  threshold: 0.5,
  temperature: 1,
  tta: false,
  k: 10,
  budget: 0.1,
  resamples: 2000,
  seed: 0,
  batchSize: 32,
};

/** What {@link evaluateSources} measured. */
export interface SourceEvaluation {
  /** The metrics over sources (one calibrated score per source file) at `threshold`. */
  metrics: Evaluation;
  /** Precision among the `k` highest-scoring sources. */
  precisionAtK: number;
  /** `k` of {@link SourceEvaluation.precisionAtK}. */
  k: number;
  /** Recall within the top `budget` fraction of sources. */
  recallAtBudget: number;
  /** Fraction of sources reviewed for {@link SourceEvaluation.recallAtBudget}. */
  budget: number;
  /** 95 % bootstrap intervals over sources, when `resamples` > 0 and both classes are present. */
  intervals?: BootstrapResult;
  /** Each source with its calibrated score, label and the number of samples it had. */
  sources: SourceFileScore[];
  /** Samples left out: geometric means of two sources (not any one file's own image). */
  skipped: number;
  /** Threshold used. */
  threshold: number;
  /** Temperature used. */
  temperature: number;
  /** The symmetries the scores were averaged over (`false`: none, `true`: all eight). */
  tta: boolean | readonly DihedralTransform[];
  /** Warnings, e.g. a class missing from the evaluated sources. */
  warnings: string[];
}

/**
 * Scores every sample of `ds`, keeps each source file's own score (its base sample; see
 * `sourceScores`), calibrates it with `temperature` and measures ROC AUC, F1, precision and
 * recall at `threshold`, precision in the top k and recall within the review budget, with
 * bootstrap intervals over sources. Fit `threshold` and `temperature` on validation data
 * (`trainFromDataset` does), never on the data evaluated here.
 *
 * @param model - the trained model
 * @param ds - the sources to evaluate (a test or validation part)
 * @param opts - see {@link SourceEvaluationOptions}
 */
export async function evaluateSources(
  model: tf.LayersModel,
  ds: Dataset,
  opts: Partial<SourceEvaluationOptions> = {},
): Promise<SourceEvaluation> {
  const o = { ...DEFAULT_SOURCE_EVALUATION_OPTIONS, ...opts };
  const raw =
    ds.labels.length === 0
      ? new Float32Array(0)
      : o.tta
        ? await predictTTA(model, ds, {
            batchSize: o.batchSize,
            ...(Array.isArray(o.tta) ? { transforms: o.tta } : {}),
          })
        : await predict(model, ds, { batchSize: o.batchSize });
  return sourceEvaluationFromScores(raw, ds, o);
}

/**
 * {@link evaluateSources} on scores already computed for every sample of `ds` (uncalibrated
 * model outputs, in sample order).
 *
 * @param scores - the model's positive-class score per sample of `ds`
 * @param ds - the samples' dataset (labels and provenance)
 * @param opts - see {@link SourceEvaluationOptions}
 */
export function sourceEvaluationFromScores(
  scores: ArrayLike<number>,
  ds: Pick<Dataset, 'labels' | 'samples' | 'classNames'>,
  opts: Partial<SourceEvaluationOptions> = {},
): SourceEvaluation {
  const o = { ...DEFAULT_SOURCE_EVALUATION_OPTIONS, ...opts };
  const calibrated = o.temperature === 1 ? scores : applyTemperature(scores, o.temperature);
  const per = sourceScores(calibrated, ds.samples, { labels: ds.labels });
  const warnings: string[] = [];
  const pos = per.labels.reduce((a, l) => a + (l === 1 ? 1 : 0), 0);
  const neg = per.labels.length - pos;
  const target = ds.classNames[ds.classNames.length - 1] ?? 'positive';
  if (per.labels.length > 0 && (pos === 0 || neg === 0)) {
    warnings.push(
      `the evaluated sources hold no ${pos === 0 ? target : 'negative'} source: ROC AUC and ${pos === 0 ? 'recall' : 'precision'} are undefined`,
    );
  }
  const metrics = computeMetrics(per.scores, per.labels, { threshold: o.threshold });
  const n = per.scores.length;
  const result: SourceEvaluation = {
    metrics,
    precisionAtK: n > 0 ? precisionAtK(per.scores, per.labels, o.k) : NaN,
    k: o.k,
    recallAtBudget: n > 0 && pos > 0 ? recallAtBudget(per.scores, per.labels, o.budget) : NaN,
    budget: o.budget,
    sources: per.sources,
    skipped: per.skipped,
    threshold: o.threshold,
    temperature: o.temperature,
    tta: o.tta,
    warnings,
  };
  if (o.resamples > 0 && pos > 0 && neg > 0) {
    result.intervals = bootstrapMetrics(per.scores, per.labels, {
      resamples: o.resamples,
      seed: o.seed,
      threshold: o.threshold,
      k: o.k,
      budget: o.budget,
    });
  }
  return result;
}

/** One line of figures with their intervals, for logs: `ROC AUC 0.93 [0.88, 0.97] · F1 ...`. */
export function formatSourceEvaluation(e: SourceEvaluation): string {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
  const ci = (name: 'rocAuc' | 'f1' | 'precision' | 'recall'): string => {
    const i = e.intervals?.metrics[name];
    return i !== undefined && Number.isFinite(i.lower) ? ` [${f(i.lower)}, ${f(i.upper)}]` : '';
  };
  const m = e.metrics;
  return (
    `${m.n} sources: ROC AUC ${f(m.rocAuc)}${ci('rocAuc')}, F1 ${f(m.f1)}${ci('f1')}, ` +
    `precision ${f(m.precision)}${ci('precision')}, recall ${f(m.recall)}${ci('recall')} ` +
    `at threshold ${f(e.threshold)}; precision in the top ${e.k} ${f(e.precisionAtK)}, ` +
    `recall within the top ${Math.round(100 * e.budget)} % ${f(e.recallAtBudget)}`
  );
}
