// Train the original network on synthetic images, evaluate it, save it and load it back: the
// model module end to end in about a minute on two cores, no archive access needed.
//   npx tsx examples/train-synthetic.ts [output-dir]
// In your own project, import from 'alma-classifier' instead of '../src/index.node.js'.
import {
  createModel,
  createRng,
  describeTrainer,
  evaluateModel,
  loadModel,
  predict,
  saveModel,
  trainModel,
  useFastBackend,
  type TensorData,
} from '../src/index.node.js';

const out = process.argv[2] ?? 'synthetic-model';
const SIZE = 100;

// Negatives: a round Gaussian source. Positives: the same with a faint elongated plume on one
// side, a cartoon of dust lifted by a wind. Random positions, angles, noise; min-max normalised.
function images(n: number, seed: number): TensorData {
  const rng = createRng(seed);
  const pixels = new Float32Array(n * SIZE * SIZE);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    const cy = 40 + rng.next() * 20;
    const cx = 40 + rng.next() * 20;
    const angle = rng.next() * 2 * Math.PI;
    const img = pixels.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const u = (x - cx) * Math.cos(angle) + (y - cy) * Math.sin(angle);
        const v = -(x - cx) * Math.sin(angle) + (y - cy) * Math.cos(angle);
        let f = Math.exp(-(u * u + v * v) / (2 * 4 ** 2));
        if (labels[i] === 1 && u > 0)
          f += 0.6 * Math.exp(-((u - 14) ** 2 / (2 * 9 ** 2) + v ** 2 / (2 * 3 ** 2)));
        img[y * SIZE + x] = f + 0.04 * rng.normal();
      }
    }
    let lo = Infinity;
    let hi = -Infinity;
    for (const p of img) {
      lo = Math.min(lo, p);
      hi = Math.max(hi, p);
    }
    for (let k = 0; k < img.length; k++) img[k] = (img[k] - lo) / (hi - lo);
  }
  return { images: pixels, shape: [n, SIZE, SIZE, 1], labels };
}

console.log('backend:', await useFastBackend()); // 'wasm' unless @tensorflow/tfjs-node is installed
const train = images(512, 1);
const val = images(128, 2);

const model = await createModel(); // the original network, ReLU in the first convolution
const history = await trainModel(model, train, {
  batchSize: 32,
  epochs: 6,
  validationData: val,
  earlyStopping: { monitor: 'valLoss', patience: 2, minDelta: 0 },
  onEpochEnd: (e) =>
    console.log(
      `epoch ${e.epoch + 1}/${e.epochs}: loss ${e.loss.toFixed(3)} acc ${e.acc.toFixed(3)} ` +
        `valAcc ${e.valAcc?.toFixed(3)} (${(e.ms / 1000).toFixed(1)} s)`,
    ),
});
console.log(
  `${history.imagesPerSecond.toFixed(1)} training images/s on the ${describeTrainer(history)}`,
);

const ev = await evaluateModel(model, val);
console.log('confusion', ev.confusion, 'recall', ev.recall, 'precision', ev.precision);
console.log('F1', ev.f1.toFixed(3), 'ROC AUC', ev.rocAuc.toFixed(3), 'best F1 at', ev.bestF1);

await saveModel(model, out, {
  profileName: 'synthetic-plumes',
  classNames: ['source', 'source with plume'],
  normalisation: { method: 'minmax' },
  metrics: { accuracy: ev.accuracy, recall: ev.recall, precision: ev.precision, f1: ev.f1 },
});
const loaded = await loadModel(out);
const again = await predict(loaded.model, val);
console.log(`saved to ${out}/ (version ${loaded.meta.version}); first scores`, again.slice(0, 4));
