import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/random.js';
import { currentBackend } from './backend.js';
import {
  DEFAULT_TRAIN_CONFIG,
  lossName,
  monitorName,
  optimizerName,
  scheduledLearningRate,
  type EarlyStoppingMonitor,
  type EpochLog,
  type TensorData,
  type TrainConfig,
} from './config.js';
import { checkImages, checkLabels, gather, modelClasses } from './data.js';
import { mix32 } from '../core/random.js';
import {
  createEngineTrainer,
  createTfjsTrainer,
  type Trainer,
  type TrainerOptions,
} from './trainer.js';
import {
  augmentBatch,
  augmentsAnything,
  createNoiseField,
  imageLevels,
  MAX_NOISE_FIELD_SIDE,
  resolveTrainAugment,
} from './augment-batch.js';

/** Options of {@link trainModel}: a {@link TrainConfig} plus data and a progress callback. */
export type TrainOptions = Partial<TrainConfig> & {
  /** Held-out data scored after every epoch (`valLoss`, `valAcc`); needed to monitor them. */
  validationData?: TensorData;
  /** Called after every epoch, e.g. to print progress. */
  onEpochEnd?: (log: EpochLog) => void;
  /**
   * Weight of each training sample in the loss (Keras's `sample_weight`), multiplied with its
   * class's `classWeight`: e.g. a reviewed hard negative counting twice. Default: all 1.
   */
  sampleWeight?: Float32Array;
};

/** What {@link trainModel} returns. */
export interface TrainHistory {
  /** One log per epoch run. */
  epochs: EpochLog[];
  /** True when early stopping ended training before `epochs`. */
  stoppedEarly: boolean;
  /** The host's TensorFlow.js backend (the library does not change it), where the fallback runs. */
  backend: string;
  /** The training engine's threads when it trained the model, else undefined (TensorFlow.js). */
  engineThreads?: number;
  /** The engine's SIMD build when it trained the model: `relaxed` (fused multiply-add) or `baseline`. */
  engineSimd?: 'relaxed' | 'baseline';
  /** Why the training engine did not train the model, when it did not. */
  engineSkipped?: string;
  /** Training images per second over all epochs (validation time excluded). */
  imagesPerSecond: number;
  /**
   * The epoch (from 0) whose weights the model holds at the end: the best one by the
   * early-stopping monitor with `restoreBestWeights`, else the last epoch run.
   */
  bestEpoch: number;
}

/**
 * What trained a model, for logs: `training engine (2 threads)` (`, relaxed SIMD` where the
 * runtime has it) or `TensorFlow.js 'wasm'` (with the reason the engine was not used, when there
 * is one).
 */
export function describeTrainer(history: TrainHistory): string {
  if (history.engineThreads !== undefined) {
    const n = history.engineThreads;
    const simd = history.engineSimd === 'relaxed' ? ', relaxed SIMD' : '';
    return `training engine (${n} thread${n === 1 ? '' : 's'}${simd})`;
  }
  const why =
    history.engineSkipped !== undefined ? `; engine not used: ${history.engineSkipped}` : '';
  return `TensorFlow.js '${history.backend}'${why}`;
}

/** Per-sample loss weights from `classWeight` (1 for classes it omits). */
function sampleWeights(
  labels: Int32Array,
  classWeight: Record<number, number> | undefined,
): Float32Array {
  const w = new Float32Array(labels.length).fill(1);
  if (classWeight !== undefined) {
    for (let i = 0; i < labels.length; i++) w[i] = classWeight[labels[i]] ?? 1;
  }
  return w;
}

/** Whether `value` of `monitor` improves on `best` by more than `minDelta`. */
function improved(
  monitor: EarlyStoppingMonitor,
  value: number,
  best: number,
  minDelta: number,
): boolean {
  return higherIsBetter(monitor) ? value > best + minDelta : value < best - minDelta;
}

function higherIsBetter(monitor: EarlyStoppingMonitor): boolean {
  return monitor === 'acc' || monitor === 'valAcc';
}

/**
 * Trains `model` in place on `data` (minibatch gradient descent, Keras semantics) and returns the
 * per-epoch history. Each epoch reshuffles with one generator seeded from `seed`, so one seed gives
 * one sample order. No tensors are left behind between epochs (the optimizer's
 * state is created in the first step and reused).
 *
 * @throws ModelError on shape or label mismatches, NaN pixels, an unknown loss or optimizer
 *   name (Keras spellings such as `binary_crossentropy` are accepted), a `valLoss` or `valAcc`
 *   early-stopping monitor without validation data, or a loss that becomes NaN or infinite.
 */
export async function trainModel(
  model: tf.LayersModel,
  data: TensorData,
  config: TrainOptions = {},
): Promise<TrainHistory> {
  const { validationData, onEpochEnd, sampleWeight, ...rest } = config;
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...rest };
  // Keras spellings accepted; an unknown name fails here, not as NaN losses or a tfjs error.
  cfg.loss = lossName(cfg.loss);
  cfg.optimizer = optimizerName(cfg.optimizer);
  const backend = await currentBackend();
  const { pixels, shape } = checkImages(model, data, 'training data');
  const classes = modelClasses(model);
  checkLabels(data, classes, 'training data');
  if (validationData !== undefined) checkLabels(validationData, classes, 'validation data');
  if (!(Number.isInteger(cfg.batchSize) && cfg.batchSize >= 1)) {
    throw new ModelError(`batchSize must be a positive integer, got ${cfg.batchSize}`);
  }
  if (!['constant', 'cosine', undefined].includes(cfg.learningRateSchedule)) {
    throw new ModelError(
      `learningRateSchedule must be 'constant' or 'cosine', got ${String(cfg.learningRateSchedule)}`,
    );
  }
  const floor = cfg.minLearningRateFraction ?? 0.05;
  if (!(floor >= 0 && floor <= 1)) {
    throw new ModelError(`minLearningRateFraction must be in [0, 1], got ${floor}`);
  }
  // The snake_case spellings of older profiles and models are read as the log keys they name.
  const es =
    cfg.earlyStopping === undefined
      ? undefined
      : { ...cfg.earlyStopping, monitor: monitorName(cfg.earlyStopping.monitor) };
  if ((es?.monitor === 'valLoss' || es?.monitor === 'valAcc') && validationData === undefined) {
    throw new ModelError(`early stopping monitors '${es.monitor}' but no validationData was given`);
  }
  const threads = cfg.threads ?? cfg.workers ?? 'auto';
  const [n, h, w, c] = shape;
  const per = h * w * c;
  const weights = sampleWeights(data.labels, cfg.classWeight);
  if (sampleWeight !== undefined) {
    if (sampleWeight.length !== n) {
      throw new ModelError(`sampleWeight has ${sampleWeight.length} values for ${n} samples`);
    }
    for (let i = 0; i < n; i++) weights[i] *= sampleWeight[i];
  }
  const aug = resolveTrainAugment(cfg.augment);
  const augmenting = augmentsAnything(aug);
  if (augmenting && c !== 1) {
    throw new ModelError(`augment needs single-channel images, got ${c} channels`);
  }
  // Background and noise of each image, measured once; the augmentation draws its own stream.
  const levels = augmenting ? imageLevels(pixels, n, per) : undefined;
  const augRng = createRng(mix32(cfg.seed, 0xa06));
  // The added noise is cut from one field drawn up front from its own stream (a batch augments
  // four times as fast as with fresh smoothed noise for every image); images too large for a
  // field draw fresh noise.
  const field =
    augmenting && aug.noise > 0 && Math.max(h, w) <= MAX_NOISE_FIELD_SIDE
      ? createNoiseField(h, w, aug.noiseCorrelation, createRng(mix32(cfg.seed, 0xf1e1d)))
      : undefined;
  // Checked once (NaN, shape), not every epoch.
  const val =
    validationData !== undefined
      ? checkImages(model, validationData, 'validation data')
      : undefined;
  const trainerOptions: TrainerOptions = {
    optimizer: cfg.optimizer,
    learningRate: cfg.learningRate,
    loss: cfg.loss,
    threads,
    maxBatch: Math.min(cfg.batchSize, n),
    seed: mix32(cfg.seed, 0x5eed),
    scoreBatch: Math.max(32, cfg.batchSize),
  };
  let trainer: Trainer | undefined;
  let engineSkipped: string | undefined;
  if (cfg.engine === false) engineSkipped = 'engine: false';
  else if (backend === 'tensorflow') engineSkipped = "the native 'tensorflow' backend is in use";
  else {
    const made = await createEngineTrainer(model, trainerOptions);
    if (typeof made === 'string') engineSkipped = made;
    else trainer = made;
  }
  const onEngine = trainer !== undefined;
  trainer ??= createTfjsTrainer(model, trainerOptions);
  const scheduled = (cfg.learningRateSchedule ?? 'constant') !== 'constant';
  // Steps whose weights the trainer has not yet written back into the model.
  let unwritten = 0;
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = createRng(cfg.seed);
  const history: EpochLog[] = [];
  let trainMs = 0;
  let best = es !== undefined && higherIsBetter(es.monitor) ? -Infinity : Infinity;
  let wait = 0;
  let stoppedEarly = false;
  let bestEpoch = -1;
  let bestWeights: { values: Float32Array; shape: number[] }[] | undefined;
  try {
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const t0 = performance.now();
      if (scheduled) trainer.setLearningRate(scheduledLearningRate(cfg, epoch));
      if (cfg.shuffle) shuffleInPlace(order, rng);
      let lossSum = 0;
      let correct = 0;
      for (let s = 0; s < n; s += cfg.batchSize) {
        const idx = order.slice(s, Math.min(n, s + cfg.batchSize));
        const m = idx.length;
        let xb = gather(pixels, per, idx);
        if (levels !== undefined) {
          const out = new Float32Array(xb.length);
          const lv = {
            median: Float32Array.from(idx, (i) => levels.median[i]),
            std: Float32Array.from(idx, (i) => levels.std[i]),
          };
          augmentBatch(xb, out, m, h, w, lv, aug, augRng, field);
          xb = out;
        }
        const r = await trainer.step({
          x: xb,
          shape: [m, h, w, c],
          labels: Int32Array.from(idx, (i) => data.labels[i]),
          weights: Float32Array.from(idx, (i) => weights[i]),
        });
        lossSum += r.loss;
        correct += r.correct;
        unwritten++;
      }
      const ms = performance.now() - t0;
      trainMs += ms;
      const log: EpochLog = { epoch, epochs: cfg.epochs, loss: lossSum / n, acc: correct / n, ms };
      if (!Number.isFinite(log.loss)) {
        throw new ModelError(
          `training diverged: the loss became ${log.loss} in epoch ${epoch + 1} ` +
            `(${cfg.loss}, ${cfg.optimizer}, learning rate ${cfg.learningRate}); ` +
            'try a lower learning rate, or check the data',
        );
      }
      // The model's own variables are current after every epoch, for callbacks that use it.
      trainer.syncWeights();
      unwritten = 0;
      if (validationData !== undefined && val !== undefined) {
        const v = await trainer.score(val.pixels, val.shape, validationData.labels);
        log.valLoss = v.loss;
        log.valAcc = v.acc;
      }
      history.push(log);
      onEpochEnd?.(log);
      if (es !== undefined) {
        const value = log[es.monitor] as number;
        if (improved(es.monitor, value, best, es.minDelta)) {
          best = value;
          wait = 0;
          bestEpoch = epoch;
          if (es.restoreBestWeights) bestWeights = snapshotWeights(model);
        } else if (++wait >= es.patience) {
          stoppedEarly = epoch < cfg.epochs - 1;
          break;
        }
      }
    }
  } finally {
    // An epoch cut short by an error still leaves the model with the weights it reached.
    if (unwritten > 0) trainer.syncWeights();
    await trainer.close();
  }
  if (bestWeights !== undefined && bestEpoch < history.length - 1)
    restoreWeights(model, bestWeights);
  else bestEpoch = history.length - 1;
  return {
    epochs: history,
    stoppedEarly,
    backend,
    engineThreads: onEngine ? trainer.threads : undefined,
    engineSimd: onEngine ? trainer.simd : undefined,
    engineSkipped,
    imagesPerSecond: trainMs > 0 ? (n * history.length * 1000) / trainMs : 0,
    bestEpoch,
  };
}

/** A copy of every weight of `model` (for `restoreBestWeights`). */
function snapshotWeights(model: tf.LayersModel): { values: Float32Array; shape: number[] }[] {
  return model.getWeights().map((t) => ({
    values: Float32Array.from(t.dataSync() as Float32Array),
    shape: t.shape,
  }));
}

/** Puts a {@link snapshotWeights} copy back into `model`. */
function restoreWeights(
  model: tf.LayersModel,
  saved: { values: Float32Array; shape: number[] }[],
): void {
  const tensors = saved.map((s) => tf.tensor(s.values, s.shape));
  model.setWeights(tensors);
  for (const t of tensors) t.dispose();
}
