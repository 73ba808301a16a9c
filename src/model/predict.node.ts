/**
 * Multi-threaded prediction for Node: WASM runs one thread per JavaScript thread, so large
 * batches are split between the calling thread and worker threads holding replicas of the model.
 */
import * as tf from '@tensorflow/tfjs';
import {
  flatWeights,
  modelArtifacts,
  spareCores,
  startWorkers,
  type ModelWorker,
} from './pool.node.js';
import { predictLocal, setParallelPredictor, type PredictOptions } from './predict.js';

/**
 * With `workers: 'auto'`, the fewest input values (images x pixels x channels) per thread worth a
 * worker; below this the hand-off costs more than it saves. 32 images of 100x100 pass.
 */
export const MIN_VALUES_PER_THREAD = 300_000;

/**
 * The prediction workers: one set per process, holding a replica of the model last used (a
 * thread with a WASM heap is too heavy to keep one per model).
 */
interface Replicas {
  workers: ModelWorker[];
  /** The model the replicas copy. */
  model: WeakRef<tf.LayersModel>;
  /** Identity of the weight tensors the replicas hold; an optimizer step replaces them. */
  weightIds: object[];
}

let replicas: Replicas | undefined;
/** Calls touching the replicas run one after another, so none sees another's model. */
let queue: Promise<unknown> = Promise.resolve();

function exclusive<T>(f: () => Promise<T>): Promise<T> {
  const run = queue.then(f);
  queue = run.catch(() => undefined);
  return run;
}

function weightIds(model: tf.LayersModel): object[] {
  return model.trainableWeights.map((w) => w.read().dataId);
}

async function replicasFor(model: tf.LayersModel, count: number): Promise<ModelWorker[]> {
  if (replicas === undefined || replicas.workers.length < count) {
    if (replicas !== undefined) await Promise.all(replicas.workers.map((w) => w.terminate()));
    replicas = undefined;
    const workers = await startWorkers(model, count);
    replicas = { workers, model: new WeakRef(model), weightIds: weightIds(model) };
  } else if (replicas.model.deref() !== model) {
    const artifacts = await modelArtifacts(model);
    await Promise.all(replicas.workers.map((w) => w.request({ type: 'model', artifacts })));
    replicas.model = new WeakRef(model);
    replicas.weightIds = weightIds(model);
  }
  const r = replicas;
  const ids = weightIds(model);
  if (ids.some((id, i) => id !== r.weightIds[i])) {
    const flat = flatWeights(model);
    await Promise.all(r.workers.map((w) => w.request({ type: 'weights', flat })));
    r.weightIds = ids;
  }
  return r.workers.slice(0, count);
}

/**
 * Splits `pixels` over the calling thread and `options.workers - 1` workers (`'auto'`: one per
 * spare core, when the batch is large enough to gain); returns `undefined` (predict locally) when
 * no worker is wanted or the backend is not `wasm` (tfjs-node is multi-threaded already).
 */
async function predictParallel(
  model: tf.LayersModel,
  pixels: Float32Array,
  shape: [number, number, number, number],
  options: PredictOptions,
): Promise<Float32Array | undefined> {
  if (tf.getBackend() !== 'wasm') return undefined;
  const [n, h, w, c] = shape;
  const count =
    options.workers === 'auto'
      ? Math.min(spareCores(), Math.floor((n * h * w * c) / MIN_VALUES_PER_THREAD) - 1)
      : Math.min(options.workers - 1, n - 1);
  if (count < 1) return undefined;
  const per = h * w * c;
  // Equal shares, the calling thread taking the first one while the workers run theirs.
  const bounds = Array.from({ length: count + 2 }, (_, i) => Math.round((i * n) / (count + 1)));
  // Requests to one worker are answered in order, so once posted, a later call's model change
  // cannot overtake them.
  const pending = await exclusive(async () => {
    const workers = await replicasFor(model, count);
    return workers.map((wk, i) => {
      const lo = bounds[i + 1];
      const hi = bounds[i + 2];
      const part = pixels.slice(lo * per, hi * per);
      return wk.request(
        { type: 'predict', pixels: part, shape: [hi - lo, h, w, c], batchSize: options.batchSize },
        [part.buffer],
      );
    });
  });
  const out = new Float32Array(n);
  out.set(
    predictLocal(
      model,
      pixels.subarray(0, bounds[1] * per),
      [bounds[1], h, w, c],
      options.batchSize,
    ),
    0,
  );
  const replies = await Promise.all(pending);
  replies.forEach((r, i) => {
    if (r.type === 'scores') out.set(r.scores, bounds[i + 1]);
  });
  return out;
}

setParallelPredictor(predictParallel);
