/**
 * Worker threads for the training engine in Node: `threads - 1` workers share the engine's
 * memory with the calling thread, which is thread 0. A step sends each worker one message, runs
 * the calling thread's share, meets the workers at the barrier between the two phases, runs its
 * share of the update and waits for every worker's answer. A scoring pool's workers instead
 * hold private copies of a one-thread engine and score whole runs of images.
 */
import type { Worker } from 'node:worker_threads';
import { ModelError } from '../../core/errors.js';
import { spawnModuleWorker } from '../../core/threads.node.js';
import { arrive, waitAsync } from './barrier.js';
import { imageShare } from './core.js';
import type { EngineSnapshot, EngineTeam, ScoringPool, TeamContext } from './engine.js';
import type { EngineWorkerReply, EngineWorkerRequest } from './worker.node.js';

/** One engine worker and the answers it owes. */
class EngineWorker {
  private readonly worker: Worker;
  private readonly waiting: {
    resolve: (reply: EngineWorkerReply) => void;
    reject: (e: Error) => void;
  }[] = [];
  private dead: Error | undefined;

  constructor() {
    this.worker = spawnModuleWorker(import.meta.url, 'worker.node');
    this.worker.on('message', (reply: EngineWorkerReply) => {
      const w = this.waiting.shift();
      if (this.waiting.length === 0) this.worker.unref();
      if (reply.type === 'error')
        w?.reject(new ModelError(`training engine worker: ${reply.message}`));
      else w?.resolve(reply);
    });
    const fail = (e: Error): void => {
      this.dead ??= e;
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    this.worker.on('error', (e) =>
      fail(new ModelError(`training engine worker failed: ${e.message}`, undefined, { cause: e })),
    );
    this.worker.on('exit', (code) =>
      fail(new ModelError(`training engine worker exited (code ${code})`)),
    );
    this.worker.unref();
  }

  request(msg: EngineWorkerRequest, transfer: ArrayBuffer[] = []): Promise<EngineWorkerReply> {
    if (this.dead !== undefined) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) this.worker.ref();
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(msg, transfer);
    });
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Starts the worker threads of the team `ctx.layout` describes; the calling thread is thread 0. */
export async function startEngineTeam(ctx: TeamContext): Promise<EngineTeam> {
  const { layout, core, memory, module } = ctx;
  const T = layout.threads;
  const workers = Array.from({ length: T - 1 }, () => new EngineWorker());
  try {
    await Promise.all(
      workers.map((w, i) => w.request({ type: 'init', module, memory, layout, tid: i + 1 })),
    );
  } catch (e) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  }
  const ctl = new Int32Array(memory.buffer, layout.ctl, 4);
  return {
    threads: T,
    async step(args) {
      const replies = workers.map((w) => w.request({ type: 'step', args }));
      // If a worker dies, its answer rejects; the barrier would then never open.
      const failed = Promise.all(replies).then(
        () => new Promise<never>(() => undefined),
        (e: unknown) => {
          throw e;
        },
      );
      let error: unknown;
      try {
        core.stepImages(args);
      } catch (e) {
        error = e;
      }
      await Promise.race([waitAsync(ctl, arrive(ctl, T)), failed]);
      try {
        if (error === undefined) core.update(args.m, args.optimizer);
      } catch (e) {
        error ??= e;
      }
      await Promise.all(replies);
      if (error !== undefined) throw error;
    },
    async forward(m, dropout) {
      const replies = workers.map((w) => w.request({ type: 'forward', m, dropout }));
      const [lo, hi] = imageShare(m, 0, T);
      core.forward(lo, hi, dropout !== undefined, dropout?.seed ?? 0, dropout?.resume ?? false);
      await Promise.all(replies);
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * Starts `workers` scoring workers, each with its own copy of the one-thread engine `snapshot`
 * describes (see {@link ScoringPool}).
 */
export async function startScoringPool(
  workers: number,
  snapshot: EngineSnapshot,
): Promise<ScoringPool> {
  const team = Array.from({ length: workers }, () => new EngineWorker());
  const load = async (snap: EngineSnapshot): Promise<void> => {
    await Promise.all(
      team.map((w) => {
        const copy = snap.bytes.slice();
        return w.request({ type: 'load', snapshot: { ...snap, bytes: copy } }, [copy.buffer]);
      }),
    );
  };
  try {
    await load(snapshot);
  } catch (e) {
    await Promise.all(team.map((w) => w.terminate()));
    throw e;
  }
  return {
    workers,
    load,
    async forward(w, pixels, n) {
      const copy = pixels.slice();
      const reply = await team[w].request({ type: 'score', pixels: copy, n }, [copy.buffer]);
      if (reply.type !== 'done' || reply.probabilities === undefined) {
        throw new ModelError('scoring worker: no probabilities in its answer');
      }
      return reply.probabilities;
    },
    settle() {
      return new Promise((resolve) => setImmediate(resolve));
    },
    async close() {
      await Promise.all(team.map((w) => w.terminate()));
    },
  };
}
