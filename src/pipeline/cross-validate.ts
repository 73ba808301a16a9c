/**
 * Grouped k-fold cross-validation of a training recipe: one model per fold, each trained,
 * calibrated and thresholded on its own training and validation sources and evaluated per
 * source on its test sources, which no other fold tests on. Browser-safe.
 */
import { concatDatasets, type Dataset } from '../dataset/dataset.js';
import type { TargetProfile } from '../dataset/profile.js';
import { groupedKFold } from '../dataset/split.js';
import type { ModelConfig, TrainConfig } from '../model/config.js';
import { computeMetrics, summarizeSpread, type Spread } from '../model/metrics.js';
import type { SourceEvaluation, SourceEvaluationOptions } from './evaluation.js';
import { trainAndCalibrate } from './train-flow.js';

/** Options of {@link crossValidate}. */
export interface CrossValidateOptions {
  /** The recipe: profile (model and training settings). */
  profile: TargetProfile;
  /** Number of folds. Default 5. */
  k?: number;
  /** Seed of the folds (and, offset per fold, of training). Default 0. */
  seed?: number;
  /** Fraction of each fold's training sources used for validation. Default 0.2. */
  validation?: number;
  /** Model settings over the profile's. */
  model?: Partial<ModelConfig>;
  /** Training settings over the profile's. */
  train?: Partial<TrainConfig>;
  /** Options of each fold's test evaluation. */
  evaluation?: Partial<SourceEvaluationOptions>;
  /** Called after each fold. */
  onFold?: (fold: FoldResult) => void;
  /** Called with each warning. */
  onWarning?: (message: string, source?: string) => void;
}

/** One fold of {@link crossValidate}. */
export interface FoldResult {
  /** Fold index, from 0. */
  fold: number;
  /** Test figures per source of the fold's model. */
  evaluation?: SourceEvaluation;
  /** Threshold and temperature fitted on the fold's validation sources. */
  threshold: number;
  /** See {@link FoldResult.threshold}. */
  temperature: number;
  /** Samples in each part of the fold. */
  sizes: {
    /** Training samples. */
    train: number;
    /** Validation samples. */
    validation: number;
    /** Test samples. */
    test: number;
  };
  /** Training wall time, ms. */
  ms: number;
}

/** What {@link crossValidate} returns. */
export interface CrossValidation {
  /** The folds, in order. */
  folds: FoldResult[];
  /** Spread over folds of ROC AUC, F1, precision, recall (per source, at each fold's threshold). */
  summary: Record<
    'rocAuc' | 'f1' | 'precision' | 'recall' | 'precisionAtK' | 'recallAtBudget',
    Spread
  >;
  /** ROC AUC and F1 over all folds' test sources pooled (each source scored by its fold's model). */
  pooled: {
    /** ROC AUC of the pooled scores. */
    rocAuc: number;
    /** Test sources pooled. */
    sources: number;
  };
  /** Total wall time, ms. */
  ms: number;
}

/**
 * Grouped k-fold cross-validation (see `groupedKFold`): every source is tested exactly once, by
 * a model that never saw it, and no fold fits anything on its test sources.
 *
 * @param ds - the dataset
 * @param opts - see {@link CrossValidateOptions}
 */
export async function crossValidate(
  ds: Dataset,
  opts: CrossValidateOptions,
): Promise<CrossValidation> {
  const t0 = performance.now();
  const k = opts.k ?? 5;
  const seed = opts.seed ?? 0;
  const folds = groupedKFold(ds, {
    k,
    seed,
    validation: opts.validation ?? 0.2,
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
  });
  const results: FoldResult[] = [];
  const pooledScores: number[] = [];
  const pooledLabels: number[] = [];
  for (const f of folds) {
    const t = performance.now();
    // The fold's parts, each sample marked with its part, so trainAndCalibrate keeps them.
    const marked = concatDatasets([f.train, f.validation, f.test]);
    const r = await trainAndCalibrate(marked, {
      profile: opts.profile,
      train: {
        ...opts.train,
        seed: (opts.train?.seed ?? opts.profile.train.seed ?? 1) + 7919 * f.fold,
      },
      ...(opts.model ? { model: opts.model } : {}),
      ...(opts.evaluation ? { evaluation: opts.evaluation } : {}),
      ...(opts.onWarning
        ? {
            onWarning: (m: string, source?: string) =>
              opts.onWarning?.(`fold ${f.fold + 1}: ${m}`, source),
          }
        : {}),
    });
    r.model.dispose();
    const result: FoldResult = {
      fold: f.fold,
      ...(r.evaluation ? { evaluation: r.evaluation } : {}),
      threshold: r.meta.threshold ?? opts.profile.threshold,
      temperature: r.meta.calibration?.temperature ?? 1,
      sizes: r.sizes,
      ms: performance.now() - t,
    };
    for (const s of r.evaluation?.sources ?? []) {
      pooledScores.push(s.score);
      pooledLabels.push(s.label);
    }
    results.push(result);
    opts.onFold?.(result);
  }
  const pick = (fn: (e: SourceEvaluation) => number): Spread =>
    summarizeSpread(
      results.map((r) => (r.evaluation ? fn(r.evaluation) : NaN)).filter((v) => Number.isFinite(v)),
    );
  const pooled = computeMetrics(pooledScores, pooledLabels);
  return {
    folds: results,
    summary: {
      rocAuc: pick((e) => e.metrics.rocAuc),
      f1: pick((e) => e.metrics.f1),
      precision: pick((e) => e.metrics.precision),
      recall: pick((e) => e.metrics.recall),
      precisionAtK: pick((e) => e.precisionAtK),
      recallAtBudget: pick((e) => e.recallAtBudget),
    },
    pooled: { rocAuc: pooled.rocAuc, sources: pooledScores.length },
    ms: performance.now() - t0,
  };
}

/** A few lines summarising a cross-validation, for logs. */
export function formatCrossValidation(cv: CrossValidation): string {
  const f = (s: Spread): string =>
    s.n === 0
      ? 'n/a'
      : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)} (${s.min.toFixed(3)}–${s.max.toFixed(3)})`;
  return [
    `${cv.folds.length}-fold grouped cross-validation, ${cv.pooled.sources} test sources, ${(cv.ms / 1000).toFixed(1)} s`,
    `  ROC AUC   ${f(cv.summary.rocAuc)}   pooled ${cv.pooled.rocAuc.toFixed(3)}`,
    `  F1        ${f(cv.summary.f1)}`,
    `  precision ${f(cv.summary.precision)}`,
    `  recall    ${f(cv.summary.recall)}`,
  ].join('\n');
}
