/**
 * Saliency maps: which pixels of an input drove a model's positive-class score, so an
 * astronomer sees whether the model looked at the source or at a shortcut (a border, a beam
 * artefact, the noise). Two methods: occlusion (model-agnostic, scored by `predict` and so by the
 * library's engine) and the input gradient (TensorFlow.js `tf.grad`). Browser-safe.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { createImage2D, toContiguous, type Image2D } from '../core/image2d.js';
import { currentBackend } from './backend.js';
import { modelInputShape } from './data.js';
import { DEFAULT_PREDICT_OPTIONS, withThreads, type PredictOptions } from './predict.js';
import { predictTTA, ttaTransforms, type TestTimeAugmentation } from './tta.js';

/** Options of {@link occlusionSaliency}. Defaults in {@link DEFAULT_OCCLUSION_OPTIONS}. */
export interface OcclusionOptions extends PredictOptions {
  /** Side of the square patch that hides part of the image, in pixels. Default 10. */
  patch: number;
  /**
   * Step between patch positions, in pixels (1 to `patch`); the last row and column of
   * positions sit flush with the far edges so every pixel is covered. Default 5.
   */
  stride: number;
  /** What a hidden pixel becomes: the image's mean (`'mean'`), or this value. Default `'mean'`. */
  fill: 'mean' | number;
  /** Occluded copies made and scored together (bounds memory for large inputs). Default 256. */
  chunk: number;
  /**
   * Score each occluded copy as a model with this `meta.tta` scores (`'flips'`: the mean over
   * the copy's four axis flips), so the map explains the score the model reports. Costs one
   * prediction per symmetry. Default `'none'`: one pass.
   */
  tta: TestTimeAugmentation;
}

/** Defaults of {@link OcclusionOptions}: 10-pixel patches every 5 pixels, filled with the mean. */
export const DEFAULT_OCCLUSION_OPTIONS: OcclusionOptions = {
  ...DEFAULT_PREDICT_OPTIONS,
  patch: 10,
  stride: 5,
  fill: 'mean',
  chunk: 256,
  tta: 'none',
};

/** Patch origins along an axis of `n` pixels: every `stride`, the last flush with the edge. */
function origins(n: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let p = 0; p + patch <= n; p += stride) out.push(p);
  if (out[out.length - 1] !== n - patch) out.push(n - patch);
  return out;
}

/** Checks that `input` is one image the single-channel `model` takes; returns its pixels. */
function modelPixels(model: tf.LayersModel, input: Image2D, what: string): Float32Array {
  const [h, w, c] = modelInputShape(model);
  const [rows, cols] = input.shape as [number, number];
  if (c !== 1 || rows !== h || cols !== w) {
    throw new ModelError(
      `${what}: a ${rows}x${cols} image does not fit the model's [${h}, ${w}, ${c}] input`,
    );
  }
  const copy = toContiguous(input);
  const px = copy instanceof Float32Array ? copy : Float32Array.from(copy);
  for (let i = 0; i < px.length; i++) {
    if (!Number.isFinite(px[i])) {
      throw new ModelError(
        `${what}: pixel [${Math.floor(i / cols)}, ${i % cols}] is ${px[i]} (prepare the image first)`,
      );
    }
  }
  return px;
}

/**
 * Occlusion saliency (Zeiler & Fergus 2014): a `patch x patch` square of the image is replaced
 * by `fill` at every `stride`, each copy is scored, and each pixel gets the mean drop of the
 * positive-class score (unoccluded minus occluded) over the patches that covered it. Positive:
 * hiding the pixel lowers the score (it supports the positive class); negative: hiding it
 * raises the score. Units are score (probability) differences.
 *
 * Cost: one `predict` of `(1 + positions²)` images, 362 for 100x100 with the defaults (times the
 * symmetries of `tta`).
 *
 * @param model - a model of single-channel input whose rows and columns are `input`'s
 * @param input - the prepared image `[rows, cols]` as the model takes it (no NaN)
 * @param opts - see {@link OcclusionOptions}
 * @returns a Float32 image of `input`'s shape
 * @throws ModelError for a shape the model does not take, a non-finite pixel, or bad options
 */
export async function occlusionSaliency(
  model: tf.LayersModel,
  input: Image2D,
  opts: Partial<OcclusionOptions> = {},
): Promise<Image2D> {
  const o: OcclusionOptions = withThreads(DEFAULT_OCCLUSION_OPTIONS, opts);
  const px = modelPixels(model, input, 'occlusionSaliency');
  const [h, w] = input.shape as [number, number];
  const { patch, stride } = o;
  if (!Number.isInteger(patch) || patch < 1 || patch > Math.min(h, w)) {
    throw new ModelError(
      `occlusion patch must be an integer in [1, ${Math.min(h, w)}], got ${patch}`,
    );
  }
  if (!Number.isInteger(stride) || stride < 1 || stride > patch) {
    throw new ModelError(
      `occlusion stride must be an integer in [1, patch = ${patch}], got ${stride}`,
    );
  }
  let fill: number;
  if (o.fill === 'mean') {
    let sum = 0;
    for (let i = 0; i < px.length; i++) sum += px[i];
    fill = sum / px.length;
  } else if (Number.isFinite(o.fill)) {
    fill = o.fill;
  } else {
    throw new ModelError(`occlusion fill must be 'mean' or a finite number, got ${String(o.fill)}`);
  }
  const ys = origins(h, patch, stride);
  const xs = origins(w, patch, stride);
  const positions = ys.flatMap((y) => xs.map((x) => [y, x] as const));
  const per = h * w;
  const transforms = ttaTransforms(o.tta);
  const score = (images: Float32Array): Promise<Float32Array> =>
    predictTTA(model, images, { ...o, transforms });
  const base = (await score(px))[0];
  const sum = new Float64Array(per);
  const count = new Uint32Array(per);
  const chunk = Math.max(1, Math.floor(o.chunk));
  const buf = new Float32Array(Math.min(chunk, positions.length) * per);
  for (let s = 0; s < positions.length; s += chunk) {
    const m = Math.min(chunk, positions.length - s);
    for (let j = 0; j < m; j++) {
      const [y0, x0] = positions[s + j];
      const img = buf.subarray(j * per, (j + 1) * per);
      img.set(px);
      for (let y = y0; y < y0 + patch; y++) img.fill(fill, y * w + x0, y * w + x0 + patch);
    }
    const scores = await score(buf.subarray(0, m * per));
    for (let j = 0; j < m; j++) {
      const [y0, x0] = positions[s + j];
      const drop = base - scores[j];
      for (let y = y0; y < y0 + patch; y++) {
        for (let x = x0; x < x0 + patch; x++) {
          sum[y * w + x] += drop;
          count[y * w + x]++;
        }
      }
    }
  }
  const out = new Float32Array(per);
  for (let i = 0; i < per; i++) out[i] = sum[i] / count[i];
  return createImage2D(h, w, out);
}

/** Options of {@link gradientSaliency}. Defaults in {@link DEFAULT_GRADIENT_SALIENCY_OPTIONS}. */
export interface GradientSaliencyOptions {
  /** Return `|d score / d pixel|` (true) or the signed derivative (false). Default true. */
  absolute: boolean;
}

/** Defaults of {@link GradientSaliencyOptions}. */
export const DEFAULT_GRADIENT_SALIENCY_OPTIONS: GradientSaliencyOptions = { absolute: true };

/**
 * Gradient saliency (Simonyan et al. 2014): the derivative of the positive-class score with
 * respect to each input pixel, through TensorFlow.js (`tf.grad` on the model in inference mode,
 * dropout off). One forward and one backward pass; sharper and noisier than
 * {@link occlusionSaliency}, and local: it says how the score would move for a small change of
 * a pixel, not what hiding a region does. Units: score per unit of the prepared image.
 *
 * @param model - a model of single-channel input whose rows and columns are `input`'s
 * @param input - the prepared image `[rows, cols]` (no NaN)
 * @param opts - see {@link GradientSaliencyOptions}
 * @returns a Float32 image of `input`'s shape
 * @throws ModelError for a shape the model does not take or a non-finite pixel
 */
export async function gradientSaliency(
  model: tf.LayersModel,
  input: Image2D,
  opts: Partial<GradientSaliencyOptions> = {},
): Promise<Image2D> {
  const o = { ...DEFAULT_GRADIENT_SALIENCY_OPTIONS, ...opts };
  await currentBackend();
  const px = modelPixels(model, input, 'gradientSaliency');
  const [h, w] = input.shape as [number, number];
  const grad = tf.tidy(() => {
    const score = (x: tf.Tensor): tf.Tensor => {
      const y = model.apply(x, { training: false }) as tf.Tensor;
      const units = y.shape[1] as number;
      return (units === 1 ? y : y.slice([0, 1], [1, 1])).sum();
    };
    const g = tf.grad(score)(tf.tensor4d(px, [1, h, w, 1]));
    return o.absolute ? g.abs() : g;
  });
  const out = new Float32Array(grad.dataSync() as Float32Array);
  grad.dispose();
  return createImage2D(h, w, out);
}
