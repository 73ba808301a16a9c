/**
 * A worker thread of the training engine: it instantiates the engine's kernels on the shared
 * memory and runs its share of each step or forward pass when the calling thread asks
 * (`team.node.ts`). It loads neither TensorFlow.js nor anything else heavy.
 */
import { parentPort } from 'node:worker_threads';
import { arrive, waitSync } from './barrier.js';
import { EngineCore, imageShare, type StepArgs } from './core.js';
import { instantiateKernels } from './kernel-api.js';
import type { EngineLayout } from './layout.js';
import type { DropoutPass } from './engine.js';

/** Messages from the calling thread. */
export type EngineWorkerRequest =
  | {
      type: 'init';
      module: WebAssembly.Module;
      memory: WebAssembly.Memory;
      layout: EngineLayout;
      tid: number;
    }
  | { type: 'step'; args: StepArgs }
  | { type: 'forward'; m: number; dropout?: DropoutPass };

/** Answers: done, or the error the thread met. */
export type EngineWorkerReply = { type: 'done' } | { type: 'error'; message: string };

let core: EngineCore | undefined;
let ctl: Int32Array | undefined;
let layout: EngineLayout | undefined;
let tid = 0;

function handle(msg: EngineWorkerRequest): EngineWorkerReply {
  if (msg.type === 'init') {
    layout = msg.layout;
    tid = msg.tid;
    core = new EngineCore(instantiateKernels(msg.module, msg.memory), msg.memory, layout, tid);
    ctl = new Int32Array(msg.memory.buffer, layout.ctl, 4);
    return { type: 'done' };
  }
  const c = core as EngineCore;
  const L = layout as EngineLayout;
  if (msg.type === 'forward') {
    const [lo, hi] = imageShare(msg.m, tid, L.threads);
    const d = msg.dropout;
    c.forward(lo, hi, d !== undefined, d?.seed ?? 0, d?.resume ?? false);
    return { type: 'done' };
  }
  // A step: every thread must reach the barrier, or the others wait for ever.
  let error: string | undefined;
  try {
    c.stepImages(msg.args);
  } catch (e) {
    error = (e as Error).message;
  }
  waitSync(ctl as Int32Array, arrive(ctl as Int32Array, L.threads));
  try {
    if (error === undefined) c.update(msg.args.m, msg.args.optimizer);
  } catch (e) {
    error = (e as Error).message;
  }
  return error === undefined ? { type: 'done' } : { type: 'error', message: error };
}

parentPort?.on('message', (msg: EngineWorkerRequest) => {
  let reply: EngineWorkerReply;
  try {
    reply = handle(msg);
  } catch (e) {
    reply = { type: 'error', message: (e as Error).message };
  }
  parentPort?.postMessage(reply);
});
