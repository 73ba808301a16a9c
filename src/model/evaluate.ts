import type * as tf from '@tensorflow/tfjs';
import type { TensorData } from './config.js';
import { checkLabels, modelClasses } from './data.js';
import { computeMetrics, type Evaluation } from './metrics.js';
import { predict } from './predict.js';

/** Options of {@link evaluateModel}. */
export interface EvaluateOptions {
  /** Scores at or above count as positive. Default 0.5. */
  threshold: number;
  /** Images per forward pass. Default 32. */
  batchSize: number;
}

/** Defaults of {@link EvaluateOptions}. */
export const DEFAULT_EVALUATE_OPTIONS: EvaluateOptions = { threshold: 0.5, batchSize: 32 };

/**
 * Scores `data` with `model` and compares with its labels (class 1 positive, every other class
 * negative): confusion matrix counts and rates, recall, precision, accuracy and F1 (thesis
 * equations 2.1 to 2.4), ROC AUC, the ROC and precision-recall curves, and the F1-maximising
 * threshold. See `computeMetrics` for the same on scores you already have.
 *
 * @throws ModelError on shape or label mismatches or NaN pixels.
 */
export async function evaluateModel(
  model: tf.LayersModel,
  data: TensorData,
  options: Partial<EvaluateOptions> = {},
): Promise<Evaluation> {
  const opts: EvaluateOptions = { ...DEFAULT_EVALUATE_OPTIONS, ...options };
  checkLabels(data, modelClasses(model), 'evaluation data');
  const scores = await predict(model, data, { batchSize: opts.batchSize });
  return computeMetrics(scores, data.labels, { threshold: opts.threshold });
}
