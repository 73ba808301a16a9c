// Bundled by test/browser-engine.test.ts for headless Chromium: trains a small CNN with the
// training engine through the browser entry point, then scores with the engine and with
// TensorFlow.js, and leaves the figures on `window.engineResult`.
import { createModel, predict, trainModel, useFastBackend } from '../../src/index.js';

async function run(): Promise<unknown> {
  const backend = await useFastBackend({ wasmPaths: './' });
  const n = 24;
  const size = 12;
  const images = new Float32Array(n * size * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    // Class 1: a bright centre; class 0: a bright corner.
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const [cy, cx] = labels[i] === 1 ? [6, 6] : [2, 2];
        images[(i * size + y) * size + x] =
          Math.exp(-((y - cy) ** 2 + (x - cx) ** 2) / 4) + 0.01 * Math.sin(i * 7 + y * 3 + x);
      }
  }
  const model = await createModel({
    inputShape: [size, size, 1],
    convBlocks: [{ filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    denseUnits: 8,
  });
  const data = { images, shape: [n, size, size, 1] as [number, number, number, number], labels };
  const history = await trainModel(model, data, { epochs: 15, batchSize: 8, learningRate: 1e-2 });
  const engine = await predict(model, data);
  const tfjs = await predict(model, data, { engine: false });
  let maxDiff = 0;
  for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(engine[i] - tfjs[i]));
  return {
    backend,
    engineThreads: history.engineThreads,
    engineSimd: history.engineSimd,
    finalAcc: history.epochs[history.epochs.length - 1].acc,
    maxDiff,
  };
}

const w = window as unknown as { engineResult?: unknown; engineError?: string };
run().then(
  (r) => {
    w.engineResult = r;
  },
  (e: unknown) => {
    w.engineError = String((e as Error).stack ?? e);
  },
);
