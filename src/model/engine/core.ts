/**
 * The engine's memory layout and the work one thread does in a training step or a forward pass.
 * Every thread (the calling one and, in Node, workers) holds an {@link EngineCore} over the same
 * memory; a step is two phases separated by a barrier:
 *
 * 1. each thread runs forward and backward for its share of the batch's images, adding the
 *    convolution gradients into its own partial buffer and leaving per-image activations and
 *    dense-layer gradients in shared slots;
 * 2. each thread takes a share of the parameters, forms their gradient (summing the partial
 *    buffers, or, for dense kernels, computing X^T dY chunk by chunk so the 4.3M-value gradient
 *    of the default network's large layer never exists whole) and applies the optimizer to it.
 *
 * Browser-safe and free of TensorFlow.js (worker threads load only this, the plan and the loss).
 */
import type { LossName, OptimizerName } from '../config.js';
import { mix32 } from '../../core/random.js';
import { sampleLossGrad, activate } from './loss.js';
import type { ConvStage, EnginePlan } from './plan.js';

/** The kernels `engine.c` exports (pointers are byte offsets into the shared memory). */
export interface EngineKernels {
  conv_fwd(
    x: number,
    H: number,
    W: number,
    Ci: number,
    w: number,
    K: number,
    Co: number,
    bias: number,
    out: number,
    oh0: number,
    oh1: number,
  ): void;
  conv_flip(w: number, K: number, Ci: number, Co: number, wt: number): void;
  wino_filter(w: number, Ci: number, Co: number, u: number): void;
  conv3_wino_dw(
    x: number,
    H: number,
    W: number,
    Ci: number,
    dy: number,
    rows: number,
    cols: number,
    rs: number,
    Co: number,
    S: number,
    V: number,
    M: number,
  ): void;
  wino_dw_out(S: number, Ci: number, Co: number, dw: number): void;
  conv3_wino4_dw(
    x: number,
    H: number,
    W: number,
    Ci: number,
    dy: number,
    rows: number,
    cols: number,
    rs: number,
    Co: number,
    S: number,
    V: number,
    M: number,
  ): void;
  wino4_dw_out(S: number, Ci: number, Co: number, dw: number): void;
  softmax_ch(x: number, pixels: number, C: number, creal: number): void;
  softmax_bwd(
    g: number,
    rows: number,
    cols: number,
    rs: number,
    S: number,
    srs: number,
    C: number,
    db: number,
  ): void;
  conv3_wino4(
    x: number,
    H: number,
    W: number,
    Ci: number,
    u: number,
    Co: number,
    bias: number,
    out: number,
    oh1: number,
    V: number,
    M: number,
  ): void;
  conv3_wino(
    x: number,
    H: number,
    W: number,
    Ci: number,
    u: number,
    Co: number,
    bias: number,
    out: number,
    oh1: number,
    V: number,
    M: number,
  ): void;
  conv1_pool(
    x: number,
    H: number,
    W: number,
    w: number,
    K: number,
    Co: number,
    bias: number,
    P: number,
    relu: number,
    out: number,
    band: number,
    idx: number,
  ): void;
  wino4_filter(w: number, Ci: number, Co: number, u: number): void;
  conv3_wino4_pool(
    x: number,
    H: number,
    W: number,
    Ci: number,
    u: number,
    Co: number,
    bias: number,
    P: number,
    relu: number,
    out: number,
    V: number,
    M: number,
  ): void;
  pool_fwd(
    conv: number,
    OH: number,
    OW: number,
    C: number,
    P: number,
    relu: number,
    a: number,
    idx: number,
  ): void;
  pool_bwd(
    da: number,
    a: number,
    idx: number,
    PH: number,
    PW: number,
    C: number,
    P: number,
    relu: number,
    dpre: number,
    rs: number,
    db: number,
  ): void;
  conv_dw(
    x: number,
    W: number,
    Ci: number,
    dy: number,
    rows: number,
    cols: number,
    rs: number,
    Co: number,
    off: number,
    Rp: number,
    dw: number,
    band: number,
  ): void;
  dense_fwd(
    X: number,
    ldx: number,
    m: number,
    K: number,
    W: number,
    U: number,
    b: number,
    out: number,
    relu: number,
  ): void;
  dense_bwd_x(
    dY: number,
    m: number,
    U: number,
    W: number,
    K: number,
    dX: number,
    ldx: number,
  ): void;
  dense_grad(
    X: number,
    ldx: number,
    dY: number,
    m: number,
    U: number,
    k0: number,
    k1: number,
    g: number,
  ): void;
  col_sum(dY: number, m: number, U: number, g: number): void;
  relu_bwd(g: number, y: number, n: number): void;
  zero(p: number, n: number): void;
  sum_parts(src: number, stride: number, T: number, n: number, g: number): void;
  dropout(x: number, n: number, seed: number, threshold: number, scale: number, out: number): void;
  opt_sgd(w: number, g: number, n: number, neglr: number): void;
  opt_adam(
    w: number,
    g: number,
    m: number,
    v: number,
    n: number,
    b1: number,
    omb1: number,
    b2: number,
    omb2: number,
    c1: number,
    c2: number,
    eps: number,
    neglr: number,
  ): void;
  opt_rmsprop(
    w: number,
    g: number,
    ms: number,
    mom: number,
    n: number,
    decay: number,
    omdecay: number,
    momentum: number,
    lr: number,
    eps: number,
  ): void;
  opt_adagrad(w: number, g: number, acc: number, n: number, eps: number, neglr: number): void;
  opt_adadelta(
    w: number,
    g: number,
    ag: number,
    au: number,
    n: number,
    rho: number,
    omrho: number,
    eps: number,
    neglr: number,
  ): void;
  opt_adamax(
    w: number,
    g: number,
    m: number,
    u: number,
    n: number,
    b1: number,
    omb1: number,
    b2: number,
    eps: number,
    lrc: number,
  ): void;
}

/** Instantiates the engine module on `memory`. */
export function instantiateKernels(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): EngineKernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as EngineKernels;
}

/** Optimizer state arrays per parameter (moments, accumulators). */
export function optimizerSlots(name: OptimizerName): number {
  return name === 'sgd' ? 0 : name === 'adagrad' ? 1 : 2;
}

/** Rows of a dense kernel whose gradient one update work item forms at a time. */
const DENSE_CHUNK_ROWS = 64;
/** Tiles per band of the Winograd kernels (`WINO_BAND` in engine.c). */
const WINO_BAND = 16;
/** Output rows per band of the filter-gradient kernel (keeps the band's rows in cache). */
const DW_BAND = 8;

const align = (n: number): number => Math.ceil(n / 64) * 64;

/** One unit of update-phase work: form the gradient of a parameter range, apply the optimizer. */
export type UpdateItem =
  | { kind: 'parts'; param: number; part: number; count: number }
  | { kind: 'dense'; layer: number; k0: number; k1: number }
  | { kind: 'bias'; layer: number };

/** Byte offsets of everything in the engine's memory (plain data, sent to worker threads). */
export interface EngineLayout {
  plan: EnginePlan;
  threads: number;
  maxBatch: number;
  slots: number;
  /** Total bytes, a multiple of 64 KiB. */
  bytes: number;
  /** Int32 control words of the barrier (arrival count, generation). */
  ctl: number;
  /** Float64 per image: loss, correct. */
  stats: number;
  /** Int32 class index and float32 loss weight per image of the current batch. */
  labels: number;
  weights: number;
  /** Parameters (float32), then `slots` optimizer arrays of the same size. */
  params: number;
  paramCount: number;
  state: number;
  /** Float offsets within the parameters. */
  convW: number[];
  convB: number[];
  denseW: number[];
  denseB: number[];
  /** Per-thread convolution gradient partials: `partCount` floats per thread. */
  parts: number;
  partCount: number;
  partW: number[];
  partB: number[];
  /** Int32 row-offset tables of conv_dw, and their padded row counts. */
  offTables: number[];
  rp: number[];
  /** Per-image arrays `[maxBatch, size]` (byte offsets of row 0). */
  x: number;
  convA: number[];
  convIdx: number[];
  convD: number[];
  /** Softmax blocks: the activation's output, `[rows pooled, ow, cop]` per image (0 otherwise). */
  convS: number[];
  denseH: number[];
  denseD: number[];
  densePre: number[];
  dflat: number;
  /** Per-thread scratch: thread t's block starts at `scratch + t * scratchBytes`. */
  scratch: number;
  scratchBytes: number;
  sConvOut: number;
  sWt: number[];
  sPad: number[];
  sDx: number;
  sGrad: number;
  sDiscard: number;
  /**
   * Winograd-transformed filters per conv block, 0 if unused: F(2x2, 3x3) for a training step's
   * forward pass (16 x ci x cop: its rounding stays close enough to TensorFlow.js's that the
   * pooling picks the same maxima), F(4x4, 3x3) for the input gradient (36 x cop x ci).
   */
  sU: number[];
  sUt: number[];
  /** F(4x4, 3x3)-transformed filters per conv block for inference (36 x ci x cop), 0 if unused. */
  sU4: number[];
  /** Winograd sums of the filter gradient per conv block (16 x ci x cop floats), 0 if unused. */
  sS: number[];
  /**
   * Inference scratch for the outputs of conv blocks that nothing reads after the pass (those
   * before the last block and before the first dropout): block l writes `sAct[l % 2]`.
   */
  sAct: [number, number];
  /** Winograd scratch (transformed input tiles and products of one row of tiles). */
  sV: number;
  sM: number;
  /** The update phase's work, and each thread's share (indices into `items`). */
  items: UpdateItem[];
  shares: [number, number][];
}

/**
 * Whether a convolution with kernel `k` over `ci` input channels runs as Winograd F(2x2, 3x3):
 * 3x3 kernels over whole vectors of input channels. (The first layer of a one-channel image keeps
 * the direct kernel; it costs little there.)
 */
export function winograd(k: number, ci: number): boolean {
  return k === 3 && ci % 4 === 0;
}

/**
 * Whether inference runs conv block `c` as Winograd F(4x4, 3x3) with the bias, activation and
 * pooling in the same pass (`conv3_wino4_pool`): a Winograd convolution with ReLU or no
 * activation whose pooling windows fit in a 4x4 output tile.
 */
export function winograd4(c: ConvStage): boolean {
  return winograd(c.k, c.ci) && !c.softmax && (c.p === 1 || c.p === 2 || c.p === 4);
}

/**
 * Whether a Winograd block's filter gradient runs as F(3x3, 4x4) (`conv3_wino4_dw`): when the
 * pooled region holds at least one band of 4x4 gradient tiles; smaller layers keep F(3x3, 2x2),
 * whose sums are smaller.
 */
export function winograd4dw(c: ConvStage): boolean {
  return (
    winograd(c.k, c.ci) && Math.ceil((c.ph * c.p) / 4) * Math.ceil((c.pw * c.p) / 4) >= WINO_BAND
  );
}

/**
 * Whether inference runs conv block `c` with the one-channel kernel (`conv1_pool`: the taps as
 * the inner loop, bias, activation and pooling in the same pass).
 */
export function oneChannel(c: ConvStage): boolean {
  return c.ci === 1 && !c.softmax && c.ow >= 4;
}

/** Values of a conv block's (pooled) output per image. */
const convSize = (plan: EnginePlan, l: number): number => {
  const c = plan.convs[l];
  return c.ph * c.pw * c.cop;
};

/** Lays out memory for `plan`, `threads` threads, batches of up to `maxBatch` images. */
export function layoutEngine(
  plan: EnginePlan,
  threads: number,
  maxBatch: number,
  optimizer: OptimizerName,
): EngineLayout {
  let at = 64;
  const take = (bytes: number): number => {
    const p = at;
    at = align(at + bytes);
    return p;
  };
  const ctl = take(64);
  const stats = take(maxBatch * 16);
  const labels = take(maxBatch * 4);
  const weights = take(maxBatch * 4);
  // Parameters: conv W, b per block, then dense W, b per layer (floats).
  let pc = 0;
  const convW: number[] = [];
  const convB: number[] = [];
  const denseW: number[] = [];
  const denseB: number[] = [];
  const alignF = (n: number): number => Math.ceil(n / 16) * 16;
  for (const c of plan.convs) {
    convW.push(pc);
    pc = alignF(pc + c.k * c.k * c.ci * c.cop);
    convB.push(pc);
    pc = alignF(pc + c.cop);
  }
  for (const d of plan.dense) {
    denseW.push(pc);
    pc = alignF(pc + d.inputs * d.up);
    denseB.push(pc);
    pc = alignF(pc + d.up);
  }
  const slots = optimizerSlots(optimizer);
  const params = take(pc * 4);
  const state = take(pc * 4 * slots);
  // Partials: conv dW with rows padded to a multiple of 4, then db.
  let qc = 0;
  const partW: number[] = [];
  const partB: number[] = [];
  const rp: number[] = [];
  for (const c of plan.convs) {
    const r = Math.ceil((c.k * c.k * c.ci) / 4) * 4;
    rp.push(r);
    partW.push(qc);
    qc = alignF(qc + r * c.cop);
    partB.push(qc);
    qc = alignF(qc + c.cop);
  }
  const parts = take(qc * 4 * threads);
  const offTables = plan.convs.map((_, l) => take(rp[l] * 4));
  const flat = plan.dense[0].inputs;
  const [h0, w0, c0] = plan.input;
  const x = take(maxBatch * h0 * w0 * c0 * 4);
  const convA = plan.convs.map((_, l) => take(maxBatch * convSize(plan, l) * 4));
  const convIdx = plan.convs.map((_, l) => take(maxBatch * convSize(plan, l)));
  const convD = plan.convs.map((c, l) =>
    c.dropout > 0 ? take(maxBatch * convSize(plan, l) * 4) : 0,
  );
  const convS = plan.convs.map((c) =>
    c.softmax ? take(maxBatch * c.ph * c.p * c.ow * c.cop * 4) : 0,
  );
  const denseH = plan.dense.map((d) => take(maxBatch * d.up * 4));
  const denseD = plan.dense.map((d) => (d.dropout > 0 ? take(maxBatch * d.up * 4) : 0));
  const densePre = plan.dense.map((d) => take(maxBatch * d.up * 4));
  const dflat = take(maxBatch * flat * 4);
  // Per-thread scratch.
  let s = 0;
  const sTake = (bytes: number): number => {
    const p = s;
    s = align(s + bytes);
    return p;
  };
  const sConvOut = sTake(Math.max(...plan.convs.map((c) => c.oh * c.ow * c.cop)) * 4);
  const sWt = plan.convs.map((c, l) => (l === 0 ? 0 : sTake(c.k * c.k * c.cop * c.ci * 4)));
  const sPad = plan.convs.map((c, l) =>
    l === 0
      ? sTake(c.oh * c.ow * c.cop * 4)
      : sTake((c.oh + 2 * (c.k - 1)) * (c.ow + 2 * (c.k - 1)) * c.cop * 4),
  );
  const sDx = sTake(Math.max(0, ...plan.convs.slice(1).map((c) => c.h * c.w * c.ci)) * 4);
  const gradFloats = Math.max(
    ...plan.convs.map((c) => c.k * c.k * c.ci * c.cop),
    ...plan.dense.map((d) => DENSE_CHUNK_ROWS * d.up),
  );
  const sGrad = sTake(gradFloats * 4);
  // Where a softmax block's pooling gradient puts its (unused) bias sums.
  const sDiscard = sTake(Math.max(...plan.convs.map((c) => c.cop)) * 4);
  const sU = plan.convs.map((c) => (winograd(c.k, c.ci) ? sTake(16 * c.ci * c.cop * 4) : 0));
  const sUt = plan.convs.map((c, l) =>
    l > 0 && winograd(c.k, c.cop) ? sTake(36 * c.cop * c.ci * 4) : 0,
  );
  // Winograd scratch for a band of WINO_BAND tiles: transformed inputs (V) and products (M),
  // rows one cache line apart; the F(4x4, 3x3) kernels keep 96 floats more after M. Forward
  // passes read ci and write cop channels (F(2x2, 3x3) in training, F(4x4, 3x3) otherwise), the
  // filter gradient the same, the input gradient cop and ci.
  const band = (positions: number, ch: number): number => positions * (WINO_BAND * ch + 16);
  const vFloats = Math.max(
    0,
    ...plan.convs.map((c) => (winograd(c.k, c.ci) ? band(36, c.ci) : 0)),
    ...plan.convs.map((c, l) => (l > 0 && winograd(c.k, c.cop) ? band(36, c.cop) : 0)),
    // F(3x3, 2x2) filter gradients: one row of 2x2 tiles.
    ...plan.convs.map((c) => (winograd(c.k, c.ci) ? 16 * Math.ceil((c.pw * c.p) / 2) * c.ci : 0)),
  );
  const mFloats = Math.max(
    0,
    ...plan.convs.map((c) => (winograd(c.k, c.ci) ? band(36, c.cop) + 96 : 0)),
    ...plan.convs.map((c, l) => (l > 0 && winograd(c.k, c.cop) ? band(36, c.ci) + 96 : 0)),
    ...plan.convs.map((c) => (winograd(c.k, c.ci) ? 16 * Math.ceil((c.pw * c.p) / 2) * c.cop : 0)),
  );
  const sS = plan.convs.map((c) =>
    winograd(c.k, c.ci) ? sTake((winograd4dw(c) ? 36 : 16) * c.ci * c.cop * 4) : 0,
  );
  const sU4 = plan.convs.map((c) => (winograd4(c) ? sTake(36 * c.ci * c.cop * 4) : 0));
  const actFloats = Math.max(0, ...plan.convs.slice(0, -1).map((_, l) => convSize(plan, l)));
  const sAct: [number, number] = [sTake(actFloats * 4), sTake(actFloats * 4)];
  const sV = sTake(vFloats * 4);
  const sM = sTake(mFloats * 4);
  const scratchBytes = align(s);
  const scratch = take(scratchBytes * threads);
  const bytes = Math.ceil(at / 65536) * 65536;

  // Update work, split into shares of about equal parameter counts.
  const items: UpdateItem[] = [];
  const cost: number[] = [];
  plan.convs.forEach((c, l) => {
    items.push({ kind: 'parts', param: convW[l], part: partW[l], count: c.k * c.k * c.ci * c.cop });
    cost.push(c.k * c.k * c.ci * c.cop);
    items.push({ kind: 'parts', param: convB[l], part: partB[l], count: c.cop });
    cost.push(c.cop);
  });
  plan.dense.forEach((d, j) => {
    for (let k0 = 0; k0 < d.inputs; k0 += DENSE_CHUNK_ROWS) {
      items.push({ kind: 'dense', layer: j, k0, k1: Math.min(d.inputs, k0 + DENSE_CHUNK_ROWS) });
      cost.push(Math.min(DENSE_CHUNK_ROWS, d.inputs - k0) * d.up);
    }
    items.push({ kind: 'bias', layer: j });
    cost.push(d.up);
  });
  const total = cost.reduce((a, b) => a + b, 0);
  const shares: [number, number][] = [];
  let acc = 0;
  let start = 0;
  for (let t = 0; t < threads; t++) {
    let end = start;
    const goal = ((t + 1) * total) / threads;
    while (end < items.length && (t === threads - 1 || acc + cost[end] / 2 <= goal)) {
      acc += cost[end];
      end++;
    }
    shares.push([start, end]);
    start = end;
  }
  return {
    plan,
    threads,
    maxBatch,
    slots,
    bytes,
    ctl,
    stats,
    labels,
    weights,
    params,
    paramCount: pc,
    state,
    convW,
    convB,
    denseW,
    denseB,
    parts,
    partCount: qc,
    partW,
    partB,
    offTables,
    rp,
    x,
    convA,
    convIdx,
    convD,
    convS,
    denseH,
    denseD,
    densePre,
    dflat,
    scratch,
    scratchBytes,
    sConvOut,
    sWt,
    sPad,
    sDx,
    sGrad,
    sDiscard,
    sU,
    sUt,
    sU4,
    sS,
    sAct,
    sV,
    sM,
    items,
    shares,
  };
}

/** Optimizer constants of one step, float32-rounded as TensorFlow.js's scalars are. */
export interface OptimizerStep {
  name: OptimizerName;
  /** Float32 constants in the order the kernel takes them after its arrays and count. */
  args: number[];
}

/** What a thread needs to run its part of a training step. */
export interface StepArgs {
  /** Images in the batch. */
  m: number;
  /** Loss-gradient divisor (the batch size, Keras's mean reduction). */
  divisor: number;
  loss: LossName;
  /** Seed of this step's dropout masks. */
  seed: number;
  optimizer: OptimizerStep;
}

// 32-bit mixing of two integers (for dropout seeds) lives in core/random.ts; re-exported for the
// engine's importers.
export { mix32 };

/** The images of the batch thread `t` of `T` works on. */
export function imageShare(m: number, t: number, T: number): [number, number] {
  return [Math.round((t * m) / T), Math.round(((t + 1) * m) / T)];
}

/** One thread's view of the engine memory and the work it does. */
export class EngineCore {
  private readonly f32: Float32Array;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  private readonly plan: EnginePlan;
  private readonly base: number;
  private readonly zp: Float64Array;
  private readonly zdp: Float64Array;
  private readonly zy: Float64Array;
  private readonly dzBuf: Float32Array;

  /**
   * @param k - the kernels, instantiated on the engine memory
   * @param memory - the engine memory
   * @param L - its layout
   * @param tid - this thread's index (its scratch and partial buffers)
   */
  constructor(
    private readonly k: EngineKernels,
    memory: WebAssembly.Memory,
    private readonly L: EngineLayout,
    private readonly tid: number,
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.plan = L.plan;
    this.base = L.scratch + tid * L.scratchBytes;
    const u = this.plan.dense[this.plan.dense.length - 1].units;
    this.zp = new Float64Array(u);
    this.zdp = new Float64Array(u);
    this.zy = new Float64Array(u);
    this.dzBuf = new Float32Array(u);
  }

  /** Byte address of parameter float offset `f`. */
  private param(f: number): number {
    return this.L.params + f * 4;
  }

  /**
   * Input (byte address) of conv stage `l` for image `i`: after the previous stage's dropout
   * when `dropped` (a pass with dropout), else its activations themselves.
   */
  private convInput(l: number, i: number, dropped = true): number {
    const L = this.L;
    if (l === 0) {
      const [h, w, c] = this.plan.input;
      return L.x + i * h * w * c * 4;
    }
    const prev = this.plan.convs[l - 1];
    const size = prev.ph * prev.pw * prev.cop * 4;
    return (dropped && prev.dropout > 0 ? L.convD[l - 1] : L.convA[l - 1]) + i * size;
  }

  /**
   * Input rows (byte address of row 0, and row length in floats) of dense layer `j`, after the
   * previous stage's dropout when `dropped`.
   */
  private denseInput(j: number, dropped = true): [number, number] {
    const L = this.L;
    const d = this.plan.dense[j];
    if (j === 0) {
      const last = this.plan.convs.length - 1;
      const c = this.plan.convs[last];
      return [dropped && c.dropout > 0 ? L.convD[last] : L.convA[last], d.inputs];
    }
    const prev = this.plan.dense[j - 1];
    return [dropped && prev.dropout > 0 ? L.denseD[j - 1] : L.denseH[j - 1], d.inputs];
  }

  /** Writes the conv_dw row-offset tables (once, by one thread). */
  writeTables(): void {
    this.plan.convs.forEach((c, l) => {
      const t = this.L.offTables[l] / 4;
      for (let r = 0; r < this.L.rp[l]; r++) {
        let off = 0;
        if (r < c.k * c.k * c.ci) {
          const ci = r % c.ci;
          const tap = (r - ci) / c.ci;
          const kw = tap % c.k;
          const kh = (tap - kw) / c.k;
          off = (kh * c.w + kw) * c.ci + ci;
        }
        this.i32[t + r] = off;
      }
    });
  }

  /** Dropout seed of stage `s` (conv blocks, then dense layers) for batch image `i`. */
  private dropSeed(seed: number, s: number, i: number): number {
    return mix32(mix32(seed, s), i);
  }

  private dropout(rate: number, x: number, n: number, seed: number, out: number): void {
    const keep = Math.fround(1 - rate);
    const scale = Math.fround(1 / keep);
    const threshold = Math.ceil(rate * 16777216);
    this.k.dropout(x, n, seed | 0, threshold, scale, out);
  }

  /**
   * Convolution, activation and pooling of conv stage `l` for image `i`, into `a`. `keep`: a
   * training step's forward pass, which keeps the pooling indices for the backward pass; else
   * the inference kernels run where they apply. `dropped`: the input is the previous stage's
   * dropout output. `input`: where the input is, when not in the previous stage's slot.
   */
  private convBlock(
    c: ConvStage,
    l: number,
    i: number,
    scratchOut: number,
    a: number,
    keep: boolean,
    dropped: boolean,
    input?: number,
  ): void {
    const { k, L } = this;
    const size = c.ph * c.pw * c.cop;
    const x = input ?? this.convInput(l, i, dropped);
    const bias = this.param(L.convB[l]);
    if (!keep && L.sU4[l] !== 0) {
      const [V, M] = [this.base + L.sV, this.base + L.sM];
      const u = this.base + L.sU4[l];
      k.conv3_wino4_pool(x, c.h, c.w, c.ci, u, c.cop, bias, c.p, c.relu ? 1 : 0, a, V, M);
      return;
    }
    if (oneChannel(c) && (!keep || c.p === 2)) {
      // With pool 2 it gives conv_fwd's and pool_fwd's results, pooling indices included.
      const w = this.param(L.convW[l]);
      const idx = keep ? L.convIdx[l] + i * size : 0;
      k.conv1_pool(x, c.h, c.w, w, c.k, c.cop, bias, c.p, c.relu ? 1 : 0, a, scratchOut, idx);
      return;
    }
    const rows = c.ph * c.p;
    // A softmax block keeps its activation's output for the backward pass.
    const out = c.softmax ? L.convS[l] + i * rows * c.ow * c.cop * 4 : scratchOut;
    if (L.sU[l] !== 0) {
      const u = this.base + L.sU[l];
      k.conv3_wino(
        x,
        c.h,
        c.w,
        c.ci,
        u,
        c.cop,
        bias,
        out,
        rows,
        this.base + L.sV,
        this.base + L.sM,
      );
    } else {
      k.conv_fwd(x, c.h, c.w, c.ci, this.param(L.convW[l]), c.k, c.cop, bias, out, 0, rows);
    }
    if (c.softmax) k.softmax_ch(out, rows * c.ow, c.cop, c.co);
    k.pool_fwd(out, rows, c.ow, c.cop, c.p, c.relu ? 1 : 0, a, L.convIdx[l] + i * size);
  }

  /**
   * Index of the first stage with dropout (conv blocks, then dense layers, as in `dropSeed`), or
   * the number of stages when none has dropout.
   */
  firstDropoutStage(): number {
    const stages = [...this.plan.convs, ...this.plan.dense];
    const s = stages.findIndex((st) => st.dropout > 0);
    return s < 0 ? stages.length : s;
  }

  /**
   * Forward pass of images [lo, hi) through the network up to the output layer's
   * pre-activation (in `densePre` of the last layer's `denseH`). Training applies dropout.
   *
   * `resume` (Monte Carlo dropout) reuses what the previous forward pass of the same images left
   * in memory up to the first stage with dropout ({@link firstDropoutStage}): that stage only
   * redraws its mask from the kept activations, and the stages after it run again. With no
   * dropout anywhere, nothing runs and the previous outputs stay.
   *
   * `keep`: a training step's pass, which keeps what the backward pass needs (pooling indices)
   * and computes exactly as the gradient kernels expect; other passes (inference, Monte Carlo
   * dropout) run the inference kernels: Winograd F(4x4, 3x3) and the one-channel kernel, with
   * the bias, activation and pooling fused.
   */
  forward(
    lo: number,
    hi: number,
    training: boolean,
    seed: number,
    resume = false,
    keep = false,
  ): void {
    if (hi <= lo) return;
    const { k, L, plan } = this;
    const scratchOut = this.base + L.sConvOut;
    // Stages before `from` are kept; stage `from` keeps its activations and redraws its mask.
    const from = resume ? this.firstDropoutStage() : -1;
    plan.convs.forEach((c, l) => {
      if (l <= from) return;
      const w = this.param(L.convW[l]);
      if (!keep && L.sU4[l] !== 0) k.wino4_filter(w, c.ci, c.cop, this.base + L.sU4[l]);
      else if (L.sU[l] !== 0) k.wino_filter(w, c.ci, c.cop, this.base + L.sU[l]);
    });
    // Outside a training step, blocks whose output only the next block reads (before the last
    // block and the first dropout) write to scratch that stays in cache, not to their slots.
    const transient = keep ? 0 : Math.min(plan.convs.length - 1, this.firstDropoutStage());
    for (let i = lo; i < hi && from < plan.convs.length; i++) {
      plan.convs.forEach((c, l) => {
        if (l < from) return;
        const size = c.ph * c.pw * c.cop;
        const a = l < transient ? this.base + L.sAct[l % 2] : L.convA[l] + i * size * 4;
        const input = l > 0 && l - 1 < transient ? this.base + L.sAct[(l - 1) % 2] : undefined;
        if (l > from) this.convBlock(c, l, i, scratchOut, a, keep, training, input);
        if (c.dropout > 0 && training) {
          const d = L.convD[l] + i * size * 4;
          this.dropout(c.dropout, a, size, this.dropSeed(seed, l, i), d);
        }
      });
    }
    const m = hi - lo;
    plan.dense.forEach((d, j) => {
      const stage = plan.convs.length + j;
      if (stage < from) return;
      const [xin, ldx] = this.denseInput(j, training);
      const h = L.denseH[j] + lo * d.up * 4;
      if (stage > from)
        k.dense_fwd(
          xin + lo * ldx * 4,
          ldx,
          m,
          d.inputs,
          this.param(L.denseW[j]),
          d.up,
          this.param(L.denseB[j]),
          h,
          d.relu ? 1 : 0,
        );
      if (d.dropout > 0 && training) {
        for (let i = lo; i < hi; i++) {
          const src = L.denseH[j] + i * d.up * 4;
          const dst = L.denseD[j] + i * d.up * 4;
          this.dropout(d.dropout, src, d.up, this.dropSeed(seed, plan.convs.length + j, i), dst);
        }
      }
    });
  }

  /** Output-layer pre-activations of image `i` (a view of length `units`). */
  logits(i: number): Float32Array {
    const last = this.plan.dense.length - 1;
    const d = this.plan.dense[last];
    const at = this.L.denseH[last] / 4 + i * d.up;
    return this.f32.subarray(at, at + d.units);
  }

  /** Output probabilities of images [lo, hi) into `out` (`(hi - lo) * units` values). */
  probabilities(lo: number, hi: number, out: Float32Array): void {
    const p = this.zp;
    const u = p.length;
    for (let i = lo; i < hi; i++) {
      activate(this.plan.output, this.logits(i), p);
      for (let j = 0; j < u; j++) out[(i - lo) * u + j] = p[j];
    }
  }

  /**
   * Loss, hits and the output layer's gradient for images [lo, hi); the per-image loss and hit
   * go to the stats slots.
   */
  lossGrad(lo: number, hi: number, divisor: number, loss: LossName): void {
    const last = this.plan.dense.length - 1;
    const d = this.plan.dense[last];
    const labels = this.i32.subarray(this.L.labels / 4);
    const weights = this.f32.subarray(this.L.weights / 4);
    for (let i = lo; i < hi; i++) {
      const r = sampleLossGrad(
        loss,
        this.plan.output,
        this.logits(i),
        labels[i],
        weights[i] / divisor,
        this.dzBuf,
        this.zp,
        this.zdp,
        this.zy,
      );
      const at = this.L.densePre[last] / 4 + i * d.up;
      this.f32.fill(0, at, at + d.up);
      this.f32.set(this.dzBuf, at);
      this.f64[this.L.stats / 8 + 2 * i] = r.loss * weights[i];
      this.f64[this.L.stats / 8 + 2 * i + 1] = r.correct;
    }
  }

  /** Backward pass of images [lo, hi): dense-layer gradients to slots, conv gradients to partials. */
  backward(lo: number, hi: number, seed: number): void {
    const { k, L, plan } = this;
    const part = L.parts + this.tid * L.partCount * 4;
    k.zero(part, L.partCount);
    if (hi <= lo) return;
    const m = hi - lo;
    for (let j = plan.dense.length - 1; j >= 0; j--) {
      const d = plan.dense[j];
      const dy = L.densePre[j] + lo * d.up * 4;
      if (j > 0) {
        const prev = plan.dense[j - 1];
        const dx = L.densePre[j - 1] + lo * prev.up * 4;
        k.dense_bwd_x(dy, m, d.up, this.param(L.denseW[j]), d.inputs, dx, prev.up);
        if (prev.dropout > 0) {
          for (let i = lo; i < hi; i++) {
            const g = L.densePre[j - 1] + i * prev.up * 4;
            this.dropout(
              prev.dropout,
              g,
              prev.up,
              this.dropSeed(seed, plan.convs.length + j - 1, i),
              g,
            );
          }
        }
        if (prev.relu) k.relu_bwd(dx, L.denseH[j - 1] + lo * prev.up * 4, m * prev.up);
      } else {
        k.dense_bwd_x(
          dy,
          m,
          d.up,
          this.param(L.denseW[0]),
          d.inputs,
          L.dflat + lo * d.inputs * 4,
          d.inputs,
        );
      }
    }
    const nc = plan.convs.length;
    plan.convs.forEach((c, l) => {
      if (l === 0) return;
      k.conv_flip(this.param(L.convW[l]), c.k, c.ci, c.cop, this.base + L.sWt[l]);
      if (L.sUt[l] !== 0) k.wino4_filter(this.base + L.sWt[l], c.cop, c.ci, this.base + L.sUt[l]);
    });
    const flat = plan.dense[0].inputs;
    const dx = this.base + L.sDx;
    plan.convs.forEach((c, l) => {
      if (L.sS[l] !== 0) k.zero(this.base + L.sS[l], (winograd4dw(c) ? 36 : 16) * c.ci * c.cop);
    });
    for (let i = lo; i < hi; i++) {
      let da = L.dflat + i * flat * 4;
      for (let l = nc - 1; l >= 0; l--) {
        const c = plan.convs[l];
        const size = c.ph * c.pw * c.cop;
        if (c.dropout > 0) this.dropout(c.dropout, da, size, this.dropSeed(seed, l, i), da);
        const padW = l === 0 ? c.ow : c.ow + 2 * (c.k - 1);
        const rs = padW * c.cop;
        const pad = this.base + L.sPad[l];
        const dpre = l === 0 ? pad : pad + ((c.k - 1) * rs + (c.k - 1) * c.cop) * 4;
        const a = L.convA[l] + i * size * 4;
        k.pool_bwd(
          da,
          a,
          L.convIdx[l] + i * size,
          c.ph,
          c.pw,
          c.cop,
          c.p,
          c.relu ? 1 : 0,
          dpre,
          rs,
          c.softmax ? this.base + L.sDiscard : part + L.partB[l] * 4,
        );
        const x = this.convInput(l, i);
        const [rows, cols] = [c.ph * c.p, c.pw * c.p];
        if (c.softmax) {
          // Through the channel softmax; the bias gradient is the result's sum.
          const sOut = L.convS[l] + i * rows * c.ow * c.cop * 4;
          k.softmax_bwd(dpre, rows, cols, rs, sOut, c.ow * c.cop, c.cop, part + L.partB[l] * 4);
        }
        if (L.sS[l] !== 0) {
          const [S, V, M] = [this.base + L.sS[l], this.base + L.sV, this.base + L.sM];
          if (winograd4dw(c))
            k.conv3_wino4_dw(x, c.h, c.w, c.ci, dpre, rows, cols, rs, c.cop, S, V, M);
          else k.conv3_wino_dw(x, c.h, c.w, c.ci, dpre, rows, cols, rs, c.cop, S, V, M);
        } else {
          const dw = part + L.partW[l] * 4;
          k.conv_dw(
            x,
            c.w,
            c.ci,
            dpre,
            rows,
            cols,
            rs,
            c.cop,
            L.offTables[l],
            L.rp[l],
            dw,
            DW_BAND,
          );
        }
        if (l > 0) {
          const padH = c.oh + 2 * (c.k - 1);
          if (L.sUt[l] !== 0) {
            const u = this.base + L.sUt[l];
            k.conv3_wino4(
              pad,
              padH,
              padW,
              c.cop,
              u,
              c.ci,
              0,
              dx,
              c.h,
              this.base + L.sV,
              this.base + L.sM,
            );
          } else {
            k.conv_fwd(pad, padH, padW, c.cop, this.base + L.sWt[l], c.k, c.ci, 0, dx, 0, c.h);
          }
          da = dx;
        }
      }
    }
    plan.convs.forEach((c, l) => {
      if (L.sS[l] === 0) return;
      const dw = part + L.partW[l] * 4;
      if (winograd4dw(c)) k.wino4_dw_out(this.base + L.sS[l], c.ci, c.cop, dw);
      else k.wino_dw_out(this.base + L.sS[l], c.ci, c.cop, dw);
    });
  }

  /** Phase 1 of a training step for this thread's images: forward, loss, backward. */
  stepImages(args: StepArgs): void {
    const [lo, hi] = imageShare(args.m, this.tid, this.L.threads);
    this.forward(lo, hi, true, args.seed, false, true);
    this.lossGrad(lo, hi, args.divisor, args.loss);
    this.backward(lo, hi, args.seed);
  }

  /** Update phase: this thread's share of the parameters. */
  update(m: number, opt: OptimizerStep): void {
    const { k, L, plan } = this;
    const g = this.base + L.sGrad;
    const [s0, s1] = L.shares[this.tid];
    for (let s = s0; s < s1; s++) {
      const it = L.items[s];
      let param: number;
      let count: number;
      if (it.kind === 'parts') {
        k.sum_parts(L.parts + it.part * 4, L.partCount, L.threads, it.count, g);
        param = it.param;
        count = it.count;
      } else {
        const d = plan.dense[it.layer];
        const [xin, ldx] = this.denseInput(it.layer);
        if (it.kind === 'dense') {
          k.dense_grad(xin, ldx, L.densePre[it.layer], m, d.up, it.k0, it.k1, g);
          param = L.denseW[it.layer] + it.k0 * d.up;
          count = (it.k1 - it.k0) * d.up;
        } else {
          k.col_sum(L.densePre[it.layer], m, d.up, g);
          param = L.denseB[it.layer];
          count = d.up;
        }
      }
      this.apply(opt, param, g, count);
    }
  }

  private apply(opt: OptimizerStep, param: number, g: number, n: number): void {
    const { k, L } = this;
    const w = this.param(param);
    const s1 = L.state + param * 4;
    const s2 = s1 + L.paramCount * 4;
    const a = opt.args;
    switch (opt.name) {
      case 'sgd':
        return k.opt_sgd(w, g, n, a[0]);
      case 'adam':
        return k.opt_adam(w, g, s1, s2, n, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
      case 'rmsprop':
        return k.opt_rmsprop(w, g, s1, s2, n, a[0], a[1], a[2], a[3], a[4]);
      case 'adagrad':
        return k.opt_adagrad(w, g, s1, n, a[0], a[1]);
      case 'adadelta':
        return k.opt_adadelta(w, g, s1, s2, n, a[0], a[1], a[2], a[3]);
      case 'adamax':
        return k.opt_adamax(w, g, s1, s2, n, a[0], a[1], a[2], a[3], a[4]);
    }
  }

  /** Sum of the loss and hits of images [0, m) from the stats slots. */
  stats(m: number): { loss: number; correct: number } {
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < m; i++) {
      loss += this.f64[this.L.stats / 8 + 2 * i];
      correct += this.f64[this.L.stats / 8 + 2 * i + 1];
    }
    return { loss, correct };
  }
}
