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
 * private copies of it, each taking runs of half a batch as it comes free. Every image is scored
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
    const units = engine.plan.dense[engine.plan.dense.length - 1].units;
    const out = new Float32Array(n * units);
    // Runs of half a batch handed out as threads come free: the two cores of a virtual machine
    // often run at different speeds, and equal shares would leave the faster one waiting.
    const run = Math.max(1, Math.ceil(maxBatch / 2));
    let next = 0;
    let error: unknown;
    const take = (): [number, number] | undefined => {
      if (next >= n || error !== undefined) return undefined;
      const lo = next;
      next = Math.min(n, next + run);
      return [lo, next];
    };
    // Two runs in flight per worker, so that it never waits for the calling thread to send one.
    const lane = async (k: number): Promise<void> => {
      for (let r = take(); r !== undefined; r = take()) {
        const [lo, hi] = r;
        try {
          out.set(await pool.forward(k, pixels.subarray(lo * per, hi * per), hi - lo), lo * units);
        } catch (e) {
          error ??= e;
        }
      }
    };
    // The calling thread takes the first run, so that a small call is still split.
    const first = take();
    const lanes = Array.from({ length: 2 * workers }, (_, j) => lane(j % workers));
    try {
      for (let r = first; r !== undefined; r = take()) {
        const [lo, hi] = r;
        out.set(await engine.forward(pixels.subarray(lo * per, hi * per), hi - lo), lo * units);
        // Let the workers' answers in (awaits alone resume before them) and send their next runs.
        await pool.settle();
      }
    } catch (e) {
      error ??= e;
    }
    await Promise.all(lanes);
    if (error !== undefined) {
      // After a failure the pool is not asked again: the next call starts a new one.
      entry.pool = undefined;
      await pool.close().catch(() => undefined);
      throw error;
    }
    return out;
  });
}
