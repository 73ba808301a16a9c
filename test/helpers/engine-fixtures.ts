/**
 * Shared by the training-engine tests (test/model-engine*.test.ts and the relaxed-SIMD child
 * script): small models whose shapes exercise the engine's edge cases, random batches, and the
 * gradient check against TensorFlow.js's `cpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import { TrainingEngine } from '../../src/model/engine/engine.js';
import { buildModel, resolveModelConfig } from '../../src/model/factory.js';
import { targets } from '../../src/model/data.js';
import { sampleLoss } from '../../src/model/losses.js';
import type { LossName, ModelConfig } from '../../src/model/config.js';
import { createRng } from '../../src/core/random.js';

/** Odd sizes on purpose: 2 input channels, filters that are not multiples of 8, pool 1 and 2. */
export const ODD: Partial<ModelConfig> = {
  inputShape: [14, 13, 2],
  convBlocks: [
    { filters: 5, kernelSize: 3, poolSize: 2, activation: 'relu' },
    { filters: 12, kernelSize: 2, poolSize: 1, activation: 'relu' },
  ],
  convDropout: 0,
  denseUnits: 10,
  denseDropout: 0,
  classes: 3,
  seed: 3,
};

/**
 * 3x3 convolutions over whole vectors of channels run as Winograd F(2x2, 3x3) in the forward
 * pass and the input gradient: odd output sizes (13x14, then 5x5) exercise the edge tiles.
 */
export const WINO: Partial<ModelConfig> = {
  inputShape: [15, 16, 4],
  convBlocks: [
    { filters: 6, kernelSize: 3, poolSize: 2, activation: 'relu' },
    { filters: 10, kernelSize: 3, poolSize: 1, activation: 'linear' },
  ],
  convDropout: 0,
  denseUnits: 9,
  denseDropout: 0,
  classes: 2,
  seed: 4,
};

/**
 * The original pipeline's first layer: a convolution with a softmax across its channels, here
 * with 6 filters (padded to 8, so the padding must stay out of the softmax) and odd sizes, then
 * a Winograd block after it.
 */
export const SOFTMAX: Partial<ModelConfig> = {
  inputShape: [13, 14, 1],
  convBlocks: [
    { filters: 6, kernelSize: 3, poolSize: 2, activation: 'softmax' },
    { filters: 9, kernelSize: 3, poolSize: 1, activation: 'relu' },
  ],
  convDropout: 0,
  denseUnits: 7,
  denseDropout: 0,
  classes: 2,
  seed: 6,
};

/** A random batch: normal pixels, labels cycling through the classes, unequal loss weights. */
export function batch(m: number, shape: [number, number, number], classes: number, seed: number) {
  const r = createRng(seed);
  const per = shape[0] * shape[1] * shape[2];
  return {
    x: Float32Array.from({ length: m * per }, () => r.normal()),
    labels: Int32Array.from({ length: m }, (_, i) => i % classes),
    weights: Float32Array.from({ length: m }, (_, i) => 1 + 0.5 * i),
  };
}

/** The weighted batch loss's gradients on the cpu backend, one array per trainable variable. */
export function referenceGrads(
  model: tf.LayersModel,
  b: ReturnType<typeof batch>,
  loss: LossName,
): Float32Array[] {
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const [, h, w, c] = model.inputs[0].shape as number[];
  const m = b.labels.length;
  return tf.tidy(() => {
    const xs = tf.tensor4d(b.x, [m, h, w, c]);
    const ys = targets(b.labels, model.outputs[0].shape[1] as number);
    const ws = tf.tensor1d(b.weights);
    const { grads } = tf.variableGrads(
      () =>
        tf.div(
          tf.sum(
            tf.mul(sampleLoss(loss, ys, model.apply(xs, { training: true }) as tf.Tensor2D), ws),
          ),
          m,
        ) as tf.Scalar,
      vars,
    );
    return vars.map((v) => grads[v.name].dataSync() as Float32Array);
  });
}

/** Current values of every trainable variable. */
export function weightsOf(model: tf.LayersModel): Float32Array[] {
  return model.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
}

/** Largest absolute difference between two arrays. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** An engine for `model`: one thread, batches up to 8, SGD with learning rate 1, unless `opts` says otherwise. */
export async function engineFor(
  model: tf.LayersModel,
  opts: Partial<Parameters<typeof TrainingEngine.create>[1]> = {},
): Promise<TrainingEngine> {
  const e = await TrainingEngine.create(model, {
    threads: 1,
    maxBatch: 8,
    optimizer: 'sgd',
    learningRate: 1,
    seed: 1,
    ...opts,
  });
  if (typeof e === 'string') throw new Error(e);
  return e;
}

/**
 * Largest error of the engine's gradient of the weighted batch loss against the cpu backend's,
 * relative to each variable's largest gradient (at least 1e-2): one SGD step with learning rate 1
 * moves every weight by exactly minus its gradient.
 */
export async function engineGradientError(
  config: Partial<ModelConfig>,
  loss: LossName,
  threads = 1,
): Promise<number> {
  const cfg = resolveModelConfig(config);
  const model = buildModel(cfg);
  const b = batch(5, cfg.inputShape, cfg.classes, 7);
  const ref = referenceGrads(model, b, loss);
  const before = weightsOf(model).map((w) => w.slice());
  const e = await engineFor(model, { threads });
  await e.step(b.x, b.labels, b.weights, loss);
  e.writeWeights(model);
  await e.close();
  let worst = 0;
  weightsOf(model).forEach((after, i) => {
    const g = before[i].map((v, j) => v - after[j]);
    const scale = Math.max(1e-2, ...ref[i].map(Math.abs));
    worst = Math.max(worst, maxDiff(g, ref[i]) / scale);
  });
  model.dispose();
  return worst;
}
