/**
 * The work one thread does in a training step or a forward pass (the memory it works on is laid
 * out by `layout.ts`, the kernels it calls are declared in `kernel-api.ts`). Every thread (the calling one and, in Node, workers) holds an {@link EngineCore} over the same
 * memory; a step is two phases separated by a barrier:
 *
 * 1. each thread runs forward and backward for its share of the batch's images, adding the
 *    convolution gradients into its own partial buffer and leaving per-image activations and
 *    dense-layer gradients in shared slots;
 * 2. each thread takes a share of the parameters, forms their gradient (summing the partial
 *    buffers, or, for dense kernels, computing X^T dY chunk by chunk so the 4.3M-value gradient
 *    of the default network's large layer never exists whole) and applies the optimizer to it.
 *
 * Browser-safe and free of TensorFlow.js (worker threads load only this, the layout, the
 * kernel interface, the plan and the loss).
 */
import type { LossName, OptimizerName } from '../config.js';
import { mix32 } from '../../core/random.js';
import { sampleLossGrad, activate } from './loss.js';
import type { ConvStage, EnginePlan } from './plan.js';
import type { EngineKernels } from './kernel-api.js';
import { DW_BAND, oneChannel, winograd4dw, type EngineLayout } from './layout.js';

/** SELU's scale and scale times alpha, as TensorFlow.js's `selu` has them. */
const SELU_SCALE = 1.0507009873554805;
const SELU_SCALE_ALPHA = 1.7580993408473768;

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
   * A block's pointwise activation ({@link PointActivation}) over its pooled output at byte
   * offset `a`, in place, as TensorFlow.js's `cpu` kernels compute it (in float64, stored as
   * float32). Padded channels stay 0 (sigmoid would make them 1/2).
   */
  private pointActivation(c: ConvStage, a: number): void {
    const f = this.f32;
    const at = a >> 2;
    const n = c.ph * c.pw * c.cop;
    switch (c.act) {
      case 'sigmoid':
        for (let j = at; j < at + n; j++) f[j] = 1 / (1 + Math.exp(-f[j]));
        for (let j = at; j < at + n; j += c.cop) f.fill(0, j + c.co, j + c.cop);
        break;
      case 'tanh':
        for (let j = at; j < at + n; j++) f[j] = Math.tanh(f[j]);
        break;
      case 'elu':
        for (let j = at; j < at + n; j++) f[j] = f[j] >= 0 ? f[j] : Math.exp(f[j]) - 1;
        break;
      case 'selu':
        for (let j = at; j < at + n; j++) {
          const x = f[j];
          f[j] = x >= 0 ? SELU_SCALE * x : SELU_SCALE_ALPHA * (Math.exp(x) - 1);
        }
        break;
      default:
    }
  }

  /**
   * The gradient `da` (byte offset) through a block's pointwise activation, in place, from its
   * output at `a`: y (1 - y), 1 - y², 1 or y + 1, scale or y + scale·alpha (TensorFlow.js's
   * gradients, written with the output).
   */
  private pointActivationGrad(c: ConvStage, da: number, a: number): void {
    const f = this.f32;
    const [g0, y0] = [da >> 2, a >> 2];
    const n = c.ph * c.pw * c.cop;
    for (let j = 0; j < n; j++) {
      const y = f[y0 + j];
      let d: number;
      switch (c.act) {
        case 'sigmoid':
          d = y * (1 - y);
          break;
        case 'tanh':
          d = 1 - y * y;
          break;
        case 'elu':
          d = y > 0 ? 1 : y + 1;
          break;
        default:
          d = y > 0 ? SELU_SCALE : y + SELU_SCALE_ALPHA;
      }
      f[g0 + j] *= d;
    }
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
        if (l > from) {
          this.convBlock(c, l, i, scratchOut, a, keep, training, input);
          if (c.act !== undefined) this.pointActivation(c, a);
        }
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
        const a = L.convA[l] + i * size * 4;
        if (c.act !== undefined) this.pointActivationGrad(c, da, a);
        const padW = l === 0 ? c.ow : c.ow + 2 * (c.k - 1);
        const rs = padW * c.cop;
        const pad = this.base + L.sPad[l];
        const dpre = l === 0 ? pad : pad + ((c.k - 1) * rs + (c.k - 1) * c.cop) * 4;
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
