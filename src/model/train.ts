import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { createRng, shuffleInPlace } from '../core/random.js';
import { ensureBackend } from './backend.js';
import {
  DEFAULT_TRAIN_CONFIG,
  lossName,
  optimizerName,
  scheduledLearningRate,
  type EpochLog,
  type TensorData,
  type TrainConfig,
} from './config.js';
import { checkImages, checkLabels, gather, modelClasses, targets } from './data.js';
import { engineThreadsAvailable, TrainingEngine } from './engine/engine.js';
import { mix32 } from './engine/core.js';
import { sampleCorrect, sampleLoss } from './losses.js';
import { makeOptimizer } from './optimizers.js';
import {
  augmentBatch,
  augmentsAnything,
  imageLevels,
  resolveTrainAugment,
} from './augment-batch.js';

/** Options of {@link trainModel}: a {@link TrainConfig} plus data and a progress callback. */
export type TrainOptions = Partial<TrainConfig> & {
  /** Held-out data scored after every epoch (`valLoss`, `valAcc`); needed to monitor `val_*`. */
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
  /** TensorFlow.js backend the training ran on. */
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

/**
 * One optimisation step on the calling thread: loss = sum(w_i * loss_i) / batch size (Keras's
 * reduction with class weights). Returns the weighted loss sum and the number classified right.
 */
export function localStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  loss: TrainConfig['loss'],
  x: Float32Array,
  shape: [number, number, number, number],
  labels: Int32Array,
  weights: Float32Array,
): { loss: number; correct: number } {
  const units = model.outputs[0].shape[1] as number;
  const [lossT, correctT] = tf.tidy(() => {
    const xs = tf.tensor4d(x, shape);
    const ys = targets(labels, units);
    const ws = tf.tensor1d(weights);
    let correct: tf.Scalar | undefined;
    const cost = optimizer.minimize(() => {
      const p = model.apply(xs, { training: true }) as tf.Tensor2D;
      correct = tf.keep(tf.sum(sampleCorrect(ys, p)) as tf.Scalar);
      return tf.div(tf.sum(tf.mul(sampleLoss(loss, ys, p), ws)), shape[0]) as tf.Scalar;
    }, true) as tf.Scalar;
    return [tf.mul(cost, shape[0]) as tf.Scalar, correct as tf.Scalar];
  });
  const out = { loss: lossT.dataSync()[0], correct: correctT.dataSync()[0] };
  lossT.dispose();
  correctT.dispose();
  return out;
}

/** Mean loss and accuracy of `model` on `data` in inference mode (dropout off, no class weights). */
export function scoreLossAccuracy(
  model: tf.LayersModel,
  data: TensorData,
  lossName: TrainConfig['loss'],
  batchSize: number,
): { loss: number; acc: number } {
  const { pixels, shape } = checkImages(model, data, 'validation data');
  const [n, h, w, c] = shape;
  const per = h * w * c;
  const units = model.outputs[0].shape[1] as number;
  let loss = 0;
  let correct = 0;
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const [l, k] = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(s * per, (s + m) * per), [m, h, w, c]);
      const y = targets(data.labels.subarray(s, s + m), units);
      const p = model.predict(x) as tf.Tensor2D;
      return [tf.sum(sampleLoss(lossName, y, p)), tf.sum(sampleCorrect(y, p))];
    });
    loss += l.dataSync()[0];
    correct += k.dataSync()[0];
    l.dispose();
    k.dispose();
  }
  return { loss: loss / n, acc: correct / n };
}

/**
 * A source of gradient steps. The default runs on the calling thread; the Node entry point
 * installs one that splits each batch over worker threads.
 */
export interface StepRunner {
  /** Runs one step on images `x` (`shape`) and returns the weighted loss sum and hits. */
  step(
    x: Float32Array,
    shape: [number, number, number, number],
    labels: Int32Array,
    weights: Float32Array,
  ): Promise<{ loss: number; correct: number }>;
  /** Frees what the runner holds (threads); the model itself is always up to date. */
  close(): Promise<void>;
  /** Sets the learning rate of the following steps (absent: the rate cannot change). */
  setLearningRate?(learningRate: number): void;
}

/** Makes a {@link StepRunner} for a model, its optimizer and config, or `undefined` to train locally. */
export type StepRunnerFactory = (
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  config: TrainConfig,
) => Promise<StepRunner | undefined>;

let runnerFactory: StepRunnerFactory | undefined;

/** Installs a multi-threaded step runner (called by `train.node.ts` when it loads). */
export function setStepRunnerFactory(f: StepRunnerFactory | undefined): void {
  runnerFactory = f;
}

/** A {@link StepRunner} over the training engine (which holds its own copy of the weights). */
function engineRunner(engine: TrainingEngine, cfg: TrainConfig): StepRunner {
  return {
    step: (x, _shape, labels, weights) => engine.step(x, labels, weights, cfg.loss),
    close: () => engine.close(),
    setLearningRate: (lr) => engine.setLearningRate(lr),
  };
}

function improved(monitor: string, value: number, best: number, minDelta: number): boolean {
  return monitor.endsWith('acc') ? value > best + minDelta : value < best - minDelta;
}

/**
 * Trains `model` in place on `data` (minibatch gradient descent, Keras semantics) and returns the
 * per-epoch history. Each epoch reshuffles with one generator seeded from `seed`, so one seed gives
 * one sample order. No tensors are left behind between epochs (the optimizer's
 * state is created in the first step and reused).
 *
 * @throws ModelError on shape or label mismatches, NaN pixels, an unknown loss or optimizer
 *   name (Keras spellings such as `binary_crossentropy` are accepted), a `val_*`
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
  const backend = await ensureBackend();
  const { pixels, shape } = checkImages(model, data, 'training data');
  const classes = modelClasses(model);
  checkLabels(data, classes, 'training data');
  if (validationData !== undefined) checkLabels(validationData, classes, 'validation data');
  if (!(Number.isInteger(cfg.batchSize) && cfg.batchSize >= 1)) {
    throw new ModelError(`batchSize must be a positive integer, got ${cfg.batchSize}`);
  }
  const es = cfg.earlyStopping;
  if (es?.monitor.startsWith('val_') && validationData === undefined) {
    throw new ModelError(`early stopping monitors '${es.monitor}' but no validationData was given`);
  }
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
  let engine: TrainingEngine | undefined;
  let engineSkipped: string | undefined;
  if (cfg.engine === false) engineSkipped = 'engine: false';
  else if (backend === 'tensorflow') engineSkipped = "the native 'tensorflow' backend is in use";
  else {
    const wanted = cfg.workers ?? 'auto';
    const made = await TrainingEngine.create(model, {
      threads: wanted === 'auto' ? engineThreadsAvailable() : Math.max(1, wanted),
      maxBatch: Math.min(cfg.batchSize, n),
      optimizer: cfg.optimizer,
      learningRate: cfg.learningRate,
      seed: mix32(cfg.seed, 0x5eed),
    });
    if (typeof made === 'string') engineSkipped = made;
    else engine = made;
  }
  const scheduled = (cfg.learningRateSchedule ?? 'constant') !== 'constant';
  if (scheduled && cfg.learningRateSchedule !== 'cosine') {
    throw new ModelError(
      `learningRateSchedule must be 'constant' or 'cosine', got ${String(cfg.learningRateSchedule)}`,
    );
  }
  const floor = cfg.minLearningRateFraction ?? 0.05;
  if (!(floor >= 0 && floor <= 1)) {
    throw new ModelError(`minLearningRateFraction must be in [0, 1], got ${floor}`);
  }
  const optimizer =
    engine === undefined ? makeOptimizer(cfg.optimizer, cfg.learningRate) : undefined;
  const runner: StepRunner = engine
    ? engineRunner(engine, cfg)
    : // The threaded TensorFlow.js runner keeps optimizer replicas at one rate: a schedule
      // trains on the calling thread.
      ((scheduled ? undefined : await runnerFactory?.(model, optimizer as tf.Optimizer, cfg)) ?? {
        step: async (x, s, l, wt) =>
          localStep(model, optimizer as tf.Optimizer, cfg.loss, x, s, l, wt),
        close: async () => undefined,
        setLearningRate: (lr) => {
          // TensorFlow.js optimizers read this field at every step.
          (optimizer as unknown as { learningRate: number }).learningRate = lr;
        },
      });
  // Checked once (NaN, shape), not every epoch.
  const valPixels =
    engine && validationData !== undefined
      ? checkImages(model, validationData, 'validation data').pixels
      : undefined;
  // Steps whose weights the engine has not yet written back into the model.
  let unwritten = 0;
  const order = Array.from({ length: n }, (_, i) => i);
  const rng = createRng(cfg.seed);
  const history: EpochLog[] = [];
  let trainMs = 0;
  let best = es?.monitor.endsWith('acc') ? -Infinity : Infinity;
  let wait = 0;
  let stoppedEarly = false;
  let bestEpoch = -1;
  let bestWeights: { values: Float32Array; shape: number[] }[] | undefined;
  try {
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const t0 = performance.now();
      if (scheduled) runner.setLearningRate?.(scheduledLearningRate(cfg, epoch));
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
          augmentBatch(xb, out, m, h, w, lv, aug, augRng);
          xb = out;
        }
        const r = await runner.step(
          xb,
          [m, h, w, c],
          Int32Array.from(idx, (i) => data.labels[i]),
          Float32Array.from(idx, (i) => weights[i]),
        );
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
      if (engine) {
        engine.writeWeights(model);
        unwritten = 0;
      }
      if (validationData !== undefined) {
        const v =
          engine && valPixels
            ? await engine.score(valPixels, validationData.labels, cfg.loss)
            : scoreLossAccuracy(model, validationData, cfg.loss, Math.max(32, cfg.batchSize));
        log.valLoss = v.loss;
        log.valAcc = v.acc;
      }
      history.push(log);
      onEpochEnd?.(log);
      if (es !== undefined) {
        const key = ({ val_loss: 'valLoss', val_acc: 'valAcc', loss: 'loss', acc: 'acc' } as const)[
          es.monitor
        ];
        const value = log[key] as number;
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
    if (engine && unwritten > 0) engine.writeWeights(model);
    await runner.close();
    optimizer?.dispose();
  }
  if (bestWeights !== undefined && bestEpoch < history.length - 1)
    restoreWeights(model, bestWeights);
  else bestEpoch = history.length - 1;
  return {
    epochs: history,
    stoppedEarly,
    backend,
    engineThreads: engine?.threads,
    engineSimd: engine?.simd,
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
