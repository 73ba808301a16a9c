// The library leaves the host application's TensorFlow.js alone: its backend, its registered
// kernels, and so the outputs of the host's own models, before and after the library creates,
// trains and scores models of its own (through the engine and through the TensorFlow.js fallback).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import {
  createModel,
  predict,
  predictWithUncertainty,
  trainModel,
  type ModelConfig,
  type TensorData,
} from '../src/index.js';

const SIZE = 12;

const small: Partial<ModelConfig> = {
  inputShape: [SIZE, SIZE, 1],
  convBlocks: [{ filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' }],
  denseUnits: 8,
};

function data(n: number, seed: number): TensorData {
  const r = createRng(seed);
  const images = Float32Array.from({ length: n * SIZE * SIZE }, () => r.normal());
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  return { images, shape: [n, SIZE, SIZE, 1], labels };
}

/** The host's own model: layers the engine does not run (tanh, average pooling, batch norm). */
function hostModel(): tf.Sequential {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [SIZE, SIZE, 1],
      filters: 3,
      kernelSize: 3,
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
    }),
  );
  m.add(tf.layers.averagePooling2d({ poolSize: 2 }));
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.flatten());
  m.add(
    tf.layers.dense({
      units: 3,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 6 }),
    }),
  );
  return m;
}

function hostOutputs(m: tf.LayersModel, x: TensorData): Float32Array {
  return tf
    .tidy(() => m.predict(tf.tensor4d(x.images, x.shape)) as tf.Tensor)
    .dataSync() as Float32Array;
}

/** Which kernel function each kernel of `backend` runs, by kernel name. */
function kernels(backend: string): Map<string, unknown> {
  return new Map(tf.getKernelsForBackend(backend).map((k) => [k.kernelName, k.kernelFunc]));
}

/** Everything the library does with models: create, train (engine, fallback), score. */
async function libraryWork(): Promise<void> {
  const d = data(16, 3);
  const ours = await createModel(small);
  const h = await trainModel(ours, d, { epochs: 1, batchSize: 8, threads: 2 });
  expect(h.engineThreads).toBeGreaterThanOrEqual(1);
  await predict(ours, d, { threads: 2 });
  await predictWithUncertainty(ours, d, { samples: 3 });
  // A model the engine declines (softplus: every activation ModelConfig offers runs on the
  // engine) trains and scores through TensorFlow.js.
  const declined = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [SIZE, SIZE, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'softplus',
      }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 2, activation: 'softmax' }),
    ],
  });
  const hd = await trainModel(declined, d, { epochs: 1, batchSize: 8 });
  expect(hd.engineSkipped).toMatch(/softplus/);
  await predict(declined, d);
  await trainModel(ours, d, { epochs: 1, batchSize: 8, engine: false });
  ours.dispose();
  declined.dispose();
}

describe("the host application's TensorFlow.js", () => {
  // 'wasm' first: each case must see the kernels as the host registered them, before any library call.
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`keeps its '${backend}' backend, its kernels and its model's outputs`, async () => {
      if (backend === 'wasm') {
        // The host chose the WASM backend itself (a browser app or a Node tool may).
        const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
        const { wasmBinaryDirectory } = await import('../src/index.node.js');
        setWasmPaths(wasmBinaryDirectory() as string);
      }
      expect(await tf.setBackend(backend)).toBe(true);
      const host = hostModel();
      const x = data(5, 9);
      const before = hostOutputs(host, x);
      const kernelsBefore = kernels(backend);
      const backendsBefore = Object.keys(tf.engine().registryFactory).sort();

      await libraryWork();

      expect(tf.getBackend()).toBe(backend);
      expect(Object.keys(tf.engine().registryFactory).sort()).toEqual(backendsBefore);
      const kernelsAfter = kernels(backend);
      expect([...kernelsAfter.keys()].sort()).toEqual([...kernelsBefore.keys()].sort());
      for (const [name, f] of kernelsBefore) expect(kernelsAfter.get(name), name).toBe(f);
      expect(hostOutputs(host, x)).toEqual(before);
      host.dispose();
    });
  }

  it('importing the library registers no backend and sets none', async () => {
    // A fresh process: what an application sees right after `import 'alma-classifier'`.
    const { execFileSync } = await import('node:child_process');
    const script = [
      "const tf = await import('@tensorflow/tfjs');",
      "await import('./src/index.node.ts');",
      'console.log(JSON.stringify({ backends: Object.keys(tf.engine().registryFactory).sort() }));',
    ].join('\n');
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: `${__dirname}/..`, encoding: 'utf8' },
    );
    const { backends } = JSON.parse(out.trim().split('\n').pop() as string) as {
      backends: string[];
    };
    expect(backends).not.toContain('wasm');
  });
});
