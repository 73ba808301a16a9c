import { describe, expect, it } from 'vitest';
import {
  bootstrapMetrics,
  chooseThreshold,
  computeMetrics,
  confusionMatrix,
  precisionAtK,
  recallAtBudget,
  summarize,
  summarizeSpread,
} from '../src/model/metrics.js';
import { ModelError } from '../src/core/errors.js';
import { createRng, shuffleInPlace } from '../src/core/random.js';
import type { Rng } from '../src/core/random.js';

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

// The same hand-built set as above: 4 positives, 6 negatives.
const SCORES = [0.9, 0.8, 0.6, 0.2, 0.7, 0.4, 0.3, 0.1, 0.05, 0.45];
const LABELS = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];

/** Scores of a binormal model: negatives N(0, 1), positives N(d, 1); ROC AUC = Φ(d / √2). */
function binormal(rng: Rng, nPos: number, nNeg: number, d: number): [number[], number[]] {
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < nPos; i++) {
    scores.push(d + rng.normal());
    labels.push(1);
  }
  for (let i = 0; i < nNeg; i++) {
    scores.push(rng.normal());
    labels.push(0);
  }
  return [scores, labels];
}

describe('precisionAtK and recallAtBudget', () => {
  it('precision in the top k counts positives among the k highest scores', () => {
    // Ranking: 0.9 (+), 0.8 (+), 0.7 (-), 0.6 (+), 0.45 (-), ...
    expect(precisionAtK(SCORES, LABELS, 1)).toBe(1);
    expect(precisionAtK(SCORES, LABELS, 3)).toBeCloseTo(2 / 3, 12);
    expect(precisionAtK(SCORES, LABELS, 4)).toBeCloseTo(3 / 4, 12);
    // k beyond the data takes all of it: the base rate.
    expect(precisionAtK(SCORES, LABELS, 50)).toBeCloseTo(4 / 10, 12);
  });

  it('counts a tie block at the cut pro rata, whatever the input order', () => {
    const scores = [0.9, 0.5, 0.5, 0.5, 0.1];
    const labels = [1, 1, 0, 0, 1];
    // Top 2: the 0.9 positive, plus one of three tied samples of which one is positive.
    expect(precisionAtK(scores, labels, 2)).toBeCloseTo((1 + 1 / 3) / 2, 12);
    const rng = createRng(4);
    for (let t = 0; t < 10; t++) {
      const idx = shuffleInPlace([0, 1, 2, 3, 4], rng);
      const s = idx.map((i) => scores[i]);
      const l = idx.map((i) => labels[i]);
      expect(precisionAtK(s, l, 2)).toBeCloseTo((1 + 1 / 3) / 2, 12);
      expect(recallAtBudget(s, l, 0.4)).toBeCloseTo((1 + 1 / 3) / 3, 12);
    }
  });

  it('recall within the budget reviews ceil(fraction * n) samples (0.1 of 30 is 3, not 4)', () => {
    const scores = Array.from({ length: 30 }, (_, i) => 30 - i);
    const labels = scores.map((_, i) => ([0, 2, 3, 6].includes(i) ? 1 : 0));
    expect(recallAtBudget(scores, labels)).toBe(2 / 4);
    expect(recallAtBudget(scores, labels, 4 / 30)).toBe(3 / 4);
    expect(recallAtBudget(scores, labels, 1)).toBe(1);
    // At least one sample is reviewed however small the budget.
    expect(recallAtBudget(scores, labels, 1e-6)).toBe(1 / 4);
  });

  it('gives NaN recall without positives and refuses bad input', () => {
    expect(Number.isNaN(recallAtBudget([0.1, 0.2], [0, 0]))).toBe(true);
    expect(() => precisionAtK([0.1, 0.2], [0, 1], 0)).toThrow(RangeError);
    expect(() => precisionAtK([0.1, 0.2], [0, 1], 1.5)).toThrow(RangeError);
    expect(() => recallAtBudget([0.1, 0.2], [0, 1], 0)).toThrow(RangeError);
    expect(() => recallAtBudget([0.1, 0.2], [0, 1], 1.1)).toThrow(RangeError);
    expect(() => precisionAtK([NaN], [1], 1)).toThrow(ModelError);
    expect(() => precisionAtK([], [], 1)).toThrow(ModelError);
    expect(() => recallAtBudget([0.1], [0, 1])).toThrow(/1 scores but 2 labels/);
  });
});

describe('chooseThreshold', () => {
  it('takes the F1-maximising score and returns the midpoint down to the next score', () => {
    const c = chooseThreshold(SCORES, LABELS);
    // Best F1 0.75 at score 0.6; the next lower score is 0.45.
    expect(c.score).toBe(0.6);
    expect(c.threshold).toBeCloseTo(0.525, 12);
    expect(c.f1).toBeCloseTo(0.75, 12);
    expect(c.rule).toBe('f1');
    // The midpoint classifies the fitted data exactly as the score does.
    expect(confusionMatrix(SCORES, LABELS, c.threshold)).toEqual(
      confusionMatrix(SCORES, LABELS, c.score),
    );
  });

  it('the recall rule takes the highest threshold that reaches minRecall', () => {
    const all = chooseThreshold(SCORES, LABELS, { rule: 'recall', minRecall: 1 });
    // Every positive needs the lowest positive, 0.2; the next score below is 0.1.
    expect(all.score).toBe(0.2);
    expect(all.threshold).toBeCloseTo(0.15, 12);
    expect(all.recall).toBe(1);
    expect(all.precision).toBe(4 / 8); // 8 scores at or above 0.2
    const most = chooseThreshold(SCORES, LABELS, { rule: 'recall', minRecall: 0.7 });
    expect(most.score).toBe(0.6);
    expect(most.recall).toBe(0.75);
  });

  it('returns the score itself when the chosen score is the lowest', () => {
    expect(chooseThreshold([0.8, 0.2], [0, 1]).threshold).toBe(0.2);
  });

  it('never leaves the threshold on a lower score when two scores are adjacent floats', () => {
    const hi = 0.5;
    const lo = 0.49999999999999994; // the double just below 0.5
    const c = chooseThreshold([hi, lo], [1, 0]);
    expect(c.threshold).toBeGreaterThan(lo);
    expect(confusionMatrix([hi, lo], [1, 0], c.threshold)).toEqual({ tp: 1, fp: 0, tn: 1, fn: 0 });
  });

  it('refuses validation data without positives, NaN scores and bad options', () => {
    expect(() => chooseThreshold([0.1, 0.2], [0, 0])).toThrow(ModelError);
    expect(() => chooseThreshold([0.1, NaN], [0, 1])).toThrow(ModelError);
    expect(() => chooseThreshold([0.1, 0.2], [0, 1], { rule: 'recall', minRecall: 0 })).toThrow(
      RangeError,
    );
  });
});

describe('summarizeSpread', () => {
  it('gives mean, sample standard deviation (n - 1), min and max', () => {
    expect(summarizeSpread([1, 2, 3])).toEqual({ mean: 2, std: 1, min: 1, max: 3, n: 3 });
    expect(summarizeSpread([0.9])).toEqual({ mean: 0.9, std: 0, min: 0.9, max: 0.9, n: 1 });
  });

  it('lets a NaN (a failed run) show instead of dropping it', () => {
    expect(Number.isNaN(summarizeSpread([0.9, NaN]).mean)).toBe(true);
    expect(summarizeSpread([]).n).toBe(0);
  });
});

describe('bootstrapMetrics', () => {
  it('estimates equal the figures on the data; intervals contain them', () => {
    const [scores, labels] = binormal(createRng(1), 40, 60, 1.5);
    const b = bootstrapMetrics(scores, labels, { resamples: 500, seed: 3, k: 10 });
    const m = computeMetrics(scores, labels);
    expect(b.metrics.rocAuc.estimate).toBeCloseTo(m.rocAuc, 12);
    expect(b.metrics.f1.estimate).toBeCloseTo(m.f1, 12);
    expect(b.metrics.precision.estimate).toBeCloseTo(m.precision, 12);
    expect(b.metrics.recall.estimate).toBeCloseTo(m.recall, 12);
    expect(b.metrics.precisionAtK.estimate).toBeCloseTo(precisionAtK(scores, labels, 10), 12);
    expect(b.metrics.recallAtBudget.estimate).toBeCloseTo(recallAtBudget(scores, labels), 12);
    for (const ci of Object.values(b.metrics)) {
      expect(ci.lower).toBeLessThanOrEqual(ci.estimate);
      expect(ci.upper).toBeGreaterThanOrEqual(ci.estimate);
      expect(ci.valid).toBe(500);
    }
    expect(b).toMatchObject({ unit: 'sample', positiveUnits: 40, negativeUnits: 60, level: 0.95 });
  });

  it('is seeded: the same seed gives the same intervals, another seed others', () => {
    const [scores, labels] = binormal(createRng(2), 20, 30, 1);
    const a = bootstrapMetrics(scores, labels, { resamples: 200, seed: 7 });
    expect(bootstrapMetrics(scores, labels, { resamples: 200, seed: 7 })).toEqual(a);
    expect(
      bootstrapMetrics(scores, labels, { resamples: 200, seed: 8 }).metrics.rocAuc,
    ).not.toEqual(a.metrics.rocAuc);
  });

  it('95 % AUC intervals cover the true AUC of a binormal model about 95 % of the time', () => {
    // d = 1: true AUC = Φ(1/√2) = 0.76025.
    const trueAuc = 0.760249938906;
    const rng = createRng(11);
    let covered = 0;
    const trials = 120;
    for (let t = 0; t < trials; t++) {
      const [scores, labels] = binormal(rng, 40, 60, 1);
      const ci = bootstrapMetrics(scores, labels, { resamples: 400, seed: t }).metrics.rocAuc;
      if (ci.lower <= trueAuc && trueAuc <= ci.upper) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.87);
    expect(covered / trials).toBeLessThanOrEqual(1);
  });

  it('with groups, copies of one image are not independent evidence', () => {
    const [scores, labels] = binormal(createRng(5), 30, 30, 1);
    const copies = 5;
    const dupScores = scores.flatMap((s) => new Array<number>(copies).fill(s));
    const dupLabels = labels.flatMap((l) => new Array<number>(copies).fill(l));
    const groups = scores.flatMap((_, i) => new Array<string>(copies).fill(`src${i}`));
    const width = (r: ReturnType<typeof bootstrapMetrics>): number =>
      r.metrics.rocAuc.upper - r.metrics.rocAuc.lower;
    const opts = { resamples: 1000, seed: 1 };
    const own = width(bootstrapMetrics(scores, labels, opts));
    const grouped = bootstrapMetrics(dupScores, dupLabels, { ...opts, groups });
    const naive = width(bootstrapMetrics(dupScores, dupLabels, opts));
    expect(grouped.unit).toBe('group');
    expect(grouped.positiveUnits).toBe(30);
    // Resampling sources gives the width of the data without copies; resampling copies is
    // overconfident by about √copies.
    expect(Math.abs(width(grouped) / own - 1)).toBeLessThan(0.15);
    expect(naive / own).toBeLessThan(0.6);
  });

  it('stratifies: every resample keeps both classes, even with one positive', () => {
    const scores = Array.from({ length: 50 }, (_, i) => i / 50);
    const labels = scores.map((_, i) => (i === 45 ? 1 : 0));
    const b = bootstrapMetrics(scores, labels, { resamples: 300 });
    expect(b.metrics.rocAuc.valid).toBe(300);
    expect(b.metrics.recallAtBudget.valid).toBe(300);
  });

  it('refuses data without both classes and bad options', () => {
    expect(() => bootstrapMetrics([0.1, 0.2], [1, 1])).toThrow(ModelError);
    expect(() => bootstrapMetrics([0.1, 0.2], [0, 1], { groups: ['a'] })).toThrow(ModelError);
    expect(() => bootstrapMetrics([0.1, 0.2], [0, 1], { level: 1 })).toThrow(RangeError);
    expect(() => bootstrapMetrics([0.1, 0.2], [0, 1], { resamples: 0 })).toThrow(RangeError);
  });
});
