// Scoring on several threads: `predict` runs a one-thread engine on the calling thread and
// scoring workers with private copies of it (`scoreOnEngines`). Each image is scored by the same
// kernels whichever thread takes it, so the scores must not depend on the thread count, and
// workers must follow the model's weights when they change.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import { buildModel, resolveModelConfig } from '../src/model/factory.js';
import { predict } from '../src/model/predict.js';
import { scoreOnEngines } from '../src/model/engine/shared.js';
import { dustInWind } from '../src/dataset/profile.js';

function images(n: number, shape: readonly number[], seed: number): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n * shape[0] * shape[1] * shape[2] }, () => r.normal());
}

describe('scoring on private engine copies', () => {
  it('gives the one-thread scores, bit for bit, on 2 and 3 threads and any batch size', async () => {
    const cfg = resolveModelConfig({ ...dustInWind.model, seed: 4 });
    const model = buildModel(cfg);
    const n = 37;
    const x = images(n, cfg.inputShape, 1);
    const data = {
      images: x,
      labels: new Int32Array(n),
      shape: [n, ...cfg.inputShape] as [number, number, number, number],
    };
    const one = await predict(model, data, { threads: 1, batchSize: 8 });
    for (const threads of [2, 3]) {
      for (const batchSize of [8, 5]) {
        const many = await predict(model, data, { threads, batchSize });
        expect(Array.from(many)).toEqual(Array.from(one));
      }
    }
    // As many threads as images, and fewer images than threads.
    const three = await predict(
      model,
      { ...data, images: x.subarray(0, 3 * 48 * 48), shape: [3, 48, 48, 1] },
      { threads: 3, batchSize: 8 },
    );
    expect(Array.from(three)).toEqual(Array.from(one.subarray(0, 3)));
    const single = await predict(
      model,
      { ...data, images: x.subarray(0, 48 * 48), shape: [1, 48, 48, 1] },
      { threads: 2, batchSize: 8 },
    );
    expect(single[0]).toBe(one[0]);
    // The same probabilities TensorFlow.js gives.
    const ref = tf.tidy(
      () =>
        (
          model.predict(tf.tensor4d(x, [n, ...cfg.inputShape])) as tf.Tensor
        ).dataSync() as Float32Array,
    );
    for (let i = 0; i < n; i++) expect(Math.abs(one[i] - ref[i * 2 + 1])).toBeLessThan(1e-6);
    model.dispose();
  });

  it('workers follow the model when its weights change', async () => {
    const cfg = resolveModelConfig({ ...dustInWind.model, seed: 5 });
    const model = buildModel(cfg);
    const n = 12;
    const x = images(n, cfg.inputShape, 2);
    const before = await scoreOnEngines(model, 2, 4, x, n);
    // New weight tensors, as training leaves them.
    model.setWeights(model.getWeights().map((w) => tf.mul(w, 1.5)));
    const after = await scoreOnEngines(model, 2, 4, x, n);
    const oneThread = await scoreOnEngines(model, 1, 4, x, n);
    expect(before).toBeDefined();
    expect(Array.from(after as Float32Array)).toEqual(Array.from(oneThread as Float32Array));
    // the second half (a worker's) moved with the weights too
    const half = (p: Float32Array | undefined): number[] => Array.from(p as Float32Array).slice(n);
    expect(half(after)).not.toEqual(half(before));
    model.dispose();
  });
});
