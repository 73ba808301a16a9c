import { describe, expect, it } from 'vitest';
import { computeMetrics, confusionMatrix, summarize } from '../src/model/metrics.js';
import { ModelError } from '../src/core/errors.js';

describe('computeMetrics', () => {
  // Hand-built: 4 positives (3 called), 6 negatives (1 called) at threshold 0.5.
  const scores = [0.9, 0.8, 0.6, 0.2, 0.7, 0.4, 0.3, 0.1, 0.05, 0.45];
  const labels = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];

  it('counts the confusion matrix at the threshold (score >= threshold is positive)', () => {
    expect(confusionMatrix(scores, labels, 0.5)).toEqual({ tp: 3, fn: 1, fp: 1, tn: 5 });
    expect(confusionMatrix(scores, labels, 0.6)).toEqual({ tp: 3, fn: 1, fp: 1, tn: 5 });
    expect(confusionMatrix(scores, labels, 0.61)).toEqual({ tp: 2, fn: 2, fp: 1, tn: 5 });
  });

  it('gives recall, precision, accuracy and F1 exactly as thesis equations 2.1-2.4', () => {
    const m = computeMetrics(scores, labels);
    expect(m.recall).toBe(3 / 4);
    expect(m.precision).toBe(3 / 4);
    expect(m.accuracy).toBe(8 / 10);
    expect(m.f1).toBe((2 * 0.75 * 0.75) / 1.5);
    expect(m.rates).toEqual({ tpr: 3 / 4, fnr: 1 / 4, tnr: 5 / 6, fpr: 1 / 6 });
  });

  it('computes ROC AUC as the fraction of positive-negative pairs ranked right (ties half)', () => {
    // Pairs ranked wrongly: 0.6 < 0.7, and 0.2 below 0.7, 0.4, 0.3, 0.45: 5 of 24.
    expect(computeMetrics(scores, labels).rocAuc).toBeCloseTo(19 / 24, 12);
    expect(computeMetrics([0.5, 0.5], [1, 0]).rocAuc).toBe(0.5);
    expect(computeMetrics([0.1, 0.9], [0, 1]).rocAuc).toBe(1);
    expect(Number.isNaN(computeMetrics([0.1, 0.9], [1, 1]).rocAuc)).toBe(true);
  });

  it('traces ROC from (0,0) to (1,1) and the PR curve with recall descending', () => {
    const m = computeMetrics(scores, labels);
    expect(m.roc[0]).toMatchObject({ x: 0, y: 0 });
    expect(m.roc.at(-1)).toMatchObject({ x: 1, y: 1 });
    expect(m.pr[0].x).toBe(1);
    for (let i = 1; i < m.pr.length; i++) expect(m.pr[i].x).toBeLessThanOrEqual(m.pr[i - 1].x);
  });

  it('finds the threshold that maximises F1', () => {
    // At 0.6: P = 3/4, R = 3/4, F1 = 0.75; at 0.2 (all positives in): P = 1/2, R = 1, F1 = 2/3.
    const m = computeMetrics(scores, labels);
    expect(m.bestF1.threshold).toBe(0.6);
    expect(m.bestF1.f1).toBeCloseTo(0.75, 12);
  });

  it('returns 0 for precision and F1 when nothing is called positive', () => {
    const s = summarize({ tp: 0, fp: 0, tn: 5, fn: 2 });
    expect(s.precision).toBe(0);
    expect(s.f1).toBe(0);
    expect(s.accuracy).toBe(5 / 7);
  });

  it('refuses NaN scores and mismatched lengths', () => {
    expect(() => computeMetrics([0.1, NaN], [0, 1])).toThrow(ModelError);
    expect(() => computeMetrics([0.1], [0, 1])).toThrow(/1 scores but 2 labels/);
  });
});
