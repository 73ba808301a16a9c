/**
 * The engine's memory layout: where every parameter, optimizer slot, activation, gradient and
 * scratch buffer of a model lives in the one WebAssembly memory the threads share, for a given
 * plan, thread count and largest batch, and which kernel variant each conv block runs (the
 * layout reserves the buffers those kernels need). Plain data, sent to worker threads.
 *
 * Browser-safe and free of TensorFlow.js.
 */
import type { OptimizerName } from '../config.js';
import type { ConvStage, EnginePlan } from './plan.js';

/** Optimizer state arrays per parameter (moments, accumulators). */
export function optimizerSlots(name: OptimizerName): number {
  return name === 'sgd' ? 0 : name === 'adagrad' ? 1 : 2;
}

/** Rows of a dense kernel whose gradient one update work item forms at a time. */
const DENSE_CHUNK_ROWS = 64;
/** Tiles per band of the Winograd kernels (`WINO_BAND` in engine.c). */
const WINO_BAND = 16;
/** Output rows per band of the filter-gradient kernel (keeps the band's rows in cache). */
export const DW_BAND = 8;

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
