import { describe, expect, it } from 'vitest';
import {
  applyTemperature,
  binaryLogLoss,
  fitTemperature,
  reliabilityDiagram,
} from '../src/model/calibration.js';
import { computeMetrics } from '../src/model/metrics.js';
import { reliabilityChart } from '../src/report/charts.js';
import { ModelError } from '../src/core/errors.js';
import { createRng } from '../src/core/random.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Labels drawn from a known logistic model (true logit z ~ N(0, 1.5²), y ~ Bernoulli(σ(z))) and
 * the probabilities a model reports, σ(sharpen · z): sharpen 3 is overconfident, 1 calibrated.
 */
function logistic(seed: number, n: number, sharpen: number): { probs: number[]; labels: number[] } {
  const rng = createRng(seed);
  const probs: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const z = 1.5 * rng.normal();
    labels.push(rng.next() < sigmoid(z) ? 1 : 0);
    probs.push(sigmoid(sharpen * z));
  }
  return { probs, labels };
}

describe('fitTemperature', () => {
  it('recovers T = 3 from scores whose logits were multiplied by 3, and lowers the log-loss', () => {
    const { probs, labels } = logistic(1, 20000, 3);
    const fit = fitTemperature(probs, labels);
    expect(fit.temperature).toBeGreaterThan(2.8);
    expect(fit.temperature).toBeLessThan(3.2);
    expect(fit.logLossAfter).toBeLessThan(fit.logLossBefore - 0.05);
    expect(fit.logLossBefore).toBeCloseTo(binaryLogLoss(probs, labels), 12);
    expect(fit.n).toBe(20000);
  });

  it('fits the same temperature from logits as from probabilities', () => {
    const { probs, labels } = logistic(2, 2000, 3);
    const logits = probs.map((p) => Math.log(p / (1 - p)));
    const a = fitTemperature(probs, labels);
    const b = fitTemperature(logits, labels, { input: 'logit' });
    expect(b.temperature).toBeCloseTo(a.temperature, 5);
  });

  it('leaves calibrated scores near T = 1 and never raises their log-loss', () => {
    const { probs, labels } = logistic(3, 20000, 1);
    const fit = fitTemperature(probs, labels);
    expect(Math.abs(fit.temperature - 1)).toBeLessThan(0.06);
    expect(fit.logLossAfter).toBeLessThanOrEqual(fit.logLossBefore);
  });

  it('finds the minimum: no temperature on a fine grid gives a lower loss', () => {
    const { probs, labels } = logistic(4, 500, 2);
    const fit = fitTemperature(probs, labels);
    for (let u = Math.log(0.05); u <= Math.log(20); u += 0.01) {
      const loss = binaryLogLoss(applyTemperature(probs, Math.exp(u)), labels);
      expect(loss).toBeGreaterThanOrEqual(fit.logLossAfter - 1e-9);
    }
  });

  it('never increases the validation log-loss, on small, random, flat and separable data', () => {
    const rng = createRng(9);
    for (let t = 0; t < 200; t++) {
      const n = rng.int(1, 20);
      const probs = Array.from({ length: n }, () => rng.next());
      const labels = Array.from({ length: n }, () => rng.int(0, 1));
      const fit = fitTemperature(probs, labels);
      expect(fit.logLossAfter).toBeLessThanOrEqual(fit.logLossBefore);
      expect(fit.temperature).toBeGreaterThanOrEqual(1e-2);
      expect(fit.temperature).toBeLessThanOrEqual(1e2);
    }
    // All 0.5: nothing to scale, T stays 1.
    expect(fitTemperature([0.5, 0.5, 0.5], [0, 1, 1]).temperature).toBe(1);
    // Perfectly separated and underconfident: sharpen up to the range's end.
    const sep = fitTemperature([0.4, 0.45, 0.55, 0.6], [0, 0, 1, 1]);
    expect(sep.temperature).toBeCloseTo(1e-2, 3);
    expect(sep.logLossAfter).toBeLessThan(sep.logLossBefore);
  });

  it('refuses probabilities outside [0, 1], NaN and mismatched lengths', () => {
    expect(() => fitTemperature([1.2], [1])).toThrow(ModelError);
    expect(() => fitTemperature([NaN], [1])).toThrow(ModelError);
    expect(() => fitTemperature([NaN], [1], { input: 'logit' })).toThrow(ModelError);
    expect(() => fitTemperature([0.2, 0.3], [1])).toThrow(/2 values but 1 labels/);
    expect(() => fitTemperature([], [])).toThrow(ModelError);
    expect(() => fitTemperature([0.5], [1], { minTemperature: 2 })).toThrow(RangeError);
  });
});

describe('applyTemperature', () => {
  it('maps sigmoid(z) to sigmoid(z / T) and keeps the ranking', () => {
    const out = applyTemperature([sigmoid(2), sigmoid(-4), 0.5], 2);
    expect(out[0]).toBeCloseTo(sigmoid(1), 12);
    expect(out[1]).toBeCloseTo(sigmoid(-2), 12);
    expect(out[2]).toBeCloseTo(0.5, 12);
    const { probs, labels } = logistic(5, 300, 3);
    const scaled = applyTemperature(probs, 3);
    expect(computeMetrics(scaled, labels).rocAuc).toBe(computeMetrics(probs, labels).rocAuc);
  });

  it('keeps 0 and 1 finite through the clamp and refuses a bad temperature', () => {
    const [a, b] = applyTemperature([0, 1], 1);
    expect(a).toBeCloseTo(1e-7, 12);
    expect(b).toBeCloseTo(1 - 1e-7, 12);
    expect(() => applyTemperature([0.5], 0)).toThrow(RangeError);
    expect(() => applyTemperature([0.5], Infinity)).toThrow(RangeError);
  });
});

describe('reliabilityDiagram', () => {
  it('bins by predicted probability, with counts that sum to n', () => {
    const probs = [0.05, 0.15, 0.15, 0.55, 0.95, 1, 0];
    const labels = [0, 0, 1, 1, 1, 1, 0];
    const d = reliabilityDiagram(probs, labels);
    expect(d.bins).toHaveLength(10);
    expect(d.bins.reduce((a, b) => a + b.count, 0)).toBe(7);
    expect(d.bins[0]).toMatchObject({ lower: 0, upper: 0.1, count: 2, observed: 0 });
    expect(d.bins[0].meanPredicted).toBeCloseTo(0.025, 12);
    expect(d.bins[1]).toMatchObject({ count: 2, observed: 0.5 });
    // 1 falls in the last bin.
    expect(d.bins[9]).toMatchObject({ count: 2, observed: 1 });
    expect(Number.isNaN(d.bins[3].meanPredicted)).toBe(true);
    expect(d.bins[3].count).toBe(0);
    // ECE = Σ count/n |observed − mean|: (2·0.025 + 2·0.35 + 0.45 + 2·0.025) / 7.
    expect(d.ece).toBeCloseTo((0.05 + 0.7 + 0.45 + 0.05) / 7, 12);
    const brier = probs.reduce((a, p, i) => a + (p - labels[i]) ** 2, 0) / 7;
    expect(d.brier).toBeCloseTo(brier, 12);
    expect(d.n).toBe(7);
  });

  it('shows the overconfidence temperature scaling removes (ECE drops)', () => {
    const { probs, labels } = logistic(6, 5000, 3);
    const before = reliabilityDiagram(probs, labels);
    const after = reliabilityDiagram(
      applyTemperature(probs, fitTemperature(probs, labels).temperature),
      labels,
    );
    expect(before.ece).toBeGreaterThan(0.08);
    expect(after.ece).toBeLessThan(0.03);
    expect(after.brier).toBeLessThan(before.brier);
    for (const n of [5, 20]) {
      const d = reliabilityDiagram(probs, labels, { bins: n });
      expect(d.bins).toHaveLength(n);
      expect(d.bins.reduce((a, b) => a + b.count, 0)).toBe(5000);
    }
  });

  it('refuses bad bins and probabilities', () => {
    expect(() => reliabilityDiagram([0.5], [1], { bins: 0 })).toThrow(RangeError);
    expect(() => reliabilityDiagram([-0.1], [1])).toThrow(ModelError);
  });
});

describe('reliabilityChart', () => {
  it('draws the diagonal, one bar per non-empty bin with its count, and the ECE in the title', () => {
    const probs = [0.05, 0.15, 0.15, 0.55, 0.95, 1, 0];
    const labels = [0, 0, 1, 1, 1, 1, 0];
    const d = reliabilityDiagram(probs, labels);
    const svg = reliabilityChart(d, { name: 'validation' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.endsWith('</svg>')).toBe(true);
    const counts = [...svg.matchAll(/data-count="(\d+)"/g)].map((m) => Number(m[1]));
    expect(counts).toEqual([2, 2, 1, 2]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(7);
    expect(svg).toContain(`ECE ${d.ece.toFixed(3)}`);
    expect(svg).toContain(`Brier ${d.brier.toFixed(3)}`);
    expect(svg).toContain('stroke-dasharray="3 3"');
    expect(svg).toContain('perfect calibration');
    expect(svg).toContain('data-series="validation"');
    expect(svg.match(/<circle /g)).toHaveLength(4);
  });

  it('draws an empty diagram without bars when there are no samples in any bin', () => {
    const svg = reliabilityChart({
      bins: [{ lower: 0, upper: 1, count: 0, meanPredicted: NaN, observed: NaN }],
    });
    expect(svg).not.toContain('data-count');
    expect(svg).toContain('Reliability diagram');
  });
});
