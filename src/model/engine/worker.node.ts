/**
 * A worker thread of the training engine: it instantiates the engine's kernels on the shared
 * memory and runs its share of each step or forward pass when the calling thread asks
 * (`team.node.ts`), or, as a scoring worker, holds a private copy of a one-thread engine and
 * scores the images it is sent. It loads neither TensorFlow.js nor anything else heavy.
 */
import { parentPort } from 'node:worker_threads';
import { arrive, waitSync } from './barrier.js';
import { EngineCore, imageShare, type StepArgs } from './core.js';
import { instantiateKernels } from './kernel-api.js';
import type { EngineLayout } from './layout.js';
import type { DropoutPass, EngineSnapshot } from './engine.js';

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
  | { type: 'forward'; m: number; dropout?: DropoutPass }
  | { type: 'load'; snapshot: EngineSnapshot }
  | { type: 'score'; pixels: Float32Array; n: number };

/** Answers: done (with the probabilities of a `score`), or the error the thread met. */
export type EngineWorkerReply =
  { type: 'done'; probabilities?: Float32Array } | { type: 'error'; message: string };

let core: EngineCore | undefined;
let ctl: Int32Array | undefined;
let layout: EngineLayout | undefined;
let tid = 0;
/** A scoring worker's input slots. */
let images: Float32Array | undefined;

function handle(msg: EngineWorkerRequest): EngineWorkerReply {
  if (msg.type === 'init') {
    layout = msg.layout;
    tid = msg.tid;
    core = new EngineCore(instantiateKernels(msg.module, msg.memory), msg.memory, layout, tid);
    ctl = new Int32Array(msg.memory.buffer, layout.ctl, 4);
    return { type: 'done' };
  }
  if (msg.type === 'load') {
    // A scoring worker: its own ordinary memory, a copy of the calling thread's engine.
    layout = msg.snapshot.layout;
    const memory = new WebAssembly.Memory({
      initial: msg.snapshot.bytes.byteLength / 65536,
      maximum: msg.snapshot.bytes.byteLength / 65536,
    });
    new Uint8Array(memory.buffer).set(msg.snapshot.bytes);
    core = new EngineCore(instantiateKernels(msg.snapshot.module, memory), memory, layout, 0);
    images = new Float32Array(memory.buffer, layout.x);
    return { type: 'done' };
  }
  const c = core as EngineCore;
  const L = layout as EngineLayout;
  if (msg.type === 'score') {
    const [h, w, ch] = L.plan.input;
    const per = h * w * ch;
    const units = L.plan.dense[L.plan.dense.length - 1].units;
    const out = new Float32Array(msg.n * units);
    for (let s = 0; s < msg.n; s += L.maxBatch) {
      const m = Math.min(L.maxBatch, msg.n - s);
      (images as Float32Array).set(msg.pixels.subarray(s * per, (s + m) * per));
      c.forward(0, m, false, 0, false);
      c.probabilities(0, m, out.subarray(s * units, (s + m) * units));
    }
    return { type: 'done', probabilities: out };
  }
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
  const out = reply.type === 'done' ? reply.probabilities : undefined;
  parentPort?.postMessage(reply, out ? [out.buffer as ArrayBuffer] : []);
});
