import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../src/model/index.node.js';
import {
  DEFAULT_MODEL_CONFIG,
  ORIGINAL_MODEL_CONFIG,
  createModel,
  evaluateModel,
  predict,
  trainModel,
  useFastBackend,
  type ModelConfig,
  type TensorData,
} from '../src/model/index.js';
import { createRng } from '../src/core/random.js';
import { ModelError } from '../src/core/errors.js';
import { VERSION } from '../src/core/version.js';

const SIZE = 20;

/** Blobs (label 0) vs bars (label 1) at random places and angles, with noise. */
function blobsAndBars(n: number, seed: number): TensorData {
  const r = createRng(seed);
  const images = new Float32Array(n * SIZE * SIZE);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const bar = i % 2 === 1;
    labels[i] = bar ? 1 : 0;
    const cy = 6 + r.next() * 8;
    const cx = 6 + r.next() * 8;
    const a = r.next() * Math.PI;
    const [s1, s2] = bar ? [5, 1] : [2.2, 2.2];
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const u = (x - cx) * Math.cos(a) + (y - cy) * Math.sin(a);
        const v = -(x - cx) * Math.sin(a) + (y - cy) * Math.cos(a);
        const g = Math.exp(-0.5 * ((u / s1) ** 2 + (v / s2) ** 2));
        images[i * SIZE * SIZE + y * SIZE + x] = g + 0.05 * r.normal();
      }
    }
  }
  return { images, shape: [n, SIZE, SIZE, 1], labels };
}

const small: Partial<ModelConfig> = {
  inputShape: [SIZE, SIZE, 1],
  convBlocks: [
    { filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' },
    { filters: 16, kernelSize: 3, poolSize: 2, activation: 'relu' },
  ],
  denseUnits: 32,
};

let dir: string;
beforeAll(async () => {
  expect(await useFastBackend()).toBe('wasm');
  dir = await mkdtemp(join(tmpdir(), 'alma-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createModel', () => {
  it('builds the original network with 4,352,770 parameters by default', async () => {
    const m = await createModel();
    expect(m.countParams()).toBe(4_352_770);
    expect(m.outputs[0].shape).toEqual([null, 2]);
    expect(m.layers.map((l) => l.getClassName())).toEqual([
      'Conv2D',
      'MaxPooling2D',
      'Conv2D',
      'MaxPooling2D',
      'Dropout',
      'Flatten',
      'Dense',
      'Dropout',
      'Dense',
    ]);
    m.dispose();
  });

  it('uses ReLU in the first convolution by default and softmax in ORIGINAL_MODEL_CONFIG', async () => {
    expect(DEFAULT_MODEL_CONFIG.convBlocks[0].activation).toBe('relu');
    const m = await createModel(ORIGINAL_MODEL_CONFIG);
    const cfg = m.layers[0].getConfig() as { activation: string };
    expect(cfg.activation).toBe('softmax');
    // A softmax over channels makes the 32 first-layer outputs of each pixel sum to 1.
    const sums = tf.tidy(() => {
      const first = tf.model({
        inputs: m.inputs,
        outputs: m.layers[0].output as tf.SymbolicTensor,
      });
      return (first.predict(tf.randomNormal([1, 100, 100, 1])) as tf.Tensor).sum(-1);
    });
    const v = await sums.data();
    sums.dispose();
    expect(Math.min(...v)).toBeCloseTo(1, 4);
    expect(Math.max(...v)).toBeCloseTo(1, 4);
    m.dispose();
  });

  it('gives the same initial weights for the same seed and a one-unit sigmoid on request', async () => {
    const a = await createModel({ ...small, seed: 7 });
    const b = await createModel({ ...small, seed: 7 });
    const c = await createModel({ ...small, output: 'sigmoid' });
    expect(await a.getWeights()[0].data()).toEqual(await b.getWeights()[0].data());
    expect(c.outputs[0].shape).toEqual([null, 1]);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects configs that shrink the input to nothing or mix sigmoid with 3 classes', async () => {
    await expect(createModel({ inputShape: [5, 5, 1] })).rejects.toThrow(/shrinks the 5x5 input/);
    await expect(createModel({ output: 'sigmoid', classes: 3 })).rejects.toThrow(ModelError);
  });
});

describe('trainModel', () => {
  it('separates blobs from bars (validation accuracy >= 0.95) within seconds', async () => {
    const train = blobsAndBars(240, 1);
    const val = blobsAndBars(100, 2);
    const model = await createModel(small);
    const logs: number[] = [];
    const h = await trainModel(model, train, {
      learningRate: 3e-3,
      batchSize: 16,
      epochs: 12,
      validationData: val,
      earlyStopping: { monitor: 'valAcc', patience: 100, minDelta: 0 },
      onEpochEnd: (l) => logs.push(l.epoch),
    });
    expect(h.backend).toBe('wasm');
    expect(logs).toEqual(h.epochs.map((e) => e.epoch));
    expect(h.epochs.at(-1)!.valAcc).toBeGreaterThanOrEqual(0.95);
    const ev = await evaluateModel(model, val);
    expect(ev.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(ev.rocAuc).toBeGreaterThan(0.97);

    // save -> load gives identical predictions, and meta.json records the version.
    const saved = join(dir, 'blobs');
    await saveModel(model, saved, { profileName: 'blobs-vs-bars', classNames: ['blob', 'bar'] });
    expect((await readdir(saved)).sort()).toEqual(['meta.json', 'model.json', 'weights.bin']);
    const loaded = await loadModel(saved);
    expect(loaded.meta).toMatchObject({ profileName: 'blobs-vs-bars', version: VERSION });
    expect(await predict(loaded.model, val)).toEqual(await predict(model, val));
    const json = JSON.parse(await readFile(join(saved, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    model.dispose();
    loaded.model.dispose();
  });

  it('leaves the tensor count unchanged from one epoch to the next', async () => {
    const data = blobsAndBars(32, 3);
    const model = await createModel(small);
    const counts: number[] = [];
    await trainModel(model, data, {
      batchSize: 8,
      epochs: 4,
      validationData: data,
      onEpochEnd: () => counts.push(tf.memory().numTensors),
    });
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(counts[0]).toBe(counts[1]);
    model.dispose();
  });

  it('stops early when the monitored loss stops improving', async () => {
    const data = blobsAndBars(16, 4);
    const model = await createModel(small);
    const h = await trainModel(model, data, {
      batchSize: 8,
      epochs: 50,
      learningRate: 0,
      optimizer: 'sgd',
      earlyStopping: { monitor: 'loss', patience: 2, minDelta: 1 },
    });
    // Epoch 0 sets the best value; epochs 1 and 2 fail to improve on it by minDelta.
    expect(h.stoppedEarly).toBe(true);
    expect(h.epochs.length).toBe(3);
    model.dispose();
  });

  it('weights the loss by class: weights {0: 0, 1: 2} over a 50/50 batch equal the bars-only loss', async () => {
    const data = blobsAndBars(16, 5);
    // No dropout and learning rate 0: the epoch loss is a deterministic function of the weights.
    const model = await createModel({ ...small, convDropout: 0, denseDropout: 0 });
    const opts = { epochs: 1, learningRate: 0, optimizer: 'sgd', shuffle: false } as const;
    const per = SIZE * SIZE;
    const bars: TensorData = {
      images: data.images.filter((_, i) => Math.floor(i / per) % 2 === 1),
      shape: [8, SIZE, SIZE, 1],
      labels: new Int32Array(8).fill(1),
    };
    const plain = await trainModel(model, data, { ...opts, batchSize: 16 });
    const weighted = await trainModel(model, data, {
      ...opts,
      batchSize: 16,
      classWeight: { 0: 0, 1: 2 },
    });
    const barsOnly = await trainModel(model, bars, { ...opts, batchSize: 8 });
    expect(weighted.epochs[0].loss).toBeCloseTo(barsOnly.epochs[0].loss, 5);
    expect(Math.abs(plain.epochs[0].loss - barsOnly.epochs[0].loss)).toBeGreaterThan(1e-4);
    model.dispose();
  });

  it('refuses NaN pixels and labels outside the classes, naming the image', async () => {
    const data = blobsAndBars(4, 6);
    const model = await createModel(small);
    const nan = { ...data, images: data.images.slice() };
    nan.images[2 * SIZE * SIZE + 5] = NaN;
    await expect(trainModel(model, nan, { epochs: 1 })).rejects.toThrow(/image 2 contains NaN/);
    const bad = { ...data, labels: Int32Array.from([0, 1, 2, 0]) };
    await expect(trainModel(model, bad, { epochs: 1 })).rejects.toThrow(/label 2 of image 2/);
    model.dispose();
  });
});

describe('predict', () => {
  it('returns one positive-class score per image for TensorData and bare Float32Array', async () => {
    const data = blobsAndBars(5, 7);
    const model = await createModel(small);
    const a = await predict(model, data, { batchSize: 2 });
    const b = await predict(model, data.images);
    expect(a.length).toBe(5);
    expect(b).toEqual(a);
    for (const s of a) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
    }
    await expect(predict(model, new Float32Array(7))).rejects.toThrow(/not whole 20x20x1 images/);
    model.dispose();
  });
});

describe('worker threads (Node)', () => {
  it('predicts the same scores on two threads as on one, for each of two models in turn', async () => {
    const data = blobsAndBars(96, 8);
    const a = await createModel(small);
    const b = await createModel({ ...small, seed: 2 });
    const oneA = await predict(a, data, { threads: 1 });
    const oneB = await predict(b, data, { threads: 1 });
    expect(oneB).not.toEqual(oneA);
    // Concurrent calls with different models share the worker, which must not mix them up.
    const [twoA, twoB] = await Promise.all([
      predict(a, data, { threads: 2 }),
      predict(b, data, { threads: 2 }),
    ]);
    expect(twoA).toEqual(oneA);
    expect(twoB).toEqual(oneB);
    expect(await predict(a, data, { threads: 2 })).toEqual(oneA);
    // The same through TensorFlow.js (the path for models the training engine declines), which
    // scores on the calling thread whatever `threads` says.
    const tfjsA = await predict(a, data, { threads: 1, engine: false });
    expect(await predict(a, data, { threads: 2, engine: false })).toEqual(tfjsA);
    for (let i = 0; i < tfjsA.length; i++) expect(tfjsA[i]).toBeCloseTo(oneA[i], 5);
    a.dispose();
    b.dispose();
  });

  // (TensorFlow.js, for models the engine declines, trains on the calling thread alone.)
  it(`trains data-parallel to the same weights as on one thread (no dropout, SGD, training engine)`, async () => {
    const data = blobsAndBars(64, 9);
    const cfg = { ...small, convDropout: 0, denseDropout: 0 };
    const opts = {
      batchSize: 32,
      epochs: 2,
      optimizer: 'sgd',
      learningRate: 0.05,
      seed: 3,
    } as const;
    const a = await createModel(cfg);
    const b = await createModel(cfg);
    const ha = await trainModel(a, data, { ...opts, threads: 1 });
    const hb = await trainModel(b, data, { ...opts, threads: 2 });
    expect(hb.engineThreads).toBe(2);
    expect(hb.epochs[1].loss).toBeCloseTo(ha.epochs[1].loss, 4);
    const wa = await Promise.all(a.getWeights().map((t) => t.data()));
    const wb = await Promise.all(b.getWeights().map((t) => t.data()));
    wa.forEach((w, i) => {
      let worst = 0;
      for (let k = 0; k < w.length; k++) worst = Math.max(worst, Math.abs(w[k] - wb[i][k]));
      expect(worst).toBeLessThan(1e-4);
    });
    // The weights moved: the comparison is not between two untouched models.
    const init = await createModel(cfg);
    expect(Math.abs((await init.getWeights()[0].data())[0] - wa[0][0])).toBeGreaterThan(1e-5);
    [a, b, init].forEach((m) => m.dispose());
  });
});
