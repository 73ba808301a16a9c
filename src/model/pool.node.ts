/**
 * A small pool of worker threads, each with its own TensorFlow.js WASM backend and a model
 * replica (see `worker.node.ts`). Requests to one worker are answered in order.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import type { LossName } from './config.js';

/** A message to a worker. */
export type WorkerRequest =
  | { type: 'init' }
  | { type: 'model'; artifacts: tf.io.ModelArtifacts }
  | { type: 'weights'; flat: Float32Array }
  | { type: 'predict'; pixels: Float32Array; shape: [number, number, number, number]; batchSize: number }
  | {
      type: 'grads';
      x: Float32Array;
      shape: [number, number, number, number];
      labels: Int32Array;
      weights: Float32Array;
      divisor: number;
      loss: LossName;
    };

/** A worker's answer. */
export type WorkerReply =
  | { type: 'ok'; backend: string }
  | { type: 'scores'; scores: Float32Array }
  | { type: 'grads'; grads: Float32Array; loss: number; correct: number }
  | { type: 'error'; message: string };

/** One worker thread and the queue of answers it owes. */
export class ModelWorker {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }[] = [];

  /** Starts the thread (it keeps no process alive on its own). */
  constructor() {
    const here = import.meta.url;
    // From the TypeScript sources (tests, benchmarks) the worker is a .ts file that needs tsx.
    const ts = here.endsWith('.ts');
    const url = new URL(ts ? './worker.node.ts' : './worker.node.js', here);
    const execArgv = ts && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : undefined;
    this.worker = new Worker(url, execArgv ? { execArgv } : {});
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => {
      const w = this.waiting.shift();
      if (w === undefined) return;
      if (reply.type === 'error') w.reject(new ModelError(`model worker: ${reply.message}`));
      else w.resolve(reply);
    });
    this.worker.on('error', (e) => {
      for (const w of this.waiting.splice(0)) w.reject(new ModelError(`model worker failed: ${e.message}`, undefined, { cause: e }));
    });
  }

  /** Sends `msg` (transferring `transfer`) and resolves with the worker's answer to it. */
  request(msg: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(msg, transfer);
    });
  }

  /** Stops the thread. */
  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Worker threads worth starting: one per core beyond the calling thread's. */
export function spareCores(): number {
  return Math.max(0, availableParallelism() - 1);
}

/** Serialises a model (topology and weights) for `tf.io.fromMemory` in a worker. */
export async function modelArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (captured === undefined) throw new ModelError('model could not be serialised for a worker');
  return captured;
}

/** All trainable weights of `model` in one buffer, in `trainableWeights` order. */
export function flatWeights(model: tf.LayersModel): Float32Array {
  const vars = model.trainableWeights.map((w) => w.read());
  const flat = new Float32Array(vars.reduce((s, v) => s + v.size, 0));
  let off = 0;
  for (const v of vars) {
    flat.set(v.dataSync() as Float32Array, off);
    off += v.size;
  }
  return flat;
}

/** Starts `count` workers, each with the WASM backend and a replica of `model`. */
export async function startWorkers(model: tf.LayersModel, count: number): Promise<ModelWorker[]> {
  const artifacts = await modelArtifacts(model);
  const workers = Array.from({ length: count }, () => new ModelWorker());
  await Promise.all(
    workers.map(async (w) => {
      const r = await w.request({ type: 'init' });
      if (r.type === 'ok' && r.backend !== 'wasm') {
        throw new ModelError(`model worker runs on '${r.backend}', not 'wasm'`);
      }
      await w.request({ type: 'model', artifacts });
    }),
  );
  return workers;
}
