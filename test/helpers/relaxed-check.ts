// Run by test/model-engine-relaxed.test.ts in a Node started with --experimental-wasm-relaxed-simd:
// the engine's relaxed-SIMD build (fused multiply-add) must pick itself and compute the gradients
// TensorFlow.js's cpu backend computes, on shapes that take both the direct and the Winograd
// kernels, with one and two threads. Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import '../../src/model/index.node.js';
import { engineSimd, TrainingEngine } from '../../src/model/engine/engine.js';
import { buildModel, resolveModelConfig } from '../../src/model/factory.js';
import { targets } from '../../src/model/data.js';
import { sampleLoss } from '../../src/model/losses.js';
import { createRng } from '../../src/core/random.js';

await tf.setBackend('cpu');
const cfg = resolveModelConfig({
  inputShape: [15, 16, 4],
  convBlocks: [
    { filters: 6, kernelSize: 3, poolSize: 2, activation: 'relu' },
    { filters: 10, kernelSize: 2, poolSize: 1, activation: 'relu' },
  ],
  convDropout: 0,
  denseUnits: 9,
  denseDropout: 0,
  classes: 3,
  seed: 4,
});
const r = createRng(11);
const m = 6;
const x = Float32Array.from({ length: m * 15 * 16 * 4 }, () => r.normal());
const labels = Int32Array.from({ length: m }, (_, i) => i % 3);
const weights = new Float32Array(m).fill(1);
let worst = 0;
for (const threads of [1, 2]) {
  const model = buildModel(cfg);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const ref = tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const p = model.apply(tf.tensor4d(x, [m, 15, 16, 4]), { training: true }) as tf.Tensor2D;
      return tf.mean(sampleLoss('categoricalCrossentropy', targets(labels, 3), p)) as tf.Scalar;
    }, vars);
    return vars.map((v) => grads[v.name].dataSync() as Float32Array);
  });
  const before = vars.map((v) => v.dataSync().slice());
  const engine = await TrainingEngine.create(model, {
    threads,
    maxBatch: m,
    optimizer: 'sgd',
    learningRate: 1,
    seed: 1,
  });
  if (typeof engine === 'string') throw new Error(engine);
  await engine.step(x, labels, weights, 'categoricalCrossentropy');
  engine.writeWeights(model);
  await engine.close();
  model.trainableWeights.forEach((w, i) => {
    const after = w.read().dataSync();
    const scale = Math.max(1e-2, ...ref[i].map(Math.abs));
    for (let j = 0; j < after.length; j++) {
      worst = Math.max(worst, Math.abs(before[i][j] - after[j] - ref[i][j]) / scale);
    }
  });
  model.dispose();
}
console.log(JSON.stringify({ simd: engineSimd(), worst }));
