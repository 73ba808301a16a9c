/**
 * Worker-thread side of multi-threaded prediction and data-parallel training. Each worker runs
 * its own WASM backend (WASM in Node is single-threaded), holds a replica of the model, and
 * answers messages from `pool.node.ts`: load a model, set its weights, score images, or compute
 * the gradients of a batch shard.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import './backend.node.js';
import { useFastBackend } from './backend.js';
import type { LossName } from './config.js';
import { targets } from './data.js';
import { sampleCorrect, sampleLoss } from './losses.js';
import { makeOptimizer } from './optimizers.js';
import { predictLocal } from './predict.js';
import type { WorkerReply, WorkerRequest } from './pool.node.js';

let model: tf.LayersModel | undefined;
let optimizer: tf.Optimizer | undefined;

function trainable(): tf.Variable[] {
  return (model as tf.LayersModel).trainableWeights.map((w) => w.read() as tf.Variable);
}

function setFlatWeights(flat: Float32Array): void {
  let off = 0;
  tf.tidy(() => {
    for (const v of trainable()) {
      v.assign(tf.tensor(flat.subarray(off, off + v.size), v.shape));
      off += v.size;
    }
  });
}

function gradients(
  x: Float32Array,
  shape: [number, number, number, number],
  labels: Int32Array,
  weights: Float32Array,
  divisor: number,
  loss: LossName,
): { grads: Float32Array; loss: number; correct: number } {
  const m = model as tf.LayersModel;
  const vars = trainable();
  const units = m.outputs[0].shape[1] as number;
  const total = vars.reduce((s, v) => s + v.size, 0);
  const grads = new Float32Array(total);
  let lossSum = 0;
  let correct = 0;
  tf.tidy(() => {
    const xs = tf.tensor4d(x, shape);
    const ys = targets(labels, units);
    const ws = tf.tensor1d(weights);
    let hits: tf.Scalar | undefined;
    const { value, grads: g } = tf.variableGrads(() => {
      const p = m.apply(xs, { training: true }) as tf.Tensor2D;
      hits = tf.keep(tf.sum(sampleCorrect(ys, p)) as tf.Scalar);
      return tf.div(tf.sum(tf.mul(sampleLoss(loss, ys, p), ws)), divisor) as tf.Scalar;
    }, vars);
    lossSum = value.dataSync()[0] * divisor;
    correct = (hits as tf.Scalar).dataSync()[0];
    let off = 0;
    for (const v of vars) {
      grads.set(g[v.name].dataSync() as Float32Array, off);
      off += v.size;
    }
  });
  return { grads, loss: lossSum, correct };
}

async function handle(msg: WorkerRequest): Promise<WorkerReply> {
  switch (msg.type) {
    case 'init':
      await useFastBackend({ prefer: ['wasm'] });
      return { type: 'ok', backend: tf.getBackend() };
    case 'model':
      model?.dispose();
      model = await tf.loadLayersModel(tf.io.fromMemory(msg.artifacts));
      return { type: 'ok', backend: tf.getBackend() };
    case 'weights':
      setFlatWeights(msg.flat);
      return { type: 'ok', backend: tf.getBackend() };
    case 'optimizer':
      optimizer?.dispose();
      optimizer = makeOptimizer(msg.name, msg.learningRate);
      return { type: 'ok', backend: tf.getBackend() };
    case 'apply': {
      const opt = optimizer as tf.Optimizer;
      tf.tidy(() => {
        const grads: tf.NamedTensorMap = {};
        let off = 0;
        for (const v of trainable()) {
          grads[v.name] = tf.tensor(msg.flat.subarray(off, off + v.size), v.shape);
          off += v.size;
        }
        opt.applyGradients(grads);
      });
      return { type: 'ok', backend: tf.getBackend() };
    }
    case 'predict':
      return {
        type: 'scores',
        scores: predictLocal(model as tf.LayersModel, msg.pixels, msg.shape, msg.batchSize),
      };
    case 'grads': {
      const r = gradients(msg.x, msg.shape, msg.labels, msg.weights, msg.divisor, msg.loss);
      return { type: 'grads', ...r };
    }
  }
}

const port = parentPort;
if (port !== null) {
  port.on('message', (msg: WorkerRequest) => {
    handle(msg).then(
      (reply) => {
        const transfer =
          reply.type === 'scores'
            ? [reply.scores.buffer]
            : reply.type === 'grads'
              ? [reply.grads.buffer]
              : [];
        port.postMessage(reply, transfer as ArrayBuffer[]);
      },
      (e: unknown) =>
        port.postMessage({ type: 'error', message: (e as Error).message } satisfies WorkerReply),
    );
  });
}
