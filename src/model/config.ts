/**
 * Configuration types of the model module. Names follow Keras / tfjs-layers so users carry their
 * habits over; defaults reproduce the original pipeline (see {@link DEFAULT_MODEL_CONFIG} and
 * {@link DEFAULT_TRAIN_CONFIG}).
 */

import { ModelError } from '../core/errors.js';
import type { TrainAugmentOptions } from './augment-batch.js';

/** Activation functions a convolution or dense layer may use. */
export type Activation = 'relu' | 'softmax' | 'sigmoid' | 'tanh' | 'elu' | 'selu' | 'linear';

/** One convolution block: Conv2D (valid padding, stride 1) followed by MaxPool. */
export interface ConvBlockConfig {
  /** Number of filters (output channels). */
  filters: number;
  /** Square kernel size in pixels. */
  kernelSize: number;
  /** Square max-pool size (and stride); 1 means no pooling. */
  poolSize: number;
  /** Activation of the convolution. */
  activation: Activation;
}

/** Describes the CNN that {@link DEFAULT_MODEL_CONFIG} and `createModel` build. */
export interface ModelConfig {
  /** Input `[height, width, channels]`. */
  inputShape: [number, number, number];
  /** The convolution blocks, in order. */
  convBlocks: ConvBlockConfig[];
  /** Dropout rate after the last convolution block. */
  convDropout: number;
  /** Units of the hidden dense layer (ReLU). */
  denseUnits: number;
  /** Dropout rate after the hidden dense layer. */
  denseDropout: number;
  /** Number of classes. */
  classes: number;
  /** `softmax`: `classes` outputs; `sigmoid`: one output (requires `classes` = 2). */
  output: 'softmax' | 'sigmoid';
  /** Seed for the weight initialisers (same seed, same initial weights). */
  seed: number;
}

/** Optimizers `trainModel` accepts (as in Keras). */
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop' | 'adagrad' | 'adadelta' | 'adamax';

/** Loss functions `trainModel` accepts. */
export type LossName =
  | 'binaryCrossentropy'
  | 'categoricalCrossentropy'
  | 'meanSquaredError'
  | 'meanAbsoluteError'
  | 'hinge'
  | 'squaredHinge'
  | 'kullbackLeiblerDivergence'
  | 'poisson'
  | 'cosineProximity';

/** Every {@link OptimizerName}. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = [
  'adam',
  'sgd',
  'rmsprop',
  'adagrad',
  'adadelta',
  'adamax',
];

/** Every {@link LossName}. */
export const LOSS_NAMES: readonly LossName[] = [
  'binaryCrossentropy',
  'categoricalCrossentropy',
  'meanSquaredError',
  'meanAbsoluteError',
  'hinge',
  'squaredHinge',
  'kullbackLeiblerDivergence',
  'poisson',
  'cosineProximity',
];

/** Keras's spellings (and its short names) of the losses, as Python code writes them. */
const KERAS_LOSSES: Readonly<Record<string, LossName>> = {
  binary_crossentropy: 'binaryCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  mean_squared_error: 'meanSquaredError',
  mse: 'meanSquaredError',
  mean_absolute_error: 'meanAbsoluteError',
  mae: 'meanAbsoluteError',
  squared_hinge: 'squaredHinge',
  kullback_leibler_divergence: 'kullbackLeiblerDivergence',
  kl_divergence: 'kullbackLeiblerDivergence',
  kld: 'kullbackLeiblerDivergence',
  cosine_proximity: 'cosineProximity',
};

/**
 * The {@link LossName} that `name` means: one of {@link LOSS_NAMES}, or its Keras spelling
 * (`binary_crossentropy`, `mse`, `kl_divergence`, ...), in any letter case.
 *
 * @param name - what the user wrote
 * @throws ModelError naming the value and listing the accepted names
 */
export function lossName(name: string): LossName {
  const key = String(name).trim();
  const found =
    LOSS_NAMES.find((n) => n.toLowerCase() === key.toLowerCase()) ??
    KERAS_LOSSES[key.toLowerCase()];
  if (found !== undefined) return found;
  throw new ModelError(
    `unknown loss ${JSON.stringify(name)}: use one of ${LOSS_NAMES.join(', ')} (or the Keras spellings, e.g. binary_crossentropy)`,
  );
}

/**
 * The {@link OptimizerName} that `name` means, in any letter case (`Adam`, `SGD`, `RMSprop` as
 * Keras writes them).
 *
 * @param name - what the user wrote
 * @throws ModelError naming the value and listing the accepted names
 */
export function optimizerName(name: string): OptimizerName {
  const key = String(name).trim().toLowerCase();
  const found = OPTIMIZER_NAMES.find((n) => n === key);
  if (found !== undefined) return found;
  throw new ModelError(
    `unknown optimizer ${JSON.stringify(name)}: use one of ${OPTIMIZER_NAMES.join(', ')}`,
  );
}

/**
 * What early stopping watches: a key of {@link EpochLog}. The snake_case spellings of earlier
 * versions (`val_loss`, `val_acc`) are still read from saved profiles and models and accepted at
 * run time (see {@link monitorName}).
 */
export type EarlyStoppingMonitor = 'valLoss' | 'valAcc' | 'loss' | 'acc';

/** Every {@link EarlyStoppingMonitor}. */
export const EARLY_STOPPING_MONITORS: readonly EarlyStoppingMonitor[] = [
  'valLoss',
  'valAcc',
  'loss',
  'acc',
];

/**
 * The monitor a name means: one of {@link EARLY_STOPPING_MONITORS}, or the snake_case spelling
 * earlier versions used and saved (`val_loss` is `valLoss`, `val_acc` is `valAcc`).
 *
 * @param name - what the user or a saved file wrote
 * @throws ModelError naming the value and listing the accepted names
 */
export function monitorName(name: string): EarlyStoppingMonitor {
  const key = String(name).trim();
  const legacy: Record<string, EarlyStoppingMonitor> = { val_loss: 'valLoss', val_acc: 'valAcc' };
  const found = legacy[key] ?? EARLY_STOPPING_MONITORS.find((m) => m === key);
  if (found !== undefined) return found;
  throw new ModelError(
    `unknown early-stopping monitor ${JSON.stringify(name)}: use one of ${EARLY_STOPPING_MONITORS.join(', ')}`,
  );
}

/** Early stopping: stop when `monitor` has not improved by `minDelta` for `patience` epochs. */
export interface EarlyStoppingConfig {
  /** Quantity to watch: the {@link EpochLog} key of the same name. */
  monitor: EarlyStoppingMonitor;
  /** Epochs without improvement before stopping. */
  patience: number;
  /** Smallest change that counts as an improvement. */
  minDelta: number;
  /**
   * Put back the weights of the best epoch when training ends (Keras's `restore_best_weights`),
   * so the model is the one the monitored quantity chose, not the last. Default false.
   */
  restoreBestWeights?: boolean;
}

/** What a progress callback receives at the end of each epoch. */
export interface EpochLog {
  /** Epoch number, from 0. */
  epoch: number;
  /** Total epochs planned. */
  epochs: number;
  /** Training loss of the epoch. */
  loss: number;
  /** Training accuracy of the epoch. */
  acc: number;
  /** Validation loss, when validation data is given. */
  valLoss?: number;
  /** Validation accuracy, when validation data is given. */
  valAcc?: number;
  /** Wall time of the epoch in milliseconds. */
  ms: number;
}

/**
 * The learning rate of epoch `epoch` (from 0) under `config`'s schedule (see
 * {@link TrainConfig.learningRateSchedule}).
 *
 * @param config - learning rate, schedule, floor and epochs
 * @param epoch - the epoch, from 0
 */
export function scheduledLearningRate(
  config: Pick<
    TrainConfig,
    'learningRate' | 'epochs' | 'learningRateSchedule' | 'minLearningRateFraction'
  >,
  epoch: number,
): number {
  if ((config.learningRateSchedule ?? 'constant') === 'constant') return config.learningRate;
  const m = config.minLearningRateFraction ?? 0.05;
  const t = config.epochs > 1 ? Math.min(1, epoch / (config.epochs - 1)) : 0;
  return config.learningRate * (m + ((1 - m) * (1 + Math.cos(Math.PI * t))) / 2);
}

/** Training options (Keras names), defaults in {@link DEFAULT_TRAIN_CONFIG}. */
export interface TrainConfig {
  /** Optimizer name. */
  optimizer: OptimizerName;
  /** Learning rate. */
  learningRate: number;
  /**
   * How the learning rate changes over the epochs: `'constant'` (the default), or `'cosine'`:
   * epoch `e` of `E` uses `learningRate × (m + (1 − m)(1 + cos(π e / (E − 1))) / 2)`, from the full rate
   * at the first epoch down towards `m` = {@link TrainConfig.minLearningRateFraction} of it at the
   * last (early stopping may end training before).
   */
  learningRateSchedule?: 'constant' | 'cosine';
  /** Floor of the cosine schedule as a fraction of `learningRate`. Default 0.05. */
  minLearningRateFraction?: number;
  /** Loss function. */
  loss: LossName;
  /** Samples per gradient step. */
  batchSize: number;
  /** Passes over the training data. */
  epochs: number;
  /** Seed of the per-epoch shuffle. */
  seed: number;
  /** Shuffle the training samples each epoch. */
  shuffle: boolean;
  /** Weight per class index applied to the loss, e.g. `{0: 1, 1: 5}` for rare positives. */
  classWeight?: Record<number, number>;
  /** Stop early when the monitored quantity stops improving. */
  earlyStopping?: EarlyStoppingConfig;
  /**
   * Random transforms of every training image at every step, the same for both classes: the
   * eight flips/90° rotations, small rotations, and noise at the image's own noise level (see
   * `TrainAugmentOptions`). `true`: the defaults of `DEFAULT_TRAIN_AUGMENT_OPTIONS`; an object:
   * those fields changed. Default `false` (the original pipeline trained on fixed images).
   */
  augment?: boolean | Partial<TrainAugmentOptions>;
  /**
   * Node only: the training engine's threads, which share each batch (gradients summed before
   * one optimizer step, so results match one thread up to float rounding). `'auto'` (the
   * default when omitted): one thread per CPU core. `0` or `1`: the calling thread alone; `n`: n
   * threads. Models the engine declines train with TensorFlow.js on the calling thread.
   */
  threads?: number | 'auto';
  /** @deprecated The old name of {@link TrainConfig.threads}, read when `threads` is absent. */
  workers?: number | 'auto';
  /**
   * Train with this library's WebAssembly training engine (fused SIMD kernels, threads sharing
   * one memory) when the model is one it runs: the `createModel` family, see the model guide.
   * Default `true`; other models, and the native `tensorflow` backend, always train through
   * TensorFlow.js. `false` forces TensorFlow.js. The engine draws its own dropout masks from
   * `seed`, so one seed and thread count give one trained model.
   */
  engine?: boolean;
}

/**
 * Images and labels in the layout the model takes: `images` is float32 `[n, height, width,
 * channels]` in row-major order, `labels` holds one class index per image.
 */
export interface TensorData {
  /** Pixels, `n * height * width * channels` values. */
  images: Float32Array;
  /** `[n, height, width, channels]`. */
  shape: [number, number, number, number];
  /** Class index of each image (0 = negative, 1 = positive for two classes). */
  labels: Int32Array;
}

/** The original pipeline's network (see the model guide for why the first activation is ReLU). */
export const DEFAULT_MODEL_CONFIG: ModelConfig = {
  inputShape: [100, 100, 1],
  convBlocks: [
    { filters: 32, kernelSize: 3, poolSize: 2, activation: 'relu' },
    { filters: 64, kernelSize: 3, poolSize: 2, activation: 'relu' },
  ],
  convDropout: 0.25,
  denseUnits: 128,
  denseDropout: 0.5,
  classes: 2,
  output: 'softmax',
  seed: 1,
};

/** The original pipeline's training: Adam 1e-3, binary cross-entropy, batch 2, 30 epochs. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  optimizer: 'adam',
  learningRate: 1e-3,
  loss: 'binaryCrossentropy',
  batchSize: 2,
  epochs: 30,
  seed: 1,
  shuffle: true,
};
