/**
 * The training step of the pipeline, browser-safe: three grouped parts (train, validation,
 * test), training with early stopping on validation, a restart when a run collapses to a
 * constant output, temperature calibration and threshold choice on validation, and evaluation
 * per source on the test part. `trainFromDataset` (Node) adds saving.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Dataset, SplitName } from '../dataset/dataset.js';
import { subsetDataset } from '../dataset/dataset.js';
import type { TargetProfile } from '../dataset/profile.js';
import { transformShortcuts } from '../dataset/shortcuts.js';
import { splitDataset, type SplitOptions } from '../dataset/split.js';
import { fitTemperature, applyTemperature, reliabilityDiagram } from '../model/calibration.js';
import type { ReliabilityDiagram, TemperatureFit } from '../model/calibration.js';
import { monitorName, type EpochLog, type ModelConfig, type TrainConfig } from '../model/config.js';
import { createModel } from '../model/factory.js';
import type { ModelMeta } from '../model/meta.js';
import { measureInputRange, type InputRange } from '../model/input-range.js';
import { chooseThreshold, type ThresholdChoice, type ThresholdOptions } from '../model/metrics.js';
import { predictTTA, ttaTransforms } from '../model/tta.js';
import { sourceScores } from '../model/source-metrics.js';
import { trainModel, type TrainHistory } from '../model/train.js';
import {
  sourceEvaluationFromScores,
  evaluateSources,
  type SourceEvaluation,
  type SourceEvaluationOptions,
} from './evaluation.js';

/** Options of {@link trainAndCalibrate} (and `trainFromDataset`). */
export interface TrainAndCalibrateOptions {
  /** The profile the dataset was prepared with; its `model` and `train` settings are used. */
  profile: TargetProfile;
  /** Training settings that override the profile's (e.g. from CLI flags). */
  train?: Partial<TrainConfig>;
  /** Model settings that override the profile's. */
  model?: Partial<ModelConfig>;
  /**
   * How to split when the dataset's samples carry no split membership yet. Default: 20 % of the
   * sources for test and 20 % for validation, grouped by source and stratified, seeded from the
   * training seed. A dataset that has train and test parts but no validation part gets its
   * validation sources from its training part, never from the test part.
   */
  split?: SplitOptions;
  /**
   * Fresh starts (a new seed each) when a run collapses: its validation outputs are constant,
   * so it learnt nothing. Default 2.
   */
  restarts?: number;
  /** Fit a temperature on the validation sources and calibrate every score with it. Default true. */
  calibrate?: boolean;
  /**
   * How the threshold is chosen on the validation sources. Default F1-maximising
   * (`{ rule: 'f1' }`). `false` keeps the profile's `threshold`.
   */
  threshold?: Partial<ThresholdOptions> | false;
  /** Options of the test evaluation (TTA, bootstrap resamples, k, budget). */
  evaluation?: Partial<SourceEvaluationOptions>;
  /**
   * Start the first run from this model's weights instead of fresh ones (fine-tuning, as
   * `retrain` does); it must have the architecture the profile builds. Not modified. Default:
   * fresh weights.
   */
  initialWeights?: tf.LayersModel;
  /** Called after every epoch. */
  onEpochEnd?: (log: EpochLog) => void;
  /** Called with each warning (collapsed runs, a class missing from a part, transform shortcuts). */
  onWarning?: (message: string, source?: string) => void;
}

/** The validation figures of {@link TrainAndCalibrateResult}. */
export interface ValidationFit {
  /** The temperature fit (absent when calibration is off or validation lacks a class). */
  calibration?: TemperatureFit;
  /** Reliability of the calibrated validation scores (absent when there is no validation part). */
  reliability?: ReliabilityDiagram;
  /** The threshold chosen on the calibrated validation scores. */
  threshold?: ThresholdChoice;
  /** Validation figures per source at the chosen threshold. */
  evaluation?: SourceEvaluation;
}

/** What {@link trainAndCalibrate} returns. */
export interface TrainAndCalibrateResult {
  /** The trained model. */
  model: tf.LayersModel;
  /** Metadata to save with it (`saveModel`): profile, threshold, temperature, test figures. */
  meta: ModelMeta;
  /** Per-epoch history of the run kept. */
  history: TrainHistory;
  /** Figures per source on the test part, at the validation threshold; undefined without a test part. */
  evaluation?: SourceEvaluation;
  /** What was fitted on validation data. */
  validation: ValidationFit;
  /** Number of samples in each part. */
  sizes: Record<SplitName, number>;
  /** Runs started (1 unless a run collapsed). */
  attempts: number;
  /** True when every run collapsed (the model kept is the last). */
  collapsed: boolean;
  /** The seed of the run kept (initial weights, shuffles, augmentation, dropout). */
  seed: number;
  /** Every warning also given to `onWarning`. */
  warnings: string[];
}

/**
 * The dataset's parts: the membership recorded in its samples when every sample has one (as
 * `prepare` writes it), otherwise a fresh split grouped by source. A recorded split without a
 * validation part gets one from its training part (grouped), never from its test part.
 *
 * @param ds - the dataset
 * @param split - options for a fresh split (defaults: 20 % test, 20 % validation)
 */
export function datasetParts(ds: Dataset, split: SplitOptions = {}): Record<SplitName, Dataset> {
  if (ds.samples.length > 0 && ds.samples.every((s) => s.split !== undefined)) {
    const pick = (name: SplitName): Dataset =>
      subsetDataset(
        ds,
        ds.samples.flatMap((s, i) => (s.split === name ? [i] : [])),
        name,
      );
    const parts = { train: pick('train'), validation: pick('validation'), test: pick('test') };
    if (parts.validation.labels.length === 0 && parts.train.labels.length > 0) {
      const carved = splitDataset(parts.train, {
        ...split,
        test: 0,
        validation: split.validation || 0.2,
      });
      return { train: carved.train, validation: carved.validation, test: parts.test };
    }
    return parts;
  }
  const parts = splitDataset(ds, { test: 0.2, validation: 0.2, ...split });
  return { train: parts.train, validation: parts.validation, test: parts.test };
}

/** Spread of a set of scores (population standard deviation). */
function spread(values: ArrayLike<number>): number {
  let mean = 0;
  for (let i = 0; i < values.length; i++) mean += values[i];
  mean /= Math.max(1, values.length);
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return Math.sqrt(sq / Math.max(1, values.length));
}

/**
 * Each sample's loss weight (`SampleInfo.weight`, e.g. a reviewed hard negative's), or
 * undefined when every weight is 1.
 */
export function sampleWeightsOf(ds: Dataset): Float32Array | undefined {
  if (!ds.samples.some((s) => s.weight !== undefined && s.weight !== 1)) return undefined;
  return Float32Array.from(ds.samples, (s) => s.weight ?? 1);
}

/** The training inputs' central levels (`ModelMeta.trainingInputs`), for one-channel inputs. */
function trainingInputsOf(train: Dataset): { trainingInputs?: InputRange } {
  const [n, h, w, c] = train.shape;
  if (c !== 1 || n === 0) return {};
  const range = measureInputRange(train.images, n, h, w);
  return range ? { trainingInputs: range } : {};
}

/** Validation outputs this close to constant mean the run learnt nothing. */
const COLLAPSE_SPREAD = 1e-3;

/**
 * Train, calibrate and evaluate the profile's model on a dataset: split into three grouped
 * parts (see {@link datasetParts}); train on the training part with the validation part
 * scored every epoch (early stopping and best weights as the profile's `train.earlyStopping`
 * says); restart with a new seed when the validation outputs come out constant; fit a
 * temperature and choose the threshold on the validation sources; evaluate per source on the
 * test part at that threshold, with bootstrap intervals. The test part is never used to fit
 * anything.
 *
 * @param ds - a prepared dataset (`prepare` / `loadDataset`)
 * @param opts - see {@link TrainAndCalibrateOptions}
 */
export async function trainAndCalibrate(
  ds: Dataset,
  opts: TrainAndCalibrateOptions,
): Promise<TrainAndCalibrateResult> {
  const { profile } = opts;
  const warnings: string[] = [];
  const warn = (m: string): void => {
    warnings.push(m);
    opts.onWarning?.(m);
  };
  const trainConfig: Partial<TrainConfig> = { ...profile.train, ...opts.train };
  const baseSeed = trainConfig.seed ?? 1;
  const parts = datasetParts(ds, { seed: baseSeed, ...opts.split });
  for (const s of transformShortcuts(parts.train)) warn(s.message);
  for (const [name, part] of [
    ['validation', parts.validation],
    ['test', parts.test],
  ] as const) {
    if (part.labels.length === 0) continue;
    const present = new Set(part.labels);
    const missing = ds.classNames.filter((_, i) => !present.has(i));
    if (missing.length > 0) warn(`the ${name} part holds no ${missing.join(', ')} sample`);
  }
  const [, h, w, c] = ds.shape;
  const val = parts.validation;
  const restarts = opts.restarts ?? 2;
  // Every score of the model averages over the profile's symmetries (test-time augmentation),
  // so the threshold and temperature are fitted on such scores.
  const tta = profile.tta ?? 'none';
  const transforms = ttaTransforms(tta);
  const sampleWeight = sampleWeightsOf(parts.train);
  let model: tf.LayersModel | undefined;
  let history: TrainHistory | undefined;
  let valScores: Float32Array = new Float32Array(0);
  let seed = baseSeed;
  let attempts = 0;
  let collapsed = false;
  let modelConfig: Partial<ModelConfig> = {};
  for (let a = 0; a <= restarts; a++) {
    attempts = a + 1;
    seed = baseSeed + 1009 * a;
    model?.dispose();
    modelConfig = {
      ...profile.model,
      ...opts.model,
      inputShape: [h, w, c],
      classes: ds.classNames.length,
      seed: a === 0 ? (opts.model?.seed ?? profile.model.seed ?? baseSeed) : seed,
    };
    model = await createModel(modelConfig);
    if (a === 0 && opts.initialWeights !== undefined) {
      model.setWeights(opts.initialWeights.getWeights());
    }
    history = await trainModel(model, parts.train, {
      ...trainConfig,
      // Without validation sources, early stopping on a validation figure cannot run.
      ...(val.labels.length === 0 &&
      trainConfig.earlyStopping !== undefined &&
      monitorName(trainConfig.earlyStopping.monitor).startsWith('val')
        ? { earlyStopping: undefined }
        : {}),
      seed,
      ...(sampleWeight ? { sampleWeight } : {}),
      ...(val.labels.length > 0 ? { validationData: val } : {}),
      ...(opts.onEpochEnd ? { onEpochEnd: opts.onEpochEnd } : {}),
    });
    const probe = val.labels.length > 0 ? val : parts.train;
    valScores =
      probe.labels.length > 0
        ? await predictTTA(model, probe, { transforms })
        : new Float32Array(0);
    collapsed = probe.labels.length > 1 && spread(valScores) < COLLAPSE_SPREAD;
    if (!collapsed) break;
    warn(
      `run ${a + 1} (seed ${seed}) collapsed: its ${val.labels.length > 0 ? 'validation' : 'training'} scores are constant (${valScores[0]?.toFixed(4)})` +
        (a < restarts ? '; restarting with a new seed' : '; giving up, the model learnt nothing'),
    );
  }
  if (model === undefined || history === undefined) throw new Error('unreachable: no run');

  // Calibration and threshold: validation sources only.
  const validation: ValidationFit = {};
  let temperature = 1;
  let threshold = profile.threshold;
  if (val.labels.length > 0) {
    const per = sourceScores(valScores, val.samples, { labels: val.labels });
    const both = per.labels.includes(0) && per.labels.includes(1);
    if (both && opts.calibrate !== false) {
      validation.calibration = fitTemperature(per.scores, per.labels);
      temperature = validation.calibration.temperature;
    }
    const calibrated = temperature === 1 ? per.scores : applyTemperature(per.scores, temperature);
    validation.reliability = reliabilityDiagram(calibrated, per.labels);
    if (both && opts.threshold !== false) {
      validation.threshold = chooseThreshold(calibrated, per.labels, opts.threshold || {});
      threshold = validation.threshold.threshold;
    } else if (!both) {
      warn(
        `the validation sources lack a class: the threshold stays at the profile's ${threshold} and scores are not calibrated`,
      );
    }
    validation.evaluation = sourceEvaluationFromScores(valScores, val, {
      tta: tta === 'none' ? false : transforms,
      ...opts.evaluation,
      threshold,
      temperature,
      resamples: 0,
    });
  } else {
    warn("no validation part: the threshold stays at the profile's and scores are not calibrated");
  }
  const evaluation =
    parts.test.labels.length > 0
      ? await evaluateSources(model, parts.test, {
          seed,
          tta: tta === 'none' ? false : transforms,
          ...opts.evaluation,
          threshold,
          temperature,
        })
      : undefined;
  const m = evaluation?.metrics;
  const meta: ModelMeta = {
    profileName: profile.name,
    profile: profile as unknown as Record<string, unknown>,
    classNames: ds.classNames,
    normalisation: { method: profile.preprocess.normalize, nan: 0 },
    threshold,
    calibration: { temperature },
    tta,
    ...(m
      ? {
          metrics: {
            sources: m.n,
            accuracy: m.accuracy,
            precision: m.precision,
            recall: m.recall,
            f1: m.f1,
            rocAuc: m.rocAuc,
          },
        }
      : {}),
    ...trainingInputsOf(parts.train),
    modelConfig: { ...modelConfig } as ModelConfig,
    trainConfig: { ...trainConfig, seed },
  };
  return {
    model,
    meta,
    history,
    ...(evaluation ? { evaluation } : {}),
    validation,
    sizes: {
      train: parts.train.labels.length,
      validation: parts.validation.labels.length,
      test: parts.test.labels.length,
    },
    attempts,
    collapsed,
    seed,
    warnings,
  };
}
