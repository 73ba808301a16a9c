import { describe, expect, it } from 'vitest';
import { concatDatasets, resolveProfile, type Dataset } from '../src/dataset/index.js';
import {
  AXIS_FLIPS,
  applyTemperature,
  binaryLogLoss,
  chooseThreshold,
  fitTemperature,
  predict,
  predictTTA,
  scoreWithModel,
  sourceScores,
} from '../src/model/index.js';
import {
  crossValidate,
  datasetParts,
  sourceEvaluationFromScores,
  trainAndCalibrate,
} from '../src/pipeline/index.js';
import { blobsAndBars } from './helpers/blobs.js';

const SIZE = 20;

/** Blobs and bars of the shared helper; `flat` draws nothing. */
const blobsAndBarsOf = (n: number, seed: number, flat = false): Dataset =>
  blobsAndBars(n, seed, { size: SIZE, flat });

const profile = resolveProfile({
  name: 'blobs-vs-bars',
  preprocess: { cropSize: SIZE, inputSize: SIZE },
  model: {
    convBlocks: [
      { filters: 6, kernelSize: 3, poolSize: 2, activation: 'relu' },
      { filters: 12, kernelSize: 3, poolSize: 2, activation: 'relu' },
    ],
    denseUnits: 24,
  },
  train: {
    batchSize: 16,
    epochs: 10,
    learningRate: 3e-3,
    seed: 3,
    augment: false,
    earlyStopping: { monitor: 'valLoss', patience: 4, minDelta: 0, restoreBestWeights: true },
  },
});

describe('trainAndCalibrate', () => {
  it('splits into train, validation and test by source, and never fits anything on test', async () => {
    const ds = blobsAndBarsOf(160, 1);
    const parts = datasetParts(ds, { seed: 3 });
    const sources = (d: Dataset) => new Set(d.samples.map((s) => s.source));
    const [tr, va, te] = [sources(parts.train), sources(parts.validation), sources(parts.test)];
    expect(va.size).toBeGreaterThan(0);
    for (const s of te) expect(tr.has(s) || va.has(s)).toBe(false);
    for (const s of va) expect(tr.has(s)).toBe(false);

    // The parts recorded in the samples (as `prepare` writes them), so a change of test labels
    // cannot move sources between parts through the stratified split.
    const marked = concatDatasets([parts.train, parts.validation, parts.test]);
    const a = await trainAndCalibrate(marked, { profile });
    // The same data with every test label flipped: the threshold, temperature and trained
    // weights must not change, while the test figures, which are only measured, turn over.
    const testIds = new Set(parts.test.samples.map((s) => s.id));
    const flipped = Int32Array.from(marked.labels, (l, i) =>
      testIds.has(marked.samples[i].id) ? 1 - l : l,
    );
    const poisoned: Dataset = {
      ...marked,
      labels: flipped,
      samples: marked.samples.map((s, i) => ({ ...s, label: flipped[i] })),
    };
    const b = await trainAndCalibrate(poisoned, { profile });
    expect(b.meta.threshold).toBe(a.meta.threshold);
    expect(b.meta.calibration).toEqual(a.meta.calibration);
    expect(b.history.epochs.map((e) => e.valLoss)).toEqual(a.history.epochs.map((e) => e.valLoss));
    expect(a.evaluation?.metrics.rocAuc).toBeGreaterThan(0.9);
    expect(b.evaluation?.metrics.rocAuc).toBeCloseTo(1 - (a.evaluation?.metrics.rocAuc ?? 0), 9);
    a.model.dispose();
    b.model.dispose();
  });

  it('the temperature fitted on validation never raises the validation log-loss', async () => {
    const ds = blobsAndBarsOf(120, 2);
    const res = await trainAndCalibrate(ds, { profile });
    const cal = res.validation.calibration;
    expect(cal).toBeDefined();
    expect(cal?.logLossAfter).toBeLessThanOrEqual((cal?.logLossBefore ?? 0) + 1e-12);
    // Recomputed from the model's own validation scores (averaged over the profile's flips).
    const val = datasetParts(ds, { seed: 3 }).validation;
    const raw = await scoreWithModel(res, val);
    const before = binaryLogLoss(raw, val.labels);
    const after = binaryLogLoss(
      applyTemperature(raw, res.meta.calibration?.temperature ?? 1),
      val.labels,
    );
    expect(after).toBeLessThanOrEqual(before + 1e-9);
    expect(res.validation.reliability?.bins.reduce((a, b) => a + b.count, 0)).toBe(
      val.labels.length,
    );
    res.model.dispose();
  });

  it("fits threshold and temperature on scores averaged over the profile's flips, and records it", async () => {
    const ds = blobsAndBarsOf(120, 6);
    const parts = datasetParts(ds, { seed: 3 });
    const marked = concatDatasets([parts.train, parts.validation, parts.test]);
    const val = parts.validation;
    const refit = (raw: Float32Array) => {
      const per = sourceScores(raw, val.samples, { labels: val.labels });
      const temperature = fitTemperature(per.scores, per.labels).temperature;
      const threshold = chooseThreshold(applyTemperature(per.scores, temperature), per.labels);
      return { temperature, threshold: threshold.threshold };
    };
    expect(profile.tta).toBe('flips');
    const flips = await trainAndCalibrate(marked, { profile });
    expect(flips.meta.tta).toBe('flips');
    expect(flips.evaluation?.tta).toEqual(AXIS_FLIPS);
    const fit = refit(await predictTTA(flips.model, val, { transforms: AXIS_FLIPS }));
    expect(flips.meta.calibration?.temperature).toBeCloseTo(fit.temperature, 9);
    expect(flips.meta.threshold).toBeCloseTo(fit.threshold, 9);

    const onePass = await trainAndCalibrate(marked, { profile: { ...profile, tta: 'none' } });
    expect(onePass.meta.tta).toBe('none');
    expect(onePass.evaluation?.tta).toBe(false);
    const fit1 = refit(await predict(onePass.model, val));
    expect(onePass.meta.calibration?.temperature).toBeCloseTo(fit1.temperature, 9);
    expect(onePass.meta.threshold).toBeCloseTo(fit1.threshold, 9);
    // The same weights (same seed and data): only the scoring differs.
    expect(Array.from(onePass.model.getWeights()[0].dataSync())).toEqual(
      Array.from(flips.model.getWeights()[0].dataSync()),
    );
    expect(onePass.meta.calibration?.temperature).not.toBe(flips.meta.calibration?.temperature);
    flips.model.dispose();
    onePass.model.dispose();
  });

  it('the seed reaches the initial weights: two seeds, two models', async () => {
    const ds = blobsAndBarsOf(64, 3);
    const quick = { ...profile, train: { ...profile.train, epochs: 1 } };
    const one = await trainAndCalibrate(ds, { profile: quick, train: { seed: 1 } });
    const two = await trainAndCalibrate(ds, { profile: quick, train: { seed: 2 } });
    expect(one.meta.modelConfig?.seed).toBe(1);
    expect(two.meta.modelConfig?.seed).toBe(2);
    const w1 = one.model.getWeights()[0].dataSync();
    const w2 = two.model.getWeights()[0].dataSync();
    expect(Array.from(w1)).not.toEqual(Array.from(w2));
    one.model.dispose();
    two.model.dispose();
  });

  it('detects a collapsed run (constant outputs), restarts with new seeds, and says so', async () => {
    const ds = blobsAndBarsOf(48, 4, true);
    const quick = { ...profile, train: { ...profile.train, epochs: 1 } };
    const warnings: string[] = [];
    const res = await trainAndCalibrate(ds, {
      profile: quick,
      restarts: 1,
      onWarning: (m) => warnings.push(m),
    });
    expect(res.collapsed).toBe(true);
    expect(res.attempts).toBe(2);
    expect(warnings.filter((w) => /collapsed/.test(w))).toHaveLength(2);
    expect(warnings.join('\n')).toMatch(/giving up/);
    res.model.dispose();
  });

  it('warns when a test part lacks a class', () => {
    const ds = blobsAndBarsOf(20, 5);
    const onlyNeg = {
      ...ds,
      samples: ds.samples.filter((s) => s.label === 0),
      labels: Int32Array.from(
        ds.samples.filter((s) => s.label === 0),
        () => 0,
      ),
    };
    const e = sourceEvaluationFromScores(
      new Float32Array(onlyNeg.labels.length).fill(0.2),
      onlyNeg,
      { resamples: 0 },
    );
    expect(e.warnings.join()).toMatch(/no positive source/);
  });
});

describe('crossValidate', () => {
  it('tests every source exactly once, with a model that never saw it', async () => {
    const ds = blobsAndBarsOf(60, 6);
    const quick = { ...profile, train: { ...profile.train, epochs: 2 } };
    const cv = await crossValidate(ds, {
      profile: quick,
      k: 3,
      seed: 1,
      evaluation: { resamples: 0 },
    });
    expect(cv.folds).toHaveLength(3);
    const tested = cv.folds.flatMap((f) => f.evaluation?.sources.map((s) => s.source) ?? []);
    expect(tested.sort()).toEqual(ds.samples.map((s) => s.source).sort());
    expect(new Set(tested).size).toBe(tested.length);
    expect(cv.pooled.sources).toBe(60);
    expect(cv.summary.rocAuc.n).toBe(3);
  });
});
