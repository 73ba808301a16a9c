/**
 * The two ways a model trains, behind one interface: the library's WebAssembly engine (the fast
 * path, for every model `createModel` builds) and plain TensorFlow.js (the small fallback, for
 * models the engine declines, for `engine: false`, and on the native `tensorflow` backend).
 * `trainModel` drives either the same way.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import type { LossName, OptimizerName } from './config.js';
import { targets } from './data.js';
import { engineThreadsAvailable, TrainingEngine, type EngineSimd } from './engine/engine.js';
import { sampleCorrect, sampleLoss } from './losses.js';
import { makeOptimizer } from './optimizers.js';

/** Images with their labels and per-sample loss weights, `[m, height, width, channels]`. */
export interface TrainerBatch {
  /** Pixels, row-major. */
  x: Float32Array;
  /** `[m, height, width, channels]`. */
  shape: [number, number, number, number];
  /** Class index of each image. */
  labels: Int32Array;
  /** Loss weight of each image. */
  weights: Float32Array;
}

/** A source of gradient steps on one model. */
export interface Trainer {
  /** Threads that run a step (1 for TensorFlow.js, which runs on the calling thread). */
  readonly threads: number;
  /** The engine's SIMD build, when the engine trains. */
  readonly simd?: EngineSimd;
  /**
   * One optimisation step: loss = sum(w_i * loss_i) / batch size (Keras's reduction with class
   * weights). Resolves with the weighted loss sum and the number classified right.
   */
  step(batch: TrainerBatch): Promise<{ loss: number; correct: number }>;
  /**
   * Mean loss and accuracy on checked images in inference mode (dropout off, no class weights),
   * with the weights as they are now.
   */
  score(
    pixels: Float32Array,
    shape: [number, number, number, number],
    labels: Int32Array,
  ): Promise<{ loss: number; acc: number }>;
  /** Makes the model's own variables hold the trained weights (a no-op where they already do). */
  syncWeights(): void;
  /** Frees what the trainer holds (threads, memory, optimizer state). */
  close(): Promise<void>;
  /** Sets the learning rate of the following steps (a schedule's rate for the epoch). */
  setLearningRate(learningRate: number): void;
}

/** What both trainers take. */
export interface TrainerOptions {
  optimizer: OptimizerName;
  learningRate: number;
  loss: LossName;
  /** Threads wanted (the engine caps it at what the platform has). */
  threads: number | 'auto';
  /** Largest batch a step gets. */
  maxBatch: number;
  /** Seed of the engine's dropout masks. */
  seed: number;
  /** Batch size when scoring with TensorFlow.js. */
  scoreBatch: number;
}

/**
 * The engine's trainer for `model`, or the reason the engine does not run it. The engine holds
 * its own copy of the weights; {@link Trainer.syncWeights} copies them back into the model.
 */
export async function createEngineTrainer(
  model: tf.LayersModel,
  options: TrainerOptions,
): Promise<Trainer | string> {
  const { threads } = options;
  const made = await TrainingEngine.create(model, {
    threads: threads === 'auto' ? engineThreadsAvailable() : Math.max(1, Math.floor(threads)),
    maxBatch: options.maxBatch,
    optimizer: options.optimizer,
    learningRate: options.learningRate,
    seed: options.seed,
  });
  if (typeof made === 'string') return made;
  const engine = made;
  return {
    threads: engine.threads,
    simd: engine.simd,
    step: (b) => engine.step(b.x, b.labels, b.weights, options.loss),
    score: (pixels, _shape, labels) => engine.score(pixels, labels, options.loss),
    syncWeights: () => engine.writeWeights(model),
    close: () => engine.close(),
    setLearningRate: (lr) => engine.setLearningRate(lr),
  };
}

/** Gradient kernels a CNN's training step needs beyond the forward pass. */
const GRADIENT_KERNELS = ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad'];

/**
 * Runs `f` with `backend` active, and the host's backend active again before it returns (and
 * before any other code runs: switching to an initialised backend happens synchronously, and
 * `f` is synchronous). `undefined`: the current backend.
 */
function onBackend<T>(backend: string | undefined, f: () => T): T {
  if (backend === undefined) return f();
  const host = tf.getBackend();
  void tf.setBackend(backend);
  try {
    if (tf.getBackend() !== backend) {
      throw new ModelError(`TensorFlow.js backend '${backend}' did not become active`);
    }
    return f();
  } finally {
    void tf.setBackend(host);
  }
}

/**
 * The TensorFlow.js trainer: `model.apply` and `tf.train`'s optimizer on the calling thread, on
 * the host's backend. The model's variables are trained in place. Where that backend cannot
 * train a CNN (TensorFlow.js's `wasm` backend has no filter gradient), each step runs on `cpu`,
 * switched to and back within the step, so the host never sees another backend or kernel.
 */
export function createTfjsTrainer(model: tf.LayersModel, options: TrainerOptions): Trainer {
  const optimizer = makeOptimizer(options.optimizer, options.learningRate);
  const units = model.outputs[0].shape[1] as number;
  const host = tf.getBackend();
  const stepBackend = GRADIENT_KERNELS.every((k) => tf.getKernel(k, host) !== undefined)
    ? undefined
    : 'cpu';
  return {
    threads: 1,
    async step({ x, shape, labels, weights }) {
      return onBackend(stepBackend, () => {
        const [lossT, correctT] = tf.tidy(() => {
          const xs = tf.tensor4d(x, shape);
          const ys = targets(labels, units);
          const ws = tf.tensor1d(weights);
          let correct: tf.Scalar | undefined;
          const cost = optimizer.minimize(() => {
            const p = model.apply(xs, { training: true }) as tf.Tensor2D;
            correct = tf.keep(tf.sum(sampleCorrect(ys, p)) as tf.Scalar);
            return tf.div(
              tf.sum(tf.mul(sampleLoss(options.loss, ys, p), ws)),
              shape[0],
            ) as tf.Scalar;
          }, true) as tf.Scalar;
          return [tf.mul(cost, shape[0]) as tf.Scalar, correct as tf.Scalar];
        });
        const out = { loss: lossT.dataSync()[0], correct: correctT.dataSync()[0] };
        tf.dispose([lossT, correctT]);
        return out;
      });
    },
    async score(pixels, shape, labels) {
      const [n, h, w, c] = shape;
      const per = h * w * c;
      const batch = options.scoreBatch;
      let loss = 0;
      let correct = 0;
      for (let s = 0; s < n; s += batch) {
        const m = Math.min(batch, n - s);
        const [l, k] = tf.tidy(() => {
          const x = tf.tensor4d(pixels.subarray(s * per, (s + m) * per), [m, h, w, c]);
          const y = targets(labels.subarray(s, s + m), units);
          const p = model.predict(x) as tf.Tensor2D;
          return [tf.sum(sampleLoss(options.loss, y, p)), tf.sum(sampleCorrect(y, p))];
        });
        loss += l.dataSync()[0];
        correct += k.dataSync()[0];
        tf.dispose([l, k]);
      }
      return { loss: loss / n, acc: correct / n };
    },
    syncWeights() {
      /* the model's variables are the ones trained */
    },
    async close() {
      optimizer.dispose();
    },
    setLearningRate(lr) {
      // TensorFlow.js's optimizers read this field at every step.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
    },
  };
}
