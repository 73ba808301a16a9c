/**
 * An uncertainty per score: Monte Carlo dropout (one model scored many times with its dropout
 * left on, Gal & Ghahramani 2016) or an ensemble (several models trained from different seeds).
 * Either gives a mean score and the standard deviation of the scores around it. Browser-safe.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { currentBackend } from './backend.js';
import type { TensorData } from './config.js';
import { checkImages } from './data.js';
import { mix32 } from '../core/random.js';
import { engineThreadsAvailable } from './engine/engine.js';
import { planModel } from './engine/plan.js';
import { withScoringEngine } from './engine/shared.js';
import { DEFAULT_PREDICT_OPTIONS, predict, withThreads, type PredictOptions } from './predict.js';
import { dihedralTransform, ttaTransforms, type TestTimeAugmentation } from './tta.js';

/**
 * How the spread of a score is found:
 * - `mc-dropout`: one model, `samples` forward passes with its dropout layers on (their own
 *   rates) and a new seeded mask each pass;
 * - `ensemble`: several models, one plain pass each.
 */
export type UncertaintyMethod = 'mc-dropout' | 'ensemble';

/** Options of {@link predictWithUncertainty}. Defaults in {@link DEFAULT_UNCERTAINTY_OPTIONS}. */
export interface UncertaintyOptions extends PredictOptions {
  /** Default `'mc-dropout'`. */
  method: UncertaintyMethod;
  /** Forward passes per image for `mc-dropout`. Default 20. */
  samples: number;
  /** Seed of the dropout masks: one seed (and `batchSize`), one result. Default 1. */
  seed: number;
  /** Return every sample's score as well (`samples` in the result). Default false. */
  returnSamples: boolean;
  /**
   * Test-time augmentation: each sample's score is the mean over these symmetries of the image
   * (`flips`: the four axis flips, `dihedral`: all eight), each scored with the same dropout
   * seed, so the mean over the samples estimates the averaged score a model with
   * `ModelMeta.tta` gives and the spread is that score's. Costs one run per symmetry.
   * Default `'none'`.
   */
  tta: TestTimeAugmentation;
}

/** Defaults of {@link UncertaintyOptions}: MC dropout, 20 passes, seed 1, `predict`'s defaults. */
export const DEFAULT_UNCERTAINTY_OPTIONS: UncertaintyOptions = {
  ...DEFAULT_PREDICT_OPTIONS,
  method: 'mc-dropout',
  samples: 20,
  seed: 1,
  returnSamples: false,
  tta: 'none',
};

/** What {@link predictWithUncertainty} returns, one entry per image in input order. */
export interface UncertaintyResult {
  /** Mean positive-class score over the samples. */
  mean: Float32Array;
  /** Standard deviation of the samples' scores (divisor `S - 1`; 0 for a single sample). */
  std: Float32Array;
  /**
   * With `returnSamples`: the `S` scores of each image, sample-major `[S, n]` (sample `k` of
   * image `i` at `k * n + i`); `S` is `samples` or the number of models.
   */
  samples?: Float32Array;
}

/** Mean and standard deviation over the `S` rows of sample-major `[S, n]` scores. */
function summarise(scores: Float32Array, S: number, n: number, keep: boolean): UncertaintyResult {
  const mean = new Float32Array(n);
  const std = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let k = 0; k < S; k++) sum += scores[k * n + i];
    const mu = sum / S;
    let ss = 0;
    for (let k = 0; k < S; k++) ss += (scores[k * n + i] - mu) ** 2;
    mean[i] = mu;
    std[i] = S > 1 ? Math.sqrt(ss / (S - 1)) : 0;
  }
  return keep ? { mean, std, samples: scores } : { mean, std };
}

/** The model's layers in call order when each feeds the next alone, else `undefined`. */
function layerChain(model: tf.LayersModel): tf.layers.Layer[] | undefined {
  const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer');
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || layers.length === 0) {
    return undefined;
  }
  for (let i = 0; i < layers.length; i++) {
    const inbound = layers[i].inboundNodes[0]?.inboundLayers ?? [];
    if (inbound.length !== 1) return undefined;
    if (i === 0 ? inbound[0].getClassName() !== 'InputLayer' : inbound[0] !== layers[i - 1]) {
      return undefined;
    }
  }
  return layers;
}

/** Positive-class column of `[m, units]` output probabilities. */
function positive(y: tf.Tensor): tf.Tensor1D {
  const [m, units] = y.shape as [number, number];
  return (units === 1 ? y : y.slice([0, 1], [m, 1])).reshape([m]);
}

/**
 * MC dropout through TensorFlow.js, layer by layer: Dropout layers draw a seeded mask
 * (`tf.dropout`), every other layer runs in inference mode (batch normalisation keeps its
 * moving statistics). The layers before the first dropout run once per batch.
 */
function mcDropoutTfjs(
  model: tf.LayersModel,
  pixels: Float32Array,
  shape: [number, number, number, number],
  o: UncertaintyOptions,
): Float32Array {
  const layers = layerChain(model);
  if (layers === undefined) {
    throw new ModelError(
      `MC dropout runs models whose layers form one chain; '${model.name}' does not (use method 'ensemble')`,
    );
  }
  const [n, h, w, c] = shape;
  const per = h * w * c;
  const S = o.samples;
  const out = new Float32Array(S * n);
  const first = layers.findIndex((l) => l.getClassName() === 'Dropout');
  const batch = Math.max(1, Math.floor(o.batchSize));
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const prefix = tf.tidy(() => {
      let x: tf.Tensor = tf.tensor4d(pixels.subarray(s * per, (s + m) * per), [m, h, w, c]);
      for (const l of first < 0 ? layers : layers.slice(0, first)) x = l.apply(x) as tf.Tensor;
      return x;
    });
    for (let k = 0; k < S; k++) {
      const scores = tf.tidy(() => {
        let x = prefix;
        if (first >= 0) {
          layers.slice(first).forEach((l, j) => {
            if (l.getClassName() === 'Dropout') {
              const cfg = l.getConfig() as { rate: number; noiseShape?: number[] | null };
              const seed = mix32(mix32(mix32(o.seed, k), s), j);
              const noise = cfg.noiseShape ?? undefined;
              x = cfg.rate > 0 ? tf.dropout(x, cfg.rate, noise, seed) : x;
            } else {
              x = l.apply(x) as tf.Tensor;
            }
          });
        }
        return positive(x);
      });
      out.set(scores.dataSync() as Float32Array, k * n + s);
      scores.dispose();
    }
    prefix.dispose();
  }
  return out;
}

/**
 * Scores with an uncertainty. With `mc-dropout` (the default), `model` is scored `samples`
 * times with its dropout layers on, each pass with new masks drawn from `seed`; the mean is
 * close to, but not the same as, `predict`'s score (which scales instead of dropping), and a
 * model without dropout gets `std` 0. With `ensemble`, `model` is a list of models (trained
 * from different seeds, say), each scored once by `predict`.
 *
 * MC dropout runs on the library's engine for models it runs (the `createModel` family): per
 * batch the layers before the first dropout (for `createModel`, every convolution) run once
 * and only the dense layers again for each pass, so 20 passes cost a few plain ones. Other
 * models go through TensorFlow.js layer by layer with seeded `tf.dropout` masks (the same
 * prefix reuse, at TensorFlow.js speed); the two paths draw different masks.
 *
 * @param model - one model (`mc-dropout`), or the ensemble's models (`ensemble`)
 * @param images - as `predict` takes them; NaN pixels are refused
 * @param opts - see {@link UncertaintyOptions}
 * @returns mean, standard deviation and (with `returnSamples`) every sample, per image
 * @throws ModelError for a bad option, a list of models with `mc-dropout`, models of different
 *   input shapes, or a model MC dropout cannot run (not a chain of layers)
 */
export async function predictWithUncertainty(
  model: tf.LayersModel | readonly tf.LayersModel[],
  images: TensorData | Float32Array,
  opts: Partial<UncertaintyOptions> = {},
): Promise<UncertaintyResult> {
  const o: UncertaintyOptions = withThreads(DEFAULT_UNCERTAINTY_OPTIONS, opts);
  await currentBackend();
  const transforms = ttaTransforms(o.tta);
  if (transforms.length > 1) {
    const first = Array.isArray(model) ? (model as readonly tf.LayersModel[])[0] : model;
    if (first === undefined) throw new ModelError('an ensemble needs at least one model');
    const { pixels, shape } = checkImages(first as tf.LayersModel, images);
    if (shape[1] !== shape[2]) {
      throw new ModelError(
        `test-time augmentation needs square images, got ${shape[1]}x${shape[2]}`,
      );
    }
    let sum: Float32Array | undefined;
    let S = 0;
    for (const t of transforms) {
      const moved = t === 'identity' ? pixels : dihedralTransform(pixels, shape, t);
      const one = await predictWithUncertainty(model, moved, {
        ...opts,
        tta: 'none',
        returnSamples: true,
      });
      const samples = one.samples!;
      S = samples.length / Math.max(1, shape[0]);
      if (sum === undefined) sum = samples;
      else for (let j = 0; j < samples.length; j++) sum[j] += samples[j];
    }
    for (let j = 0; j < sum!.length; j++) sum![j] /= transforms.length;
    return summarise(sum!, S, shape[0], o.returnSamples);
  }
  if (o.method === 'ensemble') {
    const models: readonly tf.LayersModel[] = Array.isArray(model) ? model : [model];
    if (models.length === 0) throw new ModelError('an ensemble needs at least one model');
    const n = checkImages(models[0], images).shape[0];
    const scores = new Float32Array(models.length * n);
    for (let k = 0; k < models.length; k++) {
      scores.set(await predict(models[k], images, o), k * n);
    }
    return summarise(scores, models.length, n, o.returnSamples);
  }
  if (o.method !== 'mc-dropout') {
    throw new ModelError(`unknown uncertainty method '${String(o.method)}' (mc-dropout, ensemble)`);
  }
  const list: readonly tf.LayersModel[] = Array.isArray(model) ? model : [model];
  if (list.length !== 1) {
    throw new ModelError(`MC dropout scores one model, got ${list.length} (use method 'ensemble')`);
  }
  const one = list[0];
  if (!Number.isInteger(o.samples) || o.samples < 1) {
    throw new ModelError(`samples must be a positive integer, got ${o.samples}`);
  }
  const { pixels, shape } = checkImages(one, images);
  const n = shape[0];
  const S = o.samples;
  if (n === 0) return summarise(new Float32Array(0), S, 0, o.returnSamples);
  let scores: Float32Array | undefined;
  if (o.engine && tf.getBackend() !== 'tensorflow' && typeof planModel(one) !== 'string') {
    const threads =
      o.threads === 'auto' ? engineThreadsAvailable() : Math.max(1, Math.floor(o.threads));
    const probs = await withScoringEngine(one, threads, Math.max(1, Math.floor(o.batchSize)), (e) =>
      e.forwardDropout(pixels, n, S, o.seed),
    );
    if (probs !== undefined) {
      const units = probs.length / (S * n);
      scores = new Float32Array(S * n);
      for (let j = 0; j < S * n; j++) scores[j] = probs[j * units + (units === 1 ? 0 : 1)];
    }
  }
  scores ??= mcDropoutTfjs(one, pixels, shape, o);
  return summarise(scores, S, n, o.returnSamples);
}
