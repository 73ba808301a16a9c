/**
 * Which models the training engine runs, and their geometry. The engine handles the family that
 * `createModel` builds and most small Keras-style CNNs: a Sequential stack of convolution blocks
 * (Conv2D with valid padding, stride 1, ReLU, linear, sigmoid, tanh, ELU, SELU or channel-softmax
 * activation (the original pipeline's first layer), an optional square MaxPooling2D
 * whose stride equals its size, an optional Dropout), Flatten, hidden Dense layers (ReLU or
 * linear, each optionally followed by Dropout), and an output Dense layer with softmax, sigmoid
 * or linear activation. Anything else (other layers, regularisers, constraints, layers without
 * bias, frozen layers) is left to TensorFlow.js, and {@link planModel} says why.
 *
 * Browser-safe.
 */
import type * as tf from '@tensorflow/tfjs';

/** Rounds `n` up to a multiple of 8, the channel step of the engine's vector kernels. */
export function pad8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/**
 * Increasing pointwise activations of a convolution block, applied after the pooling: max
 * pooling commutes with an increasing function, so pooling the pre-activations and activating
 * the pooled values gives the values TensorFlow.js gives, from a quarter (pool 2) of the work.
 */
export type PointActivation = 'sigmoid' | 'tanh' | 'elu' | 'selu';

const POINT_ACTIVATIONS: readonly string[] = ['sigmoid', 'tanh', 'elu', 'selu'];

/** One convolution block: Conv2D, optional MaxPool, optional Dropout. */
export interface ConvStage {
  /** Input rows, columns and stored channels (padded to 8 except for the model input). */
  h: number;
  w: number;
  ci: number;
  /** Input channels the model's filter has. */
  ciReal: number;
  /** Square kernel size. */
  k: number;
  /** Filters, and filters padded to a multiple of 8. */
  co: number;
  cop: number;
  /** Pool size (1: no pooling). */
  p: number;
  /** ReLU activation. */
  relu: boolean;
  /** Softmax across the channels of each pixel (neither flag nor `act`: linear). */
  softmax: boolean;
  /** A pointwise activation applied to the pooled output ({@link PointActivation}). */
  act?: PointActivation;
  /** Convolution output rows and columns. */
  oh: number;
  ow: number;
  /** Pooled output rows and columns. */
  ph: number;
  pw: number;
  /** Dropout rate after the block; 0 for none. */
  dropout: number;
  /** Index of the Conv2D layer in `model.layers`. */
  layer: number;
}

/** One Dense layer. */
export interface DenseStage {
  /** Stored input size (padded layout) and the model's input size. */
  inputs: number;
  inputsReal: number;
  /** Units, and units padded to a multiple of 8. */
  units: number;
  up: number;
  /** Hidden layers: ReLU (true) or linear. */
  relu: boolean;
  /** Dropout rate after the layer; 0 for none. */
  dropout: number;
  /** Index of the Dense layer in `model.layers`. */
  layer: number;
}

/** A model the engine can run. */
export interface EnginePlan {
  /** Input `[rows, cols, channels]`. */
  input: [number, number, number];
  /** Convolution blocks, in order (at least one). */
  convs: ConvStage[];
  /** Dense layers, in order; the last is the output layer. */
  dense: DenseStage[];
  /** Activation of the output layer, applied in JavaScript with the loss. */
  output: 'softmax' | 'sigmoid' | 'linear';
}

interface LayerConfig {
  [key: string]: unknown;
}

const pair = (v: unknown): [number, number] | undefined => {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number'))
    return [v[0] as number, v[1] as number];
  return undefined;
};

/** Regularisers, constraints and the like that the engine does not apply. */
function unsupportedExtras(cfg: LayerConfig): string | undefined {
  for (const key of [
    'kernelRegularizer',
    'biasRegularizer',
    'activityRegularizer',
    'kernelConstraint',
    'biasConstraint',
  ]) {
    if (cfg[key] !== null && cfg[key] !== undefined) return key;
  }
  if (cfg.useBias === false) return 'useBias: false';
  if (cfg.trainable === false) return 'trainable: false';
  return undefined;
}

/**
 * The engine's plan for `model`, or a sentence saying why the engine cannot run it (the caller
 * then trains with TensorFlow.js).
 */
export function planModel(model: tf.LayersModel): EnginePlan | string {
  const inShape = model.inputs[0]?.shape;
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return 'not a single-input model';
  if (inShape?.length !== 4 || inShape.slice(1).some((d) => typeof d !== 'number')) {
    return `input shape ${JSON.stringify(inShape)} is not [n, rows, cols, channels]`;
  }
  const [, h0, w0, c0] = inShape as number[];
  const convs: ConvStage[] = [];
  const dense: DenseStage[] = [];
  let h = h0;
  let w = w0;
  let ci = c0;
  let ciReal = c0;
  let flat = 0;
  let flatReal = 0;
  let flattened = false;
  let output: EnginePlan['output'] | undefined;
  const layers = model.layers;
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as LayerConfig;
    if (output !== undefined) return `layer '${layer.name}' follows the output layer`;
    if (cls === 'InputLayer') continue;
    const extra = unsupportedExtras(cfg);
    if (extra !== undefined) return `layer '${layer.name}' has ${extra}`;
    switch (cls) {
      case 'Conv2D': {
        if (flattened) return `Conv2D '${layer.name}' after Flatten`;
        const ks = pair(cfg.kernelSize);
        const st = pair(cfg.strides);
        const dl = pair(cfg.dilationRate);
        if (ks?.[0] !== ks?.[1] || ks === undefined)
          return `Conv2D '${layer.name}' kernel is not square`;
        if (st?.[0] !== 1 || st[1] !== 1) return `Conv2D '${layer.name}' has strides other than 1`;
        if (dl?.[0] !== 1 || dl[1] !== 1) return `Conv2D '${layer.name}' is dilated`;
        if (cfg.padding !== 'valid') return `Conv2D '${layer.name}' padding is not 'valid'`;
        if (cfg.dataFormat !== 'channelsLast') return `Conv2D '${layer.name}' is not channelsLast`;
        const act = cfg.activation as string;
        if (!['relu', 'linear', 'softmax', ...POINT_ACTIVATIONS].includes(act)) {
          return `Conv2D '${layer.name}' activation '${String(cfg.activation)}' (engine: relu, linear, softmax, sigmoid, tanh, elu, selu)`;
        }
        const k = ks[0];
        const co = cfg.filters as number;
        const oh = h - k + 1;
        const ow = w - k + 1;
        if (oh < 1 || ow < 1) return `Conv2D '${layer.name}' has no output`;
        const stage: ConvStage = {
          h,
          w,
          ci,
          ciReal,
          k,
          co,
          cop: pad8(co),
          p: 1,
          relu: act === 'relu',
          softmax: act === 'softmax',
          ...(POINT_ACTIVATIONS.includes(act) ? { act: act as PointActivation } : {}),
          oh,
          ow,
          ph: oh,
          pw: ow,
          dropout: 0,
          layer: i,
        };
        convs.push(stage);
        h = oh;
        w = ow;
        ci = stage.cop;
        ciReal = co;
        break;
      }
      case 'MaxPooling2D': {
        const last = convs[convs.length - 1];
        if (last === undefined || last.p !== 1 || last.dropout !== 0 || flattened) {
          return `MaxPooling2D '${layer.name}' does not directly follow a Conv2D`;
        }
        const ps = pair(cfg.poolSize);
        const st = pair(cfg.strides);
        if (ps === undefined || ps[0] !== ps[1])
          return `MaxPooling2D '${layer.name}' is not square`;
        if (st?.[0] !== ps[0] || st[1] !== ps[0]) {
          return `MaxPooling2D '${layer.name}' stride differs from its size`;
        }
        if (cfg.padding !== 'valid') return `MaxPooling2D '${layer.name}' padding is not 'valid'`;
        if (ps[0] > 15) return `MaxPooling2D '${layer.name}' pool is larger than 15`;
        last.p = ps[0];
        last.ph = Math.floor(last.oh / last.p);
        last.pw = Math.floor(last.ow / last.p);
        if (last.ph < 1 || last.pw < 1) return `MaxPooling2D '${layer.name}' has no output`;
        h = last.ph;
        w = last.pw;
        break;
      }
      case 'Dropout': {
        const rate = cfg.rate as number;
        if (cfg.noiseShape !== null && cfg.noiseShape !== undefined) {
          return `Dropout '${layer.name}' has a noiseShape`;
        }
        const target = flattened ? dense[dense.length - 1] : convs[convs.length - 1];
        if (target === undefined || target.dropout !== 0) {
          return `Dropout '${layer.name}' does not follow a Conv2D/MaxPooling2D block or a Dense layer`;
        }
        if (!(rate >= 0 && rate < 1)) return `Dropout '${layer.name}' rate ${rate}`;
        target.dropout = rate;
        break;
      }
      case 'Flatten': {
        if (flattened || convs.length === 0)
          return `Flatten '${layer.name}' in an unsupported place`;
        flattened = true;
        flat = h * w * ci;
        flatReal = h * w * ciReal;
        break;
      }
      case 'Dense': {
        if (!flattened) return `Dense '${layer.name}' before Flatten`;
        const prev = dense[dense.length - 1];
        const units = cfg.units as number;
        const act = cfg.activation;
        const stage: DenseStage = {
          inputs: prev === undefined ? flat : prev.up,
          inputsReal: prev === undefined ? flatReal : prev.units,
          units,
          up: pad8(units),
          relu: act === 'relu',
          dropout: 0,
          layer: i,
        };
        dense.push(stage);
        const isLast = layers.slice(i + 1).every((l) => l.getClassName() === 'InputLayer');
        if (isLast) {
          if (act !== 'softmax' && act !== 'sigmoid' && act !== 'linear') {
            return `output Dense '${layer.name}' activation '${String(act)}' (engine: softmax, sigmoid, linear)`;
          }
          output = act;
          stage.relu = false;
        } else if (act !== 'relu' && act !== 'linear') {
          return `Dense '${layer.name}' activation '${String(act)}' (engine: relu, linear)`;
        }
        break;
      }
      default:
        return `layer '${layer.name}' is a ${cls}, which the engine does not run`;
    }
  }
  if (output === undefined || convs.length === 0) return 'no Conv2D ... Flatten ... Dense stack';
  return { input: [h0, w0, c0], convs, dense, output };
}
