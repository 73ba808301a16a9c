/**
 * Data-parallel training for Node: each batch is split between the calling thread and worker
 * threads, each with its own WASM backend and a replica of the model and of the optimizer. Every
 * thread computes the gradient of its shard's share of the batch loss; the calling thread sums
 * them (the sum is the full batch gradient) and every thread applies that same sum with its own
 * optimizer, so the replicas stay equal without shipping weights each step.
 */
import * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from './config.js';
import { targets } from './data.js';
import { sampleCorrect, sampleLoss } from './losses.js';
import { flatWeights, spareCores, startWorkers } from './pool.node.js';
import { setStepRunnerFactory, type StepRunner } from './train.js';

/**
 * With `workers: 'auto'`, the smallest batch (in input values, images x pixels x channels) split
 * over threads: smaller ones lose more to hand-offs than they gain. 16 images of 100x100 pass.
 */
export const MIN_PARALLEL_VALUES = 150_000;

/**
 * Steps between two copies of the calling thread's weights to the workers. The replicas apply
 * identical updates, so this only bounds the effect of any float difference between threads.
 */
export const RESYNC_STEPS = 64;

async function parallelRunner(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  config: TrainConfig,
): Promise<StepRunner | undefined> {
  const wanted = config.workers ?? 'auto';
  const values =
    config.batchSize * (model.inputs[0].shape.slice(1) as number[]).reduce((p, q) => p * q, 1);
  const count =
    wanted === 'auto'
      ? values >= MIN_PARALLEL_VALUES
        ? spareCores()
        : 0
      : Math.min(Math.max(0, wanted - 1), config.batchSize - 1);
  if (count < 1 || tf.getBackend() !== 'wasm') return undefined;
  const workers = await startWorkers(model, count);
  await Promise.all(
    workers.map((wk) =>
      wk.request({ type: 'optimizer', name: config.optimizer, learningRate: config.learningRate }),
    ),
  );
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const total = vars.reduce((s, v) => s + v.size, 0);
  const units = model.outputs[0].shape[1] as number;
  const threads = count + 1;
  let steps = 0;
  let failure: unknown;
  const noteFailure = (e: unknown): void => {
    failure ??= e;
  };
  return {
    async step(x, shape, labels, weights) {
      if (failure !== undefined) throw failure;
      const [m, h, w, c] = shape;
      const per = h * w * c;
      // Equal shares; the calling thread takes the first.
      const bounds = Array.from({ length: threads + 1 }, (_, i) => Math.round((i * m) / threads));
      const mine = bounds[1];
      const pending = workers.map((wk, i) => {
        const lo = bounds[i + 1];
        const hi = bounds[i + 2];
        const part = x.slice(lo * per, hi * per);
        return wk.request(
          {
            type: 'grads',
            x: part,
            shape: [hi - lo, h, w, c],
            labels: labels.slice(lo, hi),
            weights: weights.slice(lo, hi),
            divisor: m,
            loss: config.loss,
          },
          [part.buffer],
        );
      });
      let lossSum = 0;
      let correct = 0;
      const sum = new Float32Array(total);
      if (mine > 0) {
        tf.tidy(() => {
          const xs = tf.tensor4d(x.subarray(0, mine * per), [mine, h, w, c]);
          const ys = targets(labels.subarray(0, mine), units);
          const ws = tf.tensor1d(weights.subarray(0, mine));
          let hits: tf.Scalar | undefined;
          const r = tf.variableGrads(() => {
            const p = model.apply(xs, { training: true }) as tf.Tensor2D;
            hits = tf.keep(tf.sum(sampleCorrect(ys, p)) as tf.Scalar);
            return tf.div(tf.sum(tf.mul(sampleLoss(config.loss, ys, p), ws)), m) as tf.Scalar;
          }, vars);
          lossSum += r.value.dataSync()[0] * m;
          correct += (hits as tf.Scalar).dataSync()[0];
          (hits as tf.Scalar).dispose();
          let off = 0;
          for (const v of vars) {
            sum.set(r.grads[v.name].dataSync() as Float32Array, off);
            off += v.size;
          }
        });
      }
      for (const r of await Promise.all(pending)) {
        if (r.type !== 'grads') continue;
        lossSum += r.loss;
        correct += r.correct;
        const g = r.grads;
        for (let i = 0; i < total; i++) sum[i] += g[i];
      }
      for (const wk of workers) wk.request({ type: 'apply', flat: sum }).catch(noteFailure);
      tf.tidy(() => {
        const grads: tf.NamedTensorMap = {};
        let off = 0;
        for (const v of vars) {
          grads[v.name] = tf.tensor(sum.subarray(off, off + v.size), v.shape);
          off += v.size;
        }
        optimizer.applyGradients(grads);
      });
      if (++steps % RESYNC_STEPS === 0) {
        const flat = flatWeights(model);
        for (const wk of workers) wk.request({ type: 'weights', flat }).catch(noteFailure);
      }
      return { loss: lossSum, correct };
    },
    async close() {
      await Promise.all(workers.map((wk) => wk.terminate()));
    },
  };
}

setStepRunnerFactory(parallelRunner);
