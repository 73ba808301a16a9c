import * as tf from '@tensorflow/tfjs';
import { currentBackend } from './backend.js';
import type { TensorData } from './config.js';
import { checkImages } from './data.js';
import { engineThreadsAvailable } from './engine/engine.js';
import { scoreOnEngines } from './engine/shared.js';
import { planModel } from './engine/plan.js';

/** Options of {@link predict}. */
export interface PredictOptions {
  /** Images per forward pass. Default 32. */
  batchSize: number;
  /**
   * Node only: the engine's threads that share the images. Default `'auto'`: one thread per CPU
   * core. `0` or `1`: the calling thread alone. Ignored in a browser, and for models the engine
   * declines (TensorFlow.js scores them on the calling thread). Scores do not depend on it
   * beyond float rounding.
   */
  threads: number | 'auto';
  /** @deprecated The old name of {@link PredictOptions.threads}, read when `threads` is not given. */
  workers?: number | 'auto';
  /**
   * Score with the library's WebAssembly engine (the one `trainModel` trains with) when it runs
   * the model; `false` always uses TensorFlow.js. Default `true`. Ignored with the native
   * `tensorflow` backend.
   */
  engine: boolean;
}

/** Defaults of {@link PredictOptions}. */
export const DEFAULT_PREDICT_OPTIONS: PredictOptions = {
  batchSize: 32,
  threads: 'auto',
  engine: true,
};

/**
 * Positive-class score of each image under `model` on the calling thread: the softmax output of
 * class 1, or the single sigmoid output. Dropout is off (inference mode).
 */
export function predictLocal(
  model: tf.LayersModel,
  pixels: Float32Array,
  shape: [number, number, number, number],
  batchSize: number,
): Float32Array {
  const [n, h, w, c] = shape;
  const per = h * w * c;
  const out = new Float32Array(n);
  for (let start = 0; start < n; start += batchSize) {
    const m = Math.min(batchSize, n - start);
    const scores = tf.tidy(() => {
      const x = tf.tensor4d(pixels.subarray(start * per, (start + m) * per), [m, h, w, c]);
      const y = model.predict(x) as tf.Tensor2D;
      const units = y.shape[1];
      return units === 1 ? y.reshape([m]) : y.slice([0, 1], [m, 1]).reshape([m]);
    });
    out.set(scores.dataSync() as Float32Array, start);
    scores.dispose();
  }
  return out;
}

/**
 * Scores with the engine, or `undefined` when it does not run this model: a one-thread engine
 * on the calling thread and, in Node, scoring workers with private copies of it, each taking a
 * contiguous run of the images (`scoreOnEngines`; kept between calls).
 */
async function predictWithEngine(
  model: tf.LayersModel,
  pixels: Float32Array,
  n: number,
  opts: PredictOptions,
): Promise<Float32Array | undefined> {
  if (typeof planModel(model) === 'string') return undefined;
  const threads =
    opts.threads === 'auto' ? engineThreadsAvailable() : Math.max(1, Math.floor(opts.threads));
  const maxBatch = Math.max(1, Math.floor(opts.batchSize));
  const probs = await scoreOnEngines(model, threads, maxBatch, pixels, n);
  if (probs === undefined) return undefined;
  const units = probs.length / Math.max(1, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = probs[i * units + (units === 1 ? 0 : 1)];
  return out;
}

/**
 * `options` over `defaults`, with the deprecated `workers` read as `threads` when `threads` is
 * not given.
 */
export function withThreads<T extends Pick<PredictOptions, 'threads' | 'workers'>>(
  defaults: T,
  options: Partial<T>,
): T {
  const { workers, ...rest } = options;
  const merged = { ...defaults, ...rest } as T;
  merged.threads = options.threads ?? workers ?? defaults.threads;
  return merged;
}

/**
 * Scores a batch of prepared images: the positive-class (index 1) probability of each.
 *
 * @param images - `TensorData` (labels ignored) or a bare `Float32Array` of whole images in the
 *   model's input shape, `[n, height, width, channels]` row-major. NaN pixels are refused with a
 *   `ModelError` naming the image.
 * @returns one score per image, in input order.
 */
export async function predict(
  model: tf.LayersModel,
  images: TensorData | Float32Array,
  options: Partial<PredictOptions> = {},
): Promise<Float32Array> {
  const opts = withThreads(DEFAULT_PREDICT_OPTIONS, options);
  await currentBackend();
  const { pixels, shape } = checkImages(model, images);
  if (opts.engine && tf.getBackend() !== 'tensorflow' && shape[0] > 0) {
    const scores = await predictWithEngine(model, pixels, shape[0], opts);
    if (scores !== undefined) return scores;
  }
  return predictLocal(model, pixels, shape, opts.batchSize);
}
