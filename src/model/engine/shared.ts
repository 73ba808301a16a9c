/**
 * Scoring engines kept between calls: building one costs a memory, a weight copy and (in Node)
 * worker threads, too much to pay per batch of candidates. The two last used are kept (scoring
 * and Monte Carlo dropout take one each); calls run one after another. Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs';
import { modelPlatform } from '#model-platform';
import { TrainingEngine, type ScoringPool } from './engine.js';

interface Entry {
  model: WeakRef<tf.LayersModel>;
  key: string;
  ids: object[];
  engine: TrainingEngine;
  /** Scoring workers with private copies of `engine` (a one-thread engine), once started. */
  pool?: ScoringPool;
  /** Whether the pool holds the engine's current weights. */
  poolCurrent: boolean;
}

/** Engines kept, least recently used first. */
const entries: Entry[] = [];
const KEEP = 2;
let queue: Promise<unknown> = Promise.resolve();

function weightIds(model: tf.LayersModel): object[] {
  return model.trainableWeights.map((w) => w.read().dataId);
}

async function closeEntry(e: Entry): Promise<void> {
  await e.pool?.close();
  await e.engine.close();
}

/** The kept engine for `model` and `key` with its current weights, made when missing. */
async function entryFor(
  model: tf.LayersModel,
  threads: number,
  maxBatch: number,
): Promise<Entry | undefined> {
  const key = `${threads}/${maxBatch}`;
  // Engines of models that are gone go first.
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].model.deref() === undefined) await closeEntry(entries.splice(i, 1)[0]);
  }
  let entry = entries.find((e) => e.key === key && e.model.deref() === model);
  if (entry === undefined) {
    const made = await TrainingEngine.create(model, {
      threads,
      maxBatch,
      optimizer: 'sgd',
      learningRate: 0,
      seed: 0,
    });
    if (typeof made === 'string') return undefined;
    entry = {
      model: new WeakRef(model),
      key,
      ids: weightIds(model),
      engine: made,
      poolCurrent: false,
    };
    entries.push(entry);
    while (entries.length > KEEP) await closeEntry(entries.shift() as Entry);
  } else {
    entries.splice(entries.indexOf(entry), 1);
    entries.push(entry);
  }
  const ids = weightIds(model);
  if (ids.some((id, i) => id !== entry.ids[i])) {
    entry.engine.readWeights(model);
    entry.ids = ids;
    entry.poolCurrent = false;
  }
  return entry;
}

/** Runs `task` after every call queued before it. */
function queued<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * Runs `work` on an inference engine holding `model`'s current weights (`threads` threads, at
 * most `maxBatch` images per pass), or returns `undefined` when the engine does not run the
 * model. The engine is rebuilt for another model, thread count or batch size (the two last
 * used are kept), and the weights are copied again when the model's weight tensors changed
 * (training replaces them).
 */
export function withScoringEngine<T>(
  model: tf.LayersModel,
  threads: number,
  maxBatch: number,
  work: (engine: TrainingEngine) => Promise<T>,
): Promise<T | undefined> {
  return queued(async () => {
    const entry = await entryFor(model, threads, maxBatch);
    return entry === undefined ? undefined : work(entry.engine);
  });
}

/**
 * Output probabilities `[n, units]` of `n` images (inference) on `threads` threads: a
 * one-thread engine on the calling thread and, in Node, `threads - 1` scoring workers with
 * private copies of it, each scoring its own contiguous run of the images. Every image is scored
 * by the same kernels in the same order whichever thread takes it, so the result does not depend
 * on `threads`. `undefined` when the engine does not run the model.
 */
export function scoreOnEngines(
  model: tf.LayersModel,
  threads: number,
  maxBatch: number,
  pixels: Float32Array,
  n: number,
): Promise<Float32Array | undefined> {
  return queued(async () => {
    const entry = await entryFor(model, 1, maxBatch);
    if (entry === undefined) return undefined;
    const engine = entry.engine;
    const start = modelPlatform.startScoringPool;
    // Fewer images than threads: not worth a message.
    const workers = Math.min(threads, n) - 1;
    if (start === undefined || workers <= 0) return engine.forward(pixels, n);
    if (entry.pool === undefined || entry.pool.workers < workers) {
      await entry.pool?.close();
      entry.pool = undefined;
      entry.pool = await start(workers, engine.snapshot());
      entry.poolCurrent = true;
    } else if (!entry.poolCurrent) {
      await entry.pool.load(engine.snapshot());
      entry.poolCurrent = true;
    }
    const pool = entry.pool;
    const [h, w, c] = engine.plan.input;
    const per = h * w * c;
    // Contiguous runs of about equal size; the calling thread takes the first.
    const T = workers + 1;
    const bounds = Array.from({ length: T + 1 }, (_, t) => Math.round((t * n) / T));
    const theirs = Array.from({ length: workers }, (_, k) =>
      pool.forward(
        k,
        pixels.subarray(bounds[k + 1] * per, bounds[k + 2] * per),
        bounds[k + 2] - bounds[k + 1],
      ),
    );
    // A failed worker must not leave an unhandled rejection while the calling thread scores.
    for (const p of theirs) p.catch(() => undefined);
    const mine = await engine.forward(pixels.subarray(0, bounds[1] * per), bounds[1]);
    const units = mine.length / Math.max(1, bounds[1]);
    const out = new Float32Array(n * units);
    out.set(mine);
    let rest: Float32Array[];
    try {
      rest = await Promise.all(theirs);
    } catch (e) {
      // A worker that failed is not asked again: the next call starts a new pool.
      entry.pool = undefined;
      await pool.close().catch(() => undefined);
      throw e;
    }
    rest.forEach((probs, k) => out.set(probs, bounds[k + 1] * units));
    return out;
  });
}
