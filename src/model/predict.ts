import * as tf from '@tensorflow/tfjs';
import { ensureBackend } from './backend.js';
import type { TensorData } from './config.js';
import { checkImages } from './data.js';

/** Options of {@link predict}. */
export interface PredictOptions {
  /** Images per forward pass. Default 32. */
  batchSize: number;
  /**
   * Node with the WASM backend only: threads to share the images (the calling thread plus
   * workers, each with its own WASM backend and model replica). Default `'auto'`: one worker per
   * spare CPU core when each thread gets at least 300,000 input values (32 images of 100x100);
   * `0` or `1`: the calling thread alone. Ignored in a browser. Scores do not depend on it.
   */
  workers: number | 'auto';
}

/** Defaults of {@link PredictOptions}. */
export const DEFAULT_PREDICT_OPTIONS: PredictOptions = { batchSize: 32, workers: 'auto' };

/** A predictor that spreads work over threads; installed by the Node entry point. */
export type ParallelPredictor = (
  model: tf.LayersModel,
  pixels: Float32Array,
  shape: [number, number, number, number],
  options: PredictOptions,
) => Promise<Float32Array | undefined>;

let parallel: ParallelPredictor | undefined;

/** Installs the multi-threaded predictor (called by `predict.node.ts` when it loads). */
export function setParallelPredictor(p: ParallelPredictor | undefined): void {
  parallel = p;
}

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
  const opts: PredictOptions = { ...DEFAULT_PREDICT_OPTIONS, ...options };
  await ensureBackend();
  const { pixels, shape } = checkImages(model, images);
  if (parallel !== undefined && opts.workers !== 0 && opts.workers !== 1) {
    const scores = await parallel(model, pixels, shape, opts);
    if (scores !== undefined) return scores;
  }
  return predictLocal(model, pixels, shape, opts.batchSize);
}
