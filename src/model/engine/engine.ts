/**
 * The training engine: forward and backward passes and the optimizer for the CNNs that
 * `createModel` builds (see `plan.ts` for the whole family), in this library's own WebAssembly
 * SIMD kernels (`engine.c`) over one memory that every thread shares. TensorFlow.js remains the
 * model's home: the engine copies the weights in, trains, and copies them back.
 *
 * Why not TensorFlow.js's own WASM backend: it has no filter-gradient kernel, and running a
 * network layer by layer through tensors costs copies, layout changes and an allocation per
 * operation that a fixed network does not need. Here each block is fused (convolution + bias,
 * activation + pooling, pooling gradient + activation gradient + bias gradient), the large dense
 * layer's gradient is formed chunk by chunk inside the optimizer step instead of as a 17 MB
 * tensor, and threads share the memory instead of exchanging gradients.
 *
 * Browser-safe: in a browser the engine runs on the calling thread; in Node `#model-platform`
 * (`platform.node.ts`) brings the worker threads.
 */
import * as tf from '@tensorflow/tfjs';
import { inflateSync } from 'fflate';
import { ModelError } from '../../core/errors.js';
import type { LossName, OptimizerName } from '../config.js';
import { mix32 } from '../../core/random.js';
import { EngineCore, type OptimizerStep, type StepArgs } from './core.js';
import { instantiateKernels } from './kernel-api.js';
import { layoutEngine, type EngineLayout } from './layout.js';
import { sampleLossGrad } from './loss.js';
import { planModel, type EnginePlan } from './plan.js';
import { ENGINE_WASM } from './wasm.generated.js';
import { modelPlatform } from '#model-platform';

/** Largest engine memory (bytes) tried; above it the caller falls back to TensorFlow.js. */
export const MAX_ENGINE_BYTES = 2 ** 31;

/** The threads that run a step together. */
export interface EngineTeam {
  /** Threads, the calling one included. */
  readonly threads: number;
  /** Runs one training step on every thread (images and labels already in memory). */
  step(args: StepArgs): Promise<void>;
  /**
   * Forward pass of images [0, m), split over the threads: inference (no dropout), or with
   * `dropout` the training forward's masks drawn from its seed (`resume`: see
   * `EngineCore.forward`).
   */
  forward(m: number, dropout?: DropoutPass): Promise<void>;
  /** Stops the worker threads. */
  close(): Promise<void>;
}

/** A forward pass with dropout on (Monte Carlo dropout). */
export interface DropoutPass {
  /** Seed of the masks (each image and stage mixes in its own index). */
  seed: number;
  /** Reuse the previous pass's activations up to the first dropout (same images in memory). */
  resume: boolean;
}

/** What a team factory receives. */
export interface TeamContext {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  layout: EngineLayout;
  /** The calling thread's core (thread 0). */
  core: EngineCore;
}

/** Starts the worker threads of a team of `threads` (Node); absent in browsers. */
export type EngineTeamFactory = (ctx: TeamContext) => Promise<EngineTeam>;

/**
 * A one-thread inference engine as a worker thread rebuilds it: the compiled module (ordinary
 * memory), the layout and the memory's bytes (weights, tables and all).
 */
export interface EngineSnapshot {
  module: WebAssembly.Module;
  layout: EngineLayout;
  bytes: Uint8Array;
}

/**
 * Worker threads that each hold a private copy of a one-thread inference engine (Node; absent
 * in browsers). Scoring on private memories outruns one engine whose threads share a memory and
 * meet after every batch: 1 to 10 % more images per second on two cores in paired runs
 * (docs/performance.md, "Scoring on private copies").
 */
export interface ScoringPool {
  /** Worker threads in the pool. */
  readonly workers: number;
  /** Gives every worker this engine state (after the weights changed). */
  load(snapshot: EngineSnapshot): Promise<void>;
  /** Output probabilities `[n, units]` of `n` images on worker `w`, in batches of the layout's. */
  forward(w: number, pixels: Float32Array, n: number): Promise<Float32Array>;
  /**
   * Resolves once the calling thread's event loop has delivered the workers' pending answers
   * (between two runs it scores itself, so that the workers get their next run in time).
   */
  settle(): Promise<void>;
  /** Stops the workers. */
  close(): Promise<void>;
}

/** Starts a {@link ScoringPool} of `workers` threads. */
export type ScoringPoolFactory = (
  workers: number,
  snapshot: EngineSnapshot,
) => Promise<ScoringPool>;

/** Threads the engine can use here: the CPU cores in Node, 1 in a browser. */
export function engineThreadsAvailable(): number {
  return modelPlatform.startEngineTeam === undefined ? 1 : modelPlatform.cores;
}

/** A team of one: the calling thread does everything. */
function soloTeam(core: EngineCore): EngineTeam {
  return {
    threads: 1,
    async step(args) {
      core.stepImages(args);
      core.update(args.m, args.optimizer);
    },
    async forward(m, dropout) {
      core.forward(0, m, dropout !== undefined, dropout?.seed ?? 0, dropout?.resume ?? false);
    },
    async close() {
      /* nothing to stop */
    },
  };
}

/** The SIMD instruction sets the engine has a build for. */
export type EngineSimd = 'relaxed' | 'baseline';

function engineBytes(variant: keyof typeof ENGINE_WASM): Uint8Array<ArrayBuffer> {
  const text = atob(ENGINE_WASM[variant]);
  const packed = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) packed[i] = text.charCodeAt(i);
  return inflateSync(packed) as Uint8Array<ArrayBuffer>;
}

let simd: EngineSimd | undefined;

/**
 * The engine build this runtime runs: `relaxed` (relaxed-SIMD fused multiply-add, in V8 11.4 and
 * later: Node 22+, current browsers) where the runtime validates it, else `baseline` (WebAssembly
 * SIMD, Node 20).
 */
export function engineSimd(): EngineSimd {
  simd ??= WebAssembly.validate(engineBytes('relaxed')) ? 'relaxed' : 'baseline';
  return simd;
}

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** The compiled engine module (`shared`: for a shared memory), compiled once per process. */
export function compileEngine(shared: boolean): Promise<WebAssembly.Module> {
  const relaxed = engineSimd() === 'relaxed';
  const variant = shared ? (relaxed ? 'sharedRelaxed' : 'shared') : relaxed ? 'relaxed' : 'plain';
  let p = modules.get(variant);
  if (p === undefined) {
    p = WebAssembly.compile(engineBytes(variant));
    modules.set(variant, p);
  }
  return p;
}

/** Float32 constants of each optimizer, and its step counter state, as TensorFlow.js keeps them. */
class OptimizerConstants {
  private readonly f = Math.fround;
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    readonly name: OptimizerName,
    /** The rate of the next steps (a schedule changes it between epochs). */
    public learningRate: number,
  ) {
    this.accBeta1 = this.f(0.9);
    this.accBeta2 = this.f(0.999);
  }

  /** The constants of the next step (and advances the step counters). */
  next(): OptimizerStep {
    const f = this.f;
    const eps = f(1e-7);
    const lr = this.learningRate;
    switch (this.name) {
      case 'sgd':
        return { name: 'sgd', args: [f(-lr)] };
      case 'adam': {
        const args = [
          f(0.9),
          f(1 - 0.9),
          f(0.999),
          f(1 - 0.999),
          f(1 - this.accBeta1),
          f(1 - this.accBeta2),
          eps,
          f(-lr),
        ];
        this.accBeta1 = f(this.accBeta1 * f(0.9));
        this.accBeta2 = f(this.accBeta2 * f(0.999));
        return { name: 'adam', args };
      }
      case 'rmsprop':
        return { name: 'rmsprop', args: [f(0.9), f(1 - 0.9), 0, f(lr), eps] };
      case 'adagrad':
        return { name: 'adagrad', args: [eps, f(-lr)] };
      case 'adadelta':
        return { name: 'adadelta', args: [f(0.95), f(1 - 0.95), eps, f(-lr)] };
      case 'adamax': {
        const lrc = f(f(-lr) / f(1 - this.accBeta1));
        this.accBeta1 = f(this.accBeta1 * f(0.9));
        return { name: 'adamax', args: [f(0.9), f(1 - 0.9), f(0.999), eps, lrc] };
      }
    }
  }
}

/** Options of {@link TrainingEngine.create}. */
export interface EngineOptions {
  /** Threads (capped by {@link engineThreadsAvailable}). */
  threads: number;
  /** Most images per step or forward call. */
  maxBatch: number;
  /** Optimizer and learning rate of training steps. */
  optimizer: OptimizerName;
  learningRate: number;
  /** Seed of the dropout masks (each step draws new ones from it). */
  seed: number;
}

/** A model's weights in engine memory, with the threads that work on them. */
export class TrainingEngine {
  private readonly f32: Float32Array;
  private readonly i32: Int32Array;
  private readonly opt: OptimizerConstants;
  private stepCount = 0;
  private closed = false;
  private readonly seed: number;

  private constructor(
    readonly plan: EnginePlan,
    private readonly L: EngineLayout,
    private readonly memory: WebAssembly.Memory,
    private readonly module: WebAssembly.Module,
    private readonly core: EngineCore,
    private readonly team: EngineTeam,
    options: EngineOptions,
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.opt = new OptimizerConstants(options.optimizer, options.learningRate);
    this.seed = options.seed;
    if (options.optimizer === 'adagrad') {
      // tf.train.adagrad starts its accumulators at 0.1 (initialAccumulatorValue).
      this.f32.fill(0.1, L.state / 4, L.state / 4 + L.paramCount);
    }
  }

  /**
   * An engine for `model`, or the reason it cannot run it (then train with TensorFlow.js).
   * The model's current weights are copied in.
   */
  static async create(
    model: tf.LayersModel,
    options: EngineOptions,
  ): Promise<TrainingEngine | string> {
    const plan = planModel(model);
    if (typeof plan === 'string') return plan;
    const wanted = Math.max(1, Math.min(options.threads, engineThreadsAvailable()));
    const threads = Math.max(1, Math.min(wanted, options.maxBatch));
    const layout = layoutEngine(plan, threads, options.maxBatch, options.optimizer);
    if (layout.bytes > MAX_ENGINE_BYTES) {
      return `the engine would need ${(layout.bytes / 2 ** 20).toFixed(0)} MB of memory`;
    }
    const shared = threads > 1;
    // The module asks for at least two pages (its linker's minimum), whatever the plan needs.
    const pages = Math.max(2, layout.bytes / 65536);
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
    } catch (e) {
      return `no ${(layout.bytes / 2 ** 20).toFixed(0)} MB WebAssembly memory (${(e as Error).message})`;
    }
    const module = await compileEngine(shared);
    const core = new EngineCore(instantiateKernels(module, memory), memory, layout, 0);
    core.writeTables();
    const team =
      threads > 1 && modelPlatform.startEngineTeam !== undefined
        ? await modelPlatform.startEngineTeam({ module, memory, layout, core })
        : soloTeam(core);
    const engine = new TrainingEngine(plan, layout, memory, module, core, team, options);
    engine.readWeights(model);
    return engine;
  }

  /** Threads working on each step. */
  get threads(): number {
    return this.team.threads;
  }

  /** The SIMD build in use (see {@link engineSimd}). */
  get simd(): EngineSimd {
    return engineSimd();
  }

  /** Visits every weight array: tfjs variable, its shape, and the copy's index mapping. */
  private mapWeights(
    model: tf.LayersModel,
    visit: (v: tf.LayerVariable, index: (j: number) => number) => void,
  ): void {
    const { plan, L } = this;
    plan.convs.forEach((c, l) => {
      const [kernel, bias] = model.layers[c.layer].trainableWeights;
      const base = L.convW[l];
      // tfjs [k, k, ciReal, co] -> engine [k, k, ci, cop]
      visit(kernel, (j) => {
        const co = j % c.co;
        const rest = (j - co) / c.co;
        const ci = rest % c.ciReal;
        const tap = (rest - ci) / c.ciReal;
        return base + (tap * c.ci + ci) * c.cop + co;
      });
      visit(bias, (j) => L.convB[l] + j);
    });
    plan.dense.forEach((d, jd) => {
      const [kernel, bias] = model.layers[d.layer].trainableWeights;
      const base = L.denseW[jd];
      const last = plan.convs[plan.convs.length - 1];
      // Rows of the first dense layer follow the padded channel layout of the last conv block.
      const row =
        jd === 0
          ? (r: number): number => {
              const ch = r % last.co;
              return ((r - ch) / last.co) * last.cop + ch;
            }
          : (r: number): number => r;
      visit(kernel, (j) => {
        const u = j % d.units;
        return base + row((j - u) / d.units) * d.up + u;
      });
      visit(bias, (j) => L.denseB[jd] + j);
    });
  }

  /** Copies `model`'s weights into the engine. */
  readWeights(model: tf.LayersModel): void {
    const p = this.L.params / 4;
    this.mapWeights(model, (v, index) => {
      const data = v.read().dataSync() as Float32Array;
      for (let j = 0; j < data.length; j++) this.f32[p + index(j)] = data[j];
    });
  }

  /**
   * This engine's state for a {@link ScoringPool} worker: a copy of its memory with the module and
   * layout. Only a one-thread engine on an ordinary memory gives one.
   */
  snapshot(): EngineSnapshot {
    if (this.team.threads !== 1 || this.memory.buffer instanceof SharedArrayBuffer) {
      throw new ModelError('only a one-thread engine can be copied to a scoring worker');
    }
    return {
      module: this.module,
      layout: this.L,
      bytes: new Uint8Array(this.memory.buffer).slice(),
    };
  }

  /** Copies the engine's weights into `model`'s variables. */
  writeWeights(model: tf.LayersModel): void {
    const p = this.L.params / 4;
    this.mapWeights(model, (v, index) => {
      const data = new Float32Array(v.shape.reduce((a: number, b) => a * (b ?? 1), 1));
      for (let j = 0; j < data.length; j++) data[j] = this.f32[p + index(j)];
      const t = tf.tensor(data, v.shape as number[]);
      v.write(t);
      t.dispose();
    });
  }

  private check(m: number): void {
    if (this.closed) throw new ModelError('the training engine was closed');
    if (!(m >= 1 && m <= this.L.maxBatch)) {
      throw new ModelError(`engine batch of ${m} images (at most ${this.L.maxBatch})`);
    }
  }

  /** Copies images (`m` whole inputs) into the batch slots. */
  private putImages(x: Float32Array, m: number): void {
    const [h, w, c] = this.plan.input;
    this.f32.set(x.subarray(0, m * h * w * c), this.L.x / 4);
  }

  /** Sets the learning rate of the following steps (a schedule's epoch rate). */
  setLearningRate(learningRate: number): void {
    this.opt.learningRate = learningRate;
  }

  /**
   * One optimisation step on `m` images: loss = sum(weights_i * loss_i) / divisor. Returns the
   * weighted loss sum and the number classified right.
   */
  async step(
    x: Float32Array,
    labels: Int32Array,
    weights: Float32Array,
    loss: LossName,
    divisor = labels.length,
  ): Promise<{ loss: number; correct: number }> {
    const m = labels.length;
    this.check(m);
    this.putImages(x, m);
    this.i32.set(labels, this.L.labels / 4);
    this.f32.set(weights, this.L.weights / 4);
    this.stepCount++;
    await this.team.step({
      m,
      divisor,
      loss,
      seed: mix32(this.seed, this.stepCount),
      optimizer: this.opt.next(),
    });
    return this.core.stats(m);
  }

  /** Output probabilities `[n, units]` of `n` images (inference: no dropout). */
  async forward(x: Float32Array, n: number): Promise<Float32Array> {
    const units = this.plan.dense[this.plan.dense.length - 1].units;
    const [h, w, c] = this.plan.input;
    const per = h * w * c;
    const out = new Float32Array(n * units);
    for (let s = 0; s < n; s += this.L.maxBatch) {
      const m = Math.min(this.L.maxBatch, n - s);
      this.check(m);
      this.putImages(x.subarray(s * per), m);
      await this.team.forward(m);
      this.core.probabilities(0, m, out.subarray(s * units, (s + m) * units));
    }
    return out;
  }

  /**
   * Monte Carlo dropout: output probabilities of `n` images under `samples` draws of the
   * model's dropout masks, `[samples, n, units]`. Per batch of at most `maxBatch` images the
   * layers before the first dropout run once and only the rest runs again for each draw, so
   * a draw costs a fraction of a forward pass for the `createModel` family (whose first
   * dropout follows the last convolution). Masks come from `seed`, the draw, the batch's first
   * image and each image's place in its batch: one seed and `maxBatch` give one result,
   * whatever the thread count. A model without dropout gives `samples` equal copies.
   */
  async forwardDropout(
    x: Float32Array,
    n: number,
    samples: number,
    seed: number,
  ): Promise<Float32Array> {
    const units = this.plan.dense[this.plan.dense.length - 1].units;
    const [h, w, c] = this.plan.input;
    const per = h * w * c;
    const out = new Float32Array(samples * n * units);
    for (let s = 0; s < n; s += this.L.maxBatch) {
      const m = Math.min(this.L.maxBatch, n - s);
      this.check(m);
      this.putImages(x.subarray(s * per), m);
      for (let k = 0; k < samples; k++) {
        await this.team.forward(m, { seed: mix32(mix32(seed, k), s), resume: k > 0 });
        const at = (k * n + s) * units;
        this.core.probabilities(0, m, out.subarray(at, at + m * units));
      }
    }
    return out;
  }

  /** Mean loss and accuracy over labelled images (inference, no class weights). */
  async score(
    x: Float32Array,
    labels: Int32Array,
    loss: LossName,
  ): Promise<{ loss: number; acc: number }> {
    const n = labels.length;
    const [h, w, c] = this.plan.input;
    const per = h * w * c;
    const units = this.plan.dense[this.plan.dense.length - 1].units;
    const dz = new Float32Array(units);
    const p = new Float64Array(units);
    const dp = new Float64Array(units);
    const y = new Float64Array(units);
    let total = 0;
    let hits = 0;
    for (let s = 0; s < n; s += this.L.maxBatch) {
      const m = Math.min(this.L.maxBatch, n - s);
      this.check(m);
      this.putImages(x.subarray(s * per), m);
      await this.team.forward(m);
      for (let i = 0; i < m; i++) {
        const r = sampleLossGrad(
          loss,
          this.plan.output,
          this.core.logits(i),
          labels[s + i],
          1,
          dz,
          p,
          dp,
          y,
        );
        total += r.loss;
        hits += r.correct;
      }
    }
    return { loss: total / n, acc: hits / n };
  }

  /** Stops the engine's worker threads; the engine cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.team.close();
  }
}
