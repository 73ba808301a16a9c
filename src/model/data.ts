import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import type { TensorData } from './config.js';

/** `[height, width, channels]` a model takes, from its input layer. */
export function modelInputShape(model: tf.LayersModel): [number, number, number] {
  const s = model.inputs[0].shape;
  if (s.length !== 4 || s.slice(1).some((d) => d === null)) {
    throw new ModelError(
      `model input shape ${JSON.stringify(s)} is not [n, height, width, channels]`,
    );
  }
  return [s[1] as number, s[2] as number, s[3] as number];
}

/**
 * Checks `images` against the model's input and returns `[n, h, w, c]`; a bare Float32Array is
 * read as whole images of the model's input shape. NaN pixels are refused: the library's
 * preprocessing replaces them, so one here means an image skipped it.
 */
export function checkImages(
  model: tf.LayersModel,
  images: TensorData | Float32Array,
  what = 'images',
): { pixels: Float32Array; shape: [number, number, number, number] } {
  const [h, w, c] = modelInputShape(model);
  const per = h * w * c;
  const pixels = images instanceof Float32Array ? images : images.images;
  if (!(images instanceof Float32Array)) {
    const [, ih, iw, ic] = images.shape;
    if (ih !== h || iw !== w || ic !== c) {
      throw new ModelError(
        `${what} have shape [${images.shape.join(', ')}] but the model takes [n, ${h}, ${w}, ${c}]`,
      );
    }
  }
  if (pixels.length % per !== 0) {
    throw new ModelError(`${what}: ${pixels.length} values are not whole ${h}x${w}x${c} images`);
  }
  const n = pixels.length / per;
  if (!(images instanceof Float32Array) && images.shape[0] !== n) {
    throw new ModelError(`${what}: shape says ${images.shape[0]} images but the data holds ${n}`);
  }
  for (let i = 0; i < pixels.length; i++) {
    if (Number.isNaN(pixels[i])) {
      throw new ModelError(
        `${what}: image ${Math.floor(i / per)} contains NaN (normalise it first)`,
      );
    }
  }
  return { pixels, shape: [n, h, w, c] };
}

/** Checks labels of `data` against its image count and the model's classes. */
export function checkLabels(data: TensorData, classes: number, what = 'data'): void {
  if (data.labels.length !== data.shape[0]) {
    throw new ModelError(`${what}: ${data.labels.length} labels for ${data.shape[0]} images`);
  }
  for (let i = 0; i < data.labels.length; i++) {
    const l = data.labels[i];
    if (!(l >= 0 && l < classes)) {
      throw new ModelError(
        `${what}: label ${l} of image ${i} is not a class index in [0, ${classes})`,
      );
    }
  }
}

/** Number of classes a model separates (2 for a one-unit sigmoid output). */
export function modelClasses(model: tf.LayersModel): number {
  const units = model.outputs[0].shape[1] as number;
  return units === 1 ? 2 : units;
}

/**
 * Training targets for `labels`: one-hot `[n, classes]` for a softmax output, `[n, 1]` of 0/1 for
 * a one-unit sigmoid output.
 */
export function targets(labels: Int32Array, units: number): tf.Tensor2D {
  return tf.tidy(() => {
    if (units === 1) return tf.tensor2d(Float32Array.from(labels), [labels.length, 1]);
    return tf.oneHot(tf.tensor1d(labels, 'int32'), units).toFloat() as tf.Tensor2D;
  });
}

/** Copies the images `idx` (in that order) out of `pixels` into one new buffer. */
export function gather(pixels: Float32Array, per: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * per);
  for (let i = 0; i < idx.length; i++) {
    out.set(pixels.subarray(idx[i] * per, (idx[i] + 1) * per), i * per);
  }
  return out;
}
