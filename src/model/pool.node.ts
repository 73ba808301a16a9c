/**
 * A small pool of worker threads, each with its own TensorFlow.js WASM backend and a model
 * replica (see `worker.node.ts`). Requests to one worker are answered in order.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { spawnModuleWorker } from '../core/threads.node.js';
import type { LossName, OptimizerName } from './config.js';

/** A message to a worker. */
export type WorkerRequest =
  | { type: 'init' }
  | { type: 'model'; artifacts: tf.io.ModelArtifacts }
  | { type: 'weights'; flat: Float32Array }
  | { type: 'optimizer'; name: OptimizerName; learningRate: number }
  | { type: 'apply'; flat: Float32Array }
  | {
      type: 'predict';
      pixels: Float32Array;
      shape: [number, number, number, number];
      batchSize: number;
    }
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

/** A request awaiting its answer. */
interface Pending {
  resolve: (r: WorkerReply) => void;
  reject: (e: Error) => void;
}

/** One worker thread and the queue of answers it owes. */
export class ModelWorker {
  private readonly worker: Worker;
  private readonly waiting: Pending[] = [];
  /** Settles after the answer to the latest request (answers come in order). */
  private idle: Promise<unknown> = Promise.resolve();

  /** Starts the thread (it keeps no process alive on its own). */
  constructor() {
    this.worker = spawnModuleWorker(import.meta.url, 'worker.node');
    this.worker.on('message', (reply: WorkerReply) => {
      const w = this.waiting.shift();
      if (this.waiting.length === 0) this.worker.unref();
      if (w === undefined) return;
      if (reply.type === 'error') w.reject(new ModelError(`model worker: ${reply.message}`));
      else w.resolve(reply);
    });
    this.worker.on('error', (e) => {
      for (const w of this.waiting.splice(0))
        w.reject(new ModelError(`model worker failed: ${e.message}`, undefined, { cause: e }));
    });
    this.worker.on('exit', (code) => {
      for (const w of this.waiting.splice(0))
        w.reject(new ModelError(`model worker exited (code ${code})`));
    });
    // An idle worker must not keep the process alive, a busy one must (or Node exits while a
    // caller awaits its answer). Unref after the listeners: adding one refs the port again.
    this.worker.unref();
  }

  /** Sends `msg` (transferring `transfer`) and resolves with the worker's answer to it. */
  request(msg: WorkerRequest, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const reply = new Promise<WorkerReply>((resolve, reject) => {
      if (this.waiting.length === 0) this.worker.ref();
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(msg, transfer);
    });
    this.idle = reply.catch(() => undefined);
    return reply;
  }

  /** Stops the thread once it has answered every request sent to it. */
  async terminate(): Promise<void> {
    // Stopping a thread in the middle of a WASM call can leave Node with nothing to wait on, so
    // that it exits before the termination resolves; an idle thread stops at once.
    await this.idle;
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
