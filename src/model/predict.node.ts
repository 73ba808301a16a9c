/**
 * Multi-threaded prediction for Node: WASM runs one thread per JavaScript thread, so large
 * batches are split between the calling thread and worker threads holding replicas of the model.
 */
import * as tf from '@tensorflow/tfjs';
import { flatWeights, spareCores, startWorkers, type ModelWorker } from './pool.node.js';
import { predictLocal, setParallelPredictor, type PredictOptions } from './predict.js';

/** Fewest images per thread worth a worker (below this the hand-off costs more than it saves). */
export const MIN_IMAGES_PER_THREAD = 32;

interface Replicas {
  workers: ModelWorker[];
  /** Identity of the weight tensors the replicas hold; an optimizer step replaces them. */
  weightIds: object[];
}

const replicas = new WeakMap<tf.LayersModel, Promise<Replicas>>();

function weightIds(model: tf.LayersModel): object[] {
  return model.trainableWeights.map((w) => w.read().dataId);
}

async function replicasFor(model: tf.LayersModel, count: number): Promise<ModelWorker[]> {
  let entry = replicas.get(model);
  if (entry === undefined || (await entry).workers.length < count) {
    if (entry !== undefined) await Promise.all((await entry).workers.map((w) => w.terminate()));
    entry = startWorkers(model, count).then((workers) => ({ workers, weightIds: weightIds(model) }));
    replicas.set(model, entry);
  }
  const r = await entry;
  const ids = weightIds(model);
  if (ids.some((id, i) => id !== r.weightIds[i])) {
    const flat = flatWeights(model);
    await Promise.all(r.workers.map((w) => w.request({ type: 'weights', flat })));
    r.weightIds = ids;
  }
  return r.workers.slice(0, count);
}

/**
 * Splits `pixels` over the calling thread and `options.workers` workers (`'auto'`: one per spare
 * core); returns `undefined` (predict locally) when the batch is too small to gain or the backend
 * is not `wasm` (tfjs-node is multi-threaded already).
 */
async function predictParallel(
  model: tf.LayersModel,
  pixels: Float32Array,
  shape: [number, number, number, number],
  options: PredictOptions,
): Promise<Float32Array | undefined> {
  if (tf.getBackend() !== 'wasm') return undefined;
  const [n, h, w, c] = shape;
  const wanted = options.workers === 'auto' ? spareCores() : Math.max(0, options.workers - 1);
  const count = Math.min(wanted, Math.floor(n / MIN_IMAGES_PER_THREAD) - 1);
  if (count < 1) return undefined;
  const workers = await replicasFor(model, count);
  const per = h * w * c;
  // Equal shares, the calling thread taking the first one while the workers run theirs.
  const bounds = Array.from({ length: count + 2 }, (_, i) => Math.round((i * n) / (count + 1)));
  const pending = workers.map((wk, i) => {
    const lo = bounds[i + 1];
    const hi = bounds[i + 2];
    const part = pixels.slice(lo * per, hi * per);
    return wk.request(
      { type: 'predict', pixels: part, shape: [hi - lo, h, w, c], batchSize: options.batchSize },
      [part.buffer],
    );
  });
  const out = new Float32Array(n);
  out.set(predictLocal(model, pixels.subarray(0, bounds[1] * per), [bounds[1], h, w, c], options.batchSize), 0);
  const replies = await Promise.all(pending);
  replies.forEach((r, i) => {
    if (r.type === 'scores') out.set(r.scores, bounds[i + 1]);
  });
  return out;
}

setParallelPredictor(predictParallel);
