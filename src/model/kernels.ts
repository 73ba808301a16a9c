/**
 * Training kernels for the WASM backend. `@tensorflow/tfjs-backend-wasm` ships no
 * `Conv2DBackpropFilter` and a naive-loop `Conv2DBackpropInput`, so it cannot train a CNN, or
 * trains it slowly. Both gradients are convolutions themselves, so the kernels here rewrite them
 * as forward convolutions and run them through the backend's own XNNPACK `Conv2D` kernel (the
 * fastest code in the WASM binary), with the WASM `Transpose`, `Reverse` and `Slice` kernels
 * rearranging axes around it. No pixel loop runs in JavaScript.
 *
 * Browser-safe: nothing here imports `node:` modules.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  Conv2DBackpropFilterAttrs,
  Conv2DBackpropInputAttrs,
  KernelBackend,
  KernelConfig,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';

type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** Calls another kernel of `backendName` directly (no tape, no engine bookkeeping). */
function callKernel(
  backendName: string,
  kernelName: string,
  backend: KernelBackend,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap,
): TensorInfo {
  const config = tf.getKernel(kernelName, backendName);
  if (config === undefined) {
    throw new ModelError(
      `backend '${backendName}' has no '${kernelName}' kernel, which the training kernels need`,
    );
  }
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) {
    throw new ModelError(`kernel '${kernelName}' returned several tensors where one was expected`);
  }
  return out;
}

/**
 * Below this magnitude a gradient value is set to zero before it enters a convolution. WASM has
 * no flush-to-zero mode, and products that underflow into float32 subnormals (below 1.2e-38) take
 * a microcode path on x86 that made a training step 15x slower once a model fitted its batch
 * well. Values this small change no weight: Adam's epsilon (1e-7) and any learning rate swamp them.
 */
export const GRADIENT_FLUSH = 1e-30;

/** Operands of matrix products up to this size are flushed with {@link GRADIENT_FLUSH}. */
const FLUSH_MAX_SIZE = 1 << 16;

/**
 * Zeroes the entries of `t` with magnitude below {@link GRADIENT_FLUSH}, in place, as a CPU's
 * flush-to-zero mode would for subnormals. In place is safe here: the change is below the
 * float32 resolution of any sum the value enters, and flushing twice is flushing once.
 */
function flushTiny(backend: unknown, t: TensorInfo): void {
  if (!isHeapBackend(backend) || t.dtype !== 'float32') return;
  const a = backend.typedArrayFromHeap(t);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v !== 0 && v < GRADIENT_FLUSH && v > -GRADIENT_FLUSH) a[i] = 0;
  }
}

/** Geometry of the forward convolution whose gradient is asked for. */
function forwardInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: Conv2DBackpropFilterAttrs | Conv2DBackpropInputAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(attrs.dataFormat),
  );
}

/**
 * dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh - pad, ow*s + kw - pad, ci] * dy[n,
 * oh, ow, co]. Swapping the batch and channel axes of x (to `[ci, H, W, n]`) and reading dy as a
 * filter `[OH, OW, n, co]` makes that sum a forward convolution with dilation = stride, whose
 * output `[ci, KH, KW, co]` only needs one transpose to become dW.
 */
export function conv2dBackpropFilterViaConv(backendName: string): KernelFunc {
  return ({ inputs, backend: raw, attrs }) => {
    const backend = raw as KernelBackend;
    const a = attrs as unknown as Conv2DBackpropFilterAttrs;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const info = forwardInfo(x.shape as [number, number, number, number], a.filterShape, a);
    if (info.dataFormat !== 'channelsLast') {
      throw new ModelError(
        `Conv2DBackpropFilter on '${backendName}' supports channelsLast (NHWC) data only`,
      );
    }
    const { top, bottom, left, right } = info.padInfo;
    const call = (name: string, ins: NamedTensorInfoMap, at: NamedAttrMap): TensorInfo =>
      callKernel(backendName, name, backend, ins, at);
    flushTiny(backend, dy);
    const xT = call('Transpose', { x }, { perm: [3, 1, 2, 0] });
    const dyT = call('Transpose', { x: dy }, { perm: [1, 2, 0, 3] });
    const pad: ExplicitPadding = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const conv = call('Conv2D', { x: xT, filter: dyT }, {
      strides: [1, 1],
      pad,
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
      dimRoundingMode: 'floor',
    } as unknown as NamedAttrMap);
    backend.disposeData(xT.dataId);
    backend.disposeData(dyT.dataId);
    let full = conv;
    // With a stride, or padding that leaves rows unused, the convolution yields more than KH x KW
    // taps; the trailing ones never touched an output pixel and are dropped.
    if (conv.shape[1] !== info.filterHeight || conv.shape[2] !== info.filterWidth) {
      full = call(
        'Slice',
        { x: conv },
        {
          begin: [0, 0, 0, 0],
          size: [conv.shape[0], info.filterHeight, info.filterWidth, conv.shape[3]],
        },
      );
      backend.disposeData(conv.dataId);
    }
    const dw = call('Transpose', { x: full }, { perm: [1, 2, 0, 3] });
    backend.disposeData(full.dataId);
    return dw;
  };
}

/**
 * For stride 1, dx is the "full" convolution of dy with the kernel flipped in both spatial axes
 * and its in/out channel axes swapped: a forward convolution of dy padded by (K - 1 - pad) on
 * each side. Strided or dilated cases (which the factory's models never produce) go to
 * `fallback`, the backend's own kernel.
 */
export function conv2dBackpropInputViaConv(
  backendName: string,
  fallback: KernelFunc | undefined,
): KernelFunc {
  return (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as KernelBackend;
    const a = attrs as unknown as Conv2DBackpropInputAttrs;
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const info = forwardInfo(a.inputShape, filter.shape as [number, number, number, number], a);
    const { top, bottom, left, right } = info.padInfo;
    const kh = info.filterHeight;
    const kw = info.filterWidth;
    const simple =
      info.dataFormat === 'channelsLast' &&
      info.strideHeight === 1 &&
      info.strideWidth === 1 &&
      top <= kh - 1 &&
      bottom <= kh - 1 &&
      left <= kw - 1 &&
      right <= kw - 1;
    if (!simple) {
      if (fallback === undefined) {
        throw new ModelError(
          `Conv2DBackpropInput on '${backendName}' supports stride-1 NHWC convolutions only`,
        );
      }
      return fallback(args);
    }
    const call = (name: string, ins: NamedTensorInfoMap, at: NamedAttrMap): TensorInfo =>
      callKernel(backendName, name, backend, ins, at);
    flushTiny(backend, dy);
    const flipped = call('Reverse', { x: filter }, { dims: [0, 1] });
    const wT = call('Transpose', { x: flipped }, { perm: [0, 1, 3, 2] });
    backend.disposeData(flipped.dataId);
    const pad: ExplicitPadding = [
      [0, 0],
      [kh - 1 - top, kh - 1 - bottom],
      [kw - 1 - left, kw - 1 - right],
      [0, 0],
    ];
    const dx = call('Conv2D', { x: dy, filter: wT }, {
      strides: [1, 1],
      pad,
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: 'floor',
    } as unknown as NamedAttrMap);
    backend.disposeData(wT.dataId);
    return dx;
  };
}

/**
 * Relative cost of XNNPACK packing one element of a fresh right operand (it transposes while
 * packing, about 10x slower per element than the `Transpose` kernel), measured on the dense
 * layer of the default model.
 */
const PACK_COST = 10;

/**
 * True while a gradient tape records (the forward pass of a training step). There the weights
 * are new tensors every step, so XNNPACK must pack them afresh; in inference they are the same
 * tensors call after call and XNNPACK's cached packing makes the plain orientation free. Deciding
 * by mode, not by call history, keeps inference results independent of what ran before.
 */
function recordingGradients(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
}

/**
 * The WASM `BatchMatMul` runs XNNPACK only for untransposed operands; a transposed one (every
 * dense-layer gradient) drops to a scalar triple loop about 15x slower. XNNPACK also packs its
 * right operand anew whenever that tensor is new, as the weights are after every training step,
 * which for the 33856x128 dense layer costs more than the product. So for a single (unbatched)
 * product this computes op(A) op(B) or (op(B)^T op(A)^T)^T, whichever needs fewer copies and
 * the smaller fresh packed side, materialising transposes with the `Transpose` kernel.
 */
export function batchMatMulUntransposed(original: KernelFunc, backendName: string): KernelFunc {
  return (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as KernelBackend;
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const single = (t: TensorInfo): boolean => t.shape.slice(0, -2).every((d) => d === 1);
    if (!single(a) || !single(b) || a.dtype !== 'float32' || b.dtype !== 'float32') {
      return original(args);
    }
    // Gradients reach products as the small operand (a batch's dy against a weight matrix).
    for (const t of [a, b])
      if (tf.util.sizeFromShape(t.shape) <= FLUSH_MAX_SIZE) flushTiny(backend, t);
    const view = (t: TensorInfo): TensorInfo => ({
      dataId: t.dataId,
      dtype: t.dtype,
      shape: t.shape.slice(-2),
    });
    const a2 = view(a);
    const b2 = view(b);
    const [m, k] = transposeA ? [a2.shape[1], a2.shape[0]] : a2.shape;
    const nOut = transposeB ? b2.shape[0] : b2.shape[1];
    const sizeA = m * k;
    const sizeB = k * nOut;
    const cached = !transposeA && !transposeB && !recordingGradients();
    const direct =
      (transposeA ? sizeA : 0) + (transposeB ? sizeB : 0) + (cached ? 0 : PACK_COST * k * nOut);
    const swapped =
      (transposeB ? 0 : sizeB) + (transposeA ? 0 : sizeA) + PACK_COST * k * m + m * nOut;
    const flip = (t: TensorInfo): TensorInfo =>
      callKernel(backendName, 'Transpose', backend, { x: t }, { perm: [1, 0] });
    const product = (x: TensorInfo, y: TensorInfo): TensorInfo =>
      original({
        inputs: { a: x, b: y },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      }) as TensorInfo;
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo, made: boolean): TensorInfo => {
      if (made) temps.push(t);
      return t;
    };
    let out: TensorInfo;
    if (direct <= swapped) {
      if (!transposeA && !transposeB) return original(args);
      out = product(
        keep(transposeA ? flip(a2) : a2, transposeA),
        keep(transposeB ? flip(b2) : b2, transposeB),
      );
    } else {
      const left = keep(transposeB ? b2 : flip(b2), !transposeB);
      const right = keep(transposeA ? a2 : flip(a2), !transposeA);
      const t = keep(product(left, right), true);
      out = flip({ dataId: t.dataId, dtype: t.dtype, shape: [nOut, m] });
    }
    for (const t of temps) backend.disposeData(t.dataId);
    const rank = Math.max(a.shape.length, b.shape.length);
    out.shape = [...Array<number>(rank - 2).fill(1), m, nOut];
    return out;
  };
}

/**
 * `_FusedMatMul` (a dense layer's forward pass: product, bias, activation) during training
 * goes through the `BatchMatMul` kernel (with the orientation choice of {@link
 * batchMatMulUntransposed}), then `Add` and `Relu`. Inference, other activations and PReLU keep
 * the backend's own kernel.
 */
export function fusedMatMulViaBatchMatMul(original: KernelFunc, backendName: string): KernelFunc {
  return (args) => {
    const { inputs, attrs } = args;
    const backend = args.backend as KernelBackend;
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    const { activation, transposeA, transposeB } = attrs as {
      activation: string;
      transposeA: boolean;
      transposeB: boolean;
    };
    if (
      a === undefined ||
      b === undefined ||
      preluActivationWeights !== undefined ||
      (activation !== 'linear' && activation !== 'relu') ||
      !recordingGradients()
    ) {
      return original(args);
    }
    const call = (name: string, ins: NamedTensorInfoMap, at: NamedAttrMap): TensorInfo =>
      callKernel(backendName, name, backend, ins, at);
    let y = call('BatchMatMul', { a, b }, { transposeA, transposeB });
    if (bias !== undefined) {
      const z = call('Add', { a: y, b: bias }, {});
      backend.disposeData(y.dataId);
      y = z;
    }
    if (activation === 'relu') {
      const z = call('Relu', { x: y }, {});
      backend.disposeData(y.dataId);
      y = z;
    }
    return y;
  };
}

/**
 * One Adam step for one variable in a single pass over the heap (the tfjs optimizer spends ten
 * element-wise kernels and as many 17 MB temporaries on the dense layer): returns the new value,
 * first and second moments, by `tf.train.adam`'s formula in double precision (equal to float32
 * rounding).
 * Attributes: `lr`, `beta1`, `beta2`, `epsilon`, and the bias corrections `c1` = 1 - beta1^t,
 * `c2` = 1 - beta2^t.
 */
export function adamUpdate(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    if (!isHeapBackend(backend)) {
      throw new ModelError(`AdamUpdate on '${backendName}' needs a heap-backed backend`);
    }
    const { x, g, m, v } = inputs as Record<'x' | 'g' | 'm' | 'v', TensorInfo>;
    const { lr, beta1, beta2, epsilon, c1, c2 } = attrs as Record<string, number>;
    const outs = [x, m, v].map((t) => backend.makeOutput(t.shape, 'float32'));
    const [X, G, M, V] = [x, g, m, v].map((t) => backend.typedArrayFromHeap(t));
    const [X1, M1, V1] = outs.map((t) => backend.typedArrayFromHeap(t));
    const a1 = 1 - beta1;
    const a2 = 1 - beta2;
    // lr * (m / c1) / (sqrt(v / c2) + eps) with the divisions by constants hoisted.
    const step = lr / c1;
    const inv2 = 1 / c2;
    const len = X.length;
    for (let i = 0; i < len; i++) {
      const gi = G[i];
      const mi = beta1 * M[i] + a1 * gi;
      const vi = beta2 * V[i] + a2 * gi * gi;
      M1[i] = mi;
      V1[i] = vi;
      X1[i] = X[i] - (step * mi) / (Math.sqrt(vi * inv2) + epsilon);
    }
    return outs;
  };
}

/** Name of the kernel {@link adamUpdate} registers. */
export const ADAM_UPDATE_KERNEL = 'AlmaAdamUpdate';

/** What the max-pool gradient needs of a backend that keeps tensors in one linear heap. */
interface HeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

function isHeapBackend(b: unknown): b is HeapBackend {
  const o = b as Partial<HeapBackend>;
  return typeof o.makeOutput === 'function' && typeof o.typedArrayFromHeap === 'function';
}

/**
 * Max-pool gradient with the CPU backend's semantics: each window's gradient goes to its first
 * maximum in row-major order (windows with only NaN or -Infinity pass none), summed where windows
 * overlap. The WASM kernel takes the last maximum and starts its search at the smallest positive
 * float, so it disagrees with the CPU backend on ties and on all-negative windows, and it is
 * slower than this single pass over the WASM heap.
 */
export function maxPoolGradFirstMax(backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
    const a = attrs as unknown as {
      filterSize: [number, number] | number;
      strides: [number, number] | number;
      pad: 'valid' | 'same' | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (!isHeapBackend(backend)) {
      throw new ModelError(`MaxPoolGrad on '${backendName}' needs a heap-backed backend`);
    }
    const info = tf.backend_util.computePool2DInfo(
      input.shape as [number, number, number, number],
      a.filterSize,
      a.strides,
      1,
      a.pad,
      a.dimRoundingMode,
    );
    const out = backend.makeOutput(input.shape, 'float32');
    // Views are taken after the allocation above: growing the WASM memory detaches old views.
    const x = backend.typedArrayFromHeap(input);
    const g = backend.typedArrayFromHeap(dy);
    const dx = backend.typedArrayFromHeap(out);
    const { batchSize, inHeight, inWidth, inChannels: ch, outHeight, outWidth } = info;
    const { strideHeight, strideWidth, effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;
    const { top, left } = info.padInfo;
    const rowStride = inWidth * ch;
    dx.fill(0);
    let gi = 0;
    for (let b = 0; b < batchSize; b++) {
      const base = b * inHeight * rowStride;
      for (let oy = 0; oy < outHeight; oy++) {
        const r0 = Math.max(0, oy * strideHeight - top);
        const r1 = Math.min(inHeight, oy * strideHeight - top + fh);
        for (let ox = 0; ox < outWidth; ox++) {
          const c0 = Math.max(0, ox * strideWidth - left);
          const c1 = Math.min(inWidth, ox * strideWidth - left + fw);
          if (r1 - r0 === 2 && c1 - c0 === 2) {
            // The common 2x2 window, unrolled: four candidates in row-major order.
            const k00 = base + r0 * rowStride + c0 * ch;
            for (let c = 0; c < ch; c++, gi++) {
              const p = k00 + c;
              const q = p + rowStride;
              // Strict > from -Infinity: ties go to the earlier candidate and NaN never wins,
              // as in the CPU backend.
              let at = -1;
              let best = -Infinity;
              let v = x[p];
              if (v > best) {
                best = v;
                at = p;
              }
              v = x[p + ch];
              if (v > best) {
                best = v;
                at = p + ch;
              }
              v = x[q];
              if (v > best) {
                best = v;
                at = q;
              }
              if (x[q + ch] > best) at = q + ch;
              if (at >= 0) dx[at] += g[gi];
            }
            continue;
          }
          for (let c = 0; c < ch; c++, gi++) {
            let best = -Infinity;
            let at = -1;
            for (let r = r0; r < r1; r++) {
              let k = base + r * rowStride + c0 * ch + c;
              for (let col = c0; col < c1; col++, k += ch) {
                const v = x[k];
                if (v > best) {
                  best = v;
                  at = k;
                }
              }
            }
            if (at >= 0) dx[at] += g[gi];
          }
        }
      }
    }
    return out;
  };
}

/**
 * Sums over leading axes (every bias gradient: `[n, h, w, c]` to `[c]`) in one pass over the
 * heap. The WASM `Sum` first transposes the reduced axes to the end, a full copy of the largest
 * activation in the network; other reductions still go to `original`.
 */
export function sumLeadingAxes(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs as { x: TensorInfo };
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((v, i) => v === i);
    if (!leading || x.dtype !== 'float32' || !isHeapBackend(backend)) return original(args);
    const rows = x.shape.slice(0, axes.length).reduce((p, q) => p * q, 1);
    const kept = x.shape.slice(axes.length);
    const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
    const out = backend.makeOutput(outShape, 'float32');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const cols = dst.length;
    dst.fill(0);
    for (let r = 0, k = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++, k++) dst[c] += src[k];
    }
    return out;
  };
}

/**
 * dW as one matrix product: the image patches `[N*OH*OW, KH*KW*Ci]` (im2col, written straight
 * into the heap) transposed times dy `[N*OH*OW, Co]`. Cheaper than {@link
 * conv2dBackpropFilterViaConv} when that convolution would run on few channels (a small batch
 * becomes its channel axis) or pack a huge dy as its filter (one input channel).
 */
export function conv2dBackpropFilterIm2col(backendName: string): KernelFunc {
  return ({ inputs, backend: raw, attrs }) => {
    const backend = raw as KernelBackend;
    const a = attrs as unknown as Conv2DBackpropFilterAttrs;
    const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
    const info = forwardInfo(x.shape as [number, number, number, number], a.filterShape, a);
    if (!isHeapBackend(backend) || info.dataFormat !== 'channelsLast') {
      throw new ModelError(
        `im2col Conv2DBackpropFilter on '${backendName}' needs NHWC data on a heap backend`,
      );
    }
    const {
      batchSize: n,
      inHeight: h,
      inWidth: w,
      inChannels: ci,
      outHeight: oh,
      outWidth: ow,
    } = info;
    const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
    const { top, left } = info.padInfo;
    const rows = n * oh * ow;
    const cols = kh * kw * ci;
    const patches = backend.makeOutput([rows, cols], 'float32');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(patches);
    let o = 0;
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < oh; y++) {
        for (let xo = 0; xo < ow; xo++) {
          for (let i = 0; i < kh; i++) {
            const r = y * sh + i - top;
            for (let j = 0; j < kw; j++, o += ci) {
              const c = xo * sw + j - left;
              if (r < 0 || r >= h || c < 0 || c >= w) {
                dst.fill(0, o, o + ci);
                continue;
              }
              const at = ((b * h + r) * w + c) * ci;
              if (ci === 1) dst[o] = src[at];
              else dst.set(src.subarray(at, at + ci), o);
            }
          }
        }
      }
    }
    flushTiny(backend, dy);
    const dyFlat: TensorInfo = {
      dataId: dy.dataId,
      dtype: dy.dtype,
      shape: [rows, info.outChannels],
    };
    const dw = callKernel(
      backendName,
      'BatchMatMul',
      backend,
      { a: patches, b: dyFlat },
      {
        transposeA: true,
        transposeB: false,
      },
    );
    backend.disposeData(patches.dataId);
    dw.shape = [kh, kw, ci, info.outChannels];
    return dw;
  };
}

/**
 * Picks the cheaper of the two dW formulations: im2col for tiny batches (the convolution would
 * run on as few channels as there are images) and for one input channel (the convolution would
 * pack all of dy as its filter: 9.8M values for the first layer at batch 32), the convolution
 * otherwise. Measured on the default model: see docs/performance.md.
 */
export function conv2dBackpropFilter(backendName: string): KernelFunc {
  const viaConv = conv2dBackpropFilterViaConv(backendName);
  const viaIm2col = conv2dBackpropFilterIm2col(backendName);
  return (args) => {
    const [n, , , ci] = (args.inputs as { x: TensorInfo }).x.shape;
    return n < IM2COL_MAX_BATCH || ci === 1 ? viaIm2col(args) : viaConv(args);
  };
}

/** Batches below this size compute dW by im2col (see {@link conv2dBackpropFilter}). */
export let IM2COL_MAX_BATCH = 4;

/** Overrides {@link IM2COL_MAX_BATCH} (for benchmarking the crossover). */
export function setIm2colMaxBatch(n: number): void {
  IM2COL_MAX_BATCH = n;
}

/**
 * `Identity` that shares the input's memory (reference-counted), as the CPU backend's does,
 * instead of copying it: tfjs routes every gradient that passes through an addition or a bias
 * through `Identity`, which cost a 39 MB copy per step for the first layer alone.
 */
export function identityShared(original: KernelFunc): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const backend = args.backend as KernelBackend & { incRef?: (id: object) => void };
    if (x.dtype === 'string' || typeof backend.incRef !== 'function') return original(args);
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** Kernel names that {@link registerTrainingKernels} installs or replaces. */
export const TRAINING_KERNELS = [
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'BatchMatMul',
  'MaxPoolGrad',
  'Sum',
  '_FusedMatMul',
  ADAM_UPDATE_KERNEL,
  'Identity',
] as const;

const installed = new Set<string>();

/**
 * Registers this module's kernels ({@link TRAINING_KERNELS}) on `backendName` (default `wasm`),
 * once per process: the missing convolution filter gradient, and faster replacements for the
 * input gradient, matrix products, max-pool gradient, bias sums and `Identity`, plus the fused
 * Adam update. The backend's own kernels stay as fallbacks for cases these do not cover (strided
 * input gradients, batched products). `useFastBackend` calls it; call it yourself only after
 * `tf.setBackend('wasm')`. Returns the kernel names it installed (none on a second call).
 */
export function registerTrainingKernels(backendName = 'wasm'): string[] {
  if (installed.has(backendName)) return [];
  const done: string[] = [];
  const filterKernel: KernelConfig = {
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: conv2dBackpropFilter(backendName),
  };
  if (tf.getKernel('Conv2DBackpropFilter', backendName) !== undefined) {
    tf.unregisterKernel('Conv2DBackpropFilter', backendName);
  }
  tf.registerKernel(filterKernel);
  done.push('Conv2DBackpropFilter');
  const original = tf.getKernel('Conv2DBackpropInput', backendName);
  if (original !== undefined) tf.unregisterKernel('Conv2DBackpropInput', backendName);
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName,
    kernelFunc: conv2dBackpropInputViaConv(backendName, original?.kernelFunc),
  });
  done.push('Conv2DBackpropInput');
  const matMul = tf.getKernel('BatchMatMul', backendName);
  if (matMul !== undefined) {
    tf.unregisterKernel('BatchMatMul', backendName);
    tf.registerKernel({
      kernelName: 'BatchMatMul',
      backendName,
      kernelFunc: batchMatMulUntransposed(matMul.kernelFunc, backendName),
    });
    done.push('BatchMatMul');
  }
  if (tf.getKernel('MaxPoolGrad', backendName) !== undefined) {
    tf.unregisterKernel('MaxPoolGrad', backendName);
  }
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName,
    kernelFunc: maxPoolGradFirstMax(backendName),
  });
  done.push('MaxPoolGrad');
  const sum = tf.getKernel('Sum', backendName);
  if (sum !== undefined) {
    tf.unregisterKernel('Sum', backendName);
    tf.registerKernel({
      kernelName: 'Sum',
      backendName,
      kernelFunc: sumLeadingAxes(sum.kernelFunc),
    });
    done.push('Sum');
  }
  const fused = tf.getKernel('_FusedMatMul', backendName);
  if (fused !== undefined) {
    tf.unregisterKernel('_FusedMatMul', backendName);
    tf.registerKernel({
      kernelName: '_FusedMatMul',
      backendName,
      kernelFunc: fusedMatMulViaBatchMatMul(fused.kernelFunc, backendName),
    });
    done.push('_FusedMatMul');
  }
  tf.registerKernel({
    kernelName: ADAM_UPDATE_KERNEL,
    backendName,
    kernelFunc: adamUpdate(backendName),
  });
  done.push(ADAM_UPDATE_KERNEL);
  const identity = tf.getKernel('Identity', backendName);
  if (identity !== undefined) {
    tf.unregisterKernel('Identity', backendName);
    tf.registerKernel({
      kernelName: 'Identity',
      backendName,
      kernelFunc: identityShared(identity.kernelFunc),
    });
    done.push('Identity');
  }
  installed.add(backendName);
  return done;
}
