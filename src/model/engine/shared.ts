/**
 * A scoring engine kept between calls: building one costs a memory, a weight copy and (in Node)
 * worker threads, too much to pay per batch of candidates. One per process, for the model last
 * used; calls run one after another. Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs';
import { TrainingEngine } from './engine.js';

let cached:
  | { model: WeakRef<tf.LayersModel>; key: string; ids: object[]; engine: TrainingEngine }
  | undefined;
let queue: Promise<unknown> = Promise.resolve();

function weightIds(model: tf.LayersModel): object[] {
  return model.trainableWeights.map((w) => w.read().dataId);
}

/**
 * Runs `work` on an inference engine holding `model`'s current weights (`threads` threads, at
 * most `maxBatch` images per pass), or returns `undefined` when the engine does not run the
 * model. The engine is rebuilt for another model, thread count or batch size, and the weights
 * are copied again when the model's weight tensors changed (training replaces them).
 */
export function withScoringEngine<T>(
  model: tf.LayersModel,
  threads: number,
  maxBatch: number,
  work: (engine: TrainingEngine) => Promise<T>,
): Promise<T | undefined> {
  const key = `${threads}/${maxBatch}`;
  const run = queue.then(async () => {
    if (cached === undefined || cached.model.deref() !== model || cached.key !== key) {
      await cached?.engine.close();
      cached = undefined;
      const made = await TrainingEngine.create(model, {
        threads,
        maxBatch,
        optimizer: 'sgd',
        learningRate: 0,
        seed: 0,
      });
      if (typeof made === 'string') return undefined;
      cached = { model: new WeakRef(model), key, ids: weightIds(model), engine: made };
    }
    const ids = weightIds(model);
    if (ids.some((id, i) => id !== cached?.ids[i])) {
      cached.engine.readWeights(model);
      cached.ids = ids;
    }
    return work(cached.engine);
  });
  queue = run.catch(() => undefined);
  return run;
}
