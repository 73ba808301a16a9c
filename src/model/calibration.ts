/**
 * Calibration of binary scores, with no TensorFlow.js: temperature scaling (Guo et al. 2017,
 * "On calibration of modern neural networks") fitted on validation data, and the reliability
 * diagram with its expected calibration error and Brier score.
 *
 * For the two-class softmax the models here end in, the positive probability is
 * `softmax([z0, z1] / T)[1] = sigmoid((z1 − z0) / T)`, so scaling the binary logit
 * `log(p / (1 − p))` of the positive probability is exactly temperature scaling of the network.
 */
import { ModelError } from '../core/errors.js';

/** Probabilities are clamped to [ε, 1 − ε] before taking logits, so 0 and 1 stay finite. */
export const PROBABILITY_EPSILON = 1e-7;

/** Whether {@link fitTemperature} receives positive-class probabilities or binary logits. */
export type CalibrationInput = 'probability' | 'logit';

/** Options of {@link fitTemperature}. */
export interface TemperatureOptions {
  /** What the values are: probabilities in [0, 1] (default) or logits `log(p / (1 − p))`. */
  input: CalibrationInput;
  /** Smallest temperature searched. Default 1e-2. */
  minTemperature: number;
  /** Largest temperature searched. Default 1e2. */
  maxTemperature: number;
}

/** Defaults of {@link TemperatureOptions}. */
export const DEFAULT_TEMPERATURE_OPTIONS: TemperatureOptions = {
  input: 'probability',
  minTemperature: 1e-2,
  maxTemperature: 1e2,
};

/** A fitted temperature and the validation log-loss before and after it. */
export interface TemperatureFit {
  /** The temperature T: calibrated probability = `sigmoid(logit / T)`; above 1 softens overconfident scores. */
  temperature: number;
  /** Mean binary log-loss (natural log) of the values as given (T = 1). */
  logLossBefore: number;
  /** Mean binary log-loss at `temperature`; never above `logLossBefore`. */
  logLossAfter: number;
  /** Number of samples fitted. */
  n: number;
}

const MAX_LOGIT = Math.log((1 - PROBABILITY_EPSILON) / PROBABILITY_EPSILON);

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

function checkProbability(fn: string, p: number, i: number): void {
  if (!(p >= 0 && p <= 1)) {
    throw new ModelError(`${fn}: probability ${i} is ${p}, outside [0, 1]`);
  }
}

/** Clamped binary logit of a probability. */
function logit(p: number): number {
  const q = Math.min(1 - PROBABILITY_EPSILON, Math.max(PROBABILITY_EPSILON, p));
  return Math.log(q / (1 - q));
}

function checkLengths(fn: string, values: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (labels.length !== values.length) {
    throw new ModelError(`${fn}: ${values.length} values but ${labels.length} labels`);
  }
  if (values.length === 0) throw new ModelError(`${fn}: no values`);
}

/** Logits from probabilities or logits, clamped alike so both inputs fit the same curve. */
function toLogits(fn: string, values: ArrayLike<number>, input: CalibrationInput): Float64Array {
  const z = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (input === 'probability') {
      checkProbability(fn, v, i);
      z[i] = logit(v);
    } else {
      if (Number.isNaN(v)) throw new ModelError(`${fn}: logit ${i} is NaN`);
      z[i] = Math.min(MAX_LOGIT, Math.max(-MAX_LOGIT, v));
    }
  }
  return z;
}

/** Mean log-loss of sigmoid(β z) against y: softplus(β z) − y β z, stable for any β z. */
function lossAt(z: Float64Array, y: Uint8Array, beta: number): number {
  let s = 0;
  for (let i = 0; i < z.length; i++) {
    const a = beta * z[i];
    s += softplus(a) - y[i] * a;
  }
  return s / z.length;
}

/**
 * Fit the temperature T minimising the mean binary log-loss of `sigmoid(logit / T)` on
 * **validation** data (never the test data it will be judged on), with
 * `logit = log(p / (1 − p))` of each probability clamped to [1e-7, 1 − 1e-7]. The loss is
 * convex in 1/T, hence unimodal in log T: a golden-section search over log T in
 * [`minTemperature`, `maxTemperature`] brackets the minimum, then Newton steps on 1/T polish
 * it (each step kept only if it lowers the loss). If the result were worse than T = 1 (a
 * minimum outside the range, or flat data), T = 1 is returned, so the fit never raises the
 * validation log-loss. Scaling is monotone: the ranking, hence ROC AUC, does not change.
 *
 * @param values - positive-class probabilities in [0, 1] (or logits with `input: 'logit'`)
 * @param labels - class per sample (1 positive, anything else negative)
 * @param opts - see {@link TemperatureOptions}
 * @throws ModelError on mismatched lengths, no values, NaN or probabilities outside [0, 1];
 *   RangeError on a bad temperature range
 */
export function fitTemperature(
  values: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: Partial<TemperatureOptions> = {},
): TemperatureFit {
  const o = { ...DEFAULT_TEMPERATURE_OPTIONS, ...opts };
  if (!(o.minTemperature > 0 && o.minTemperature <= 1 && o.maxTemperature >= 1)) {
    throw new RangeError(
      `fitTemperature: need 0 < minTemperature <= 1 <= maxTemperature < Infinity, got [${o.minTemperature}, ${o.maxTemperature}]`,
    );
  }
  if (!Number.isFinite(o.maxTemperature)) {
    throw new RangeError(`fitTemperature: maxTemperature must be finite, got ${o.maxTemperature}`);
  }
  checkLengths('fitTemperature', values, labels);
  const z = toLogits('fitTemperature', values, o.input);
  const y = Uint8Array.from({ length: labels.length }, (_, i) => (labels[i] === 1 ? 1 : 0));
  const lossT = (t: number): number => lossAt(z, y, 1 / t);

  // Golden section on u = log T.
  const g = (Math.sqrt(5) - 1) / 2;
  let a = Math.log(o.minTemperature);
  let b = Math.log(o.maxTemperature);
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = lossT(Math.exp(c));
  let fd = lossT(Math.exp(d));
  while (b - a > 1e-6) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = lossT(Math.exp(c));
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = lossT(Math.exp(d));
    }
  }
  let beta = fc <= fd ? Math.exp(-c) : Math.exp(-d);
  let best = Math.min(fc, fd);

  // Newton polish on β = 1/T, where the loss is convex: L' = mean (σ(βz) − y) z, L'' = mean σ(1 − σ) z².
  const betaLo = 1 / o.maxTemperature;
  const betaHi = 1 / o.minTemperature;
  for (let iter = 0; iter < 20; iter++) {
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < z.length; i++) {
      const s = sigmoid(beta * z[i]);
      g1 += (s - y[i]) * z[i];
      g2 += s * (1 - s) * z[i] * z[i];
    }
    if (!(g2 > 0)) break;
    const next = Math.min(betaHi, Math.max(betaLo, beta - g1 / g2));
    const f = lossAt(z, y, next);
    if (!(f < best)) break;
    const step = Math.abs(next - beta);
    beta = next;
    best = f;
    if (step <= 1e-12 * beta) break;
  }
  const before = lossAt(z, y, 1);
  if (!(best < before))
    return { temperature: 1, logLossBefore: before, logLossAfter: before, n: z.length };
  return { temperature: 1 / beta, logLossBefore: before, logLossAfter: best, n: z.length };
}

/**
 * Calibrated probabilities `sigmoid(logit(p) / temperature)`, the logit clamped as in
 * {@link fitTemperature}. Monotone in `p`, so rankings are kept (except that probabilities
 * beyond the clamp, within 1e-7 of 0 or 1, become equal). The input is not mutated.
 *
 * @param probs - positive-class probabilities in [0, 1]
 * @param temperature - a fitted temperature, finite and above 0
 * @throws ModelError on NaN or probabilities outside [0, 1]; RangeError on a bad temperature
 */
export function applyTemperature(probs: ArrayLike<number>, temperature: number): Float64Array {
  if (!(temperature > 0 && Number.isFinite(temperature))) {
    throw new RangeError(
      `applyTemperature: temperature must be finite and above 0, got ${temperature}`,
    );
  }
  const out = new Float64Array(probs.length);
  for (let i = 0; i < probs.length; i++) {
    checkProbability('applyTemperature', probs[i], i);
    out[i] = sigmoid(logit(probs[i]) / temperature);
  }
  return out;
}

/**
 * Mean binary log-loss (natural log) of probabilities against labels, each probability clamped
 * to [1e-7, 1 − 1e-7] (the loss {@link fitTemperature} minimises, at T = 1).
 *
 * @throws ModelError on mismatched lengths, no values, NaN or probabilities outside [0, 1]
 */
export function binaryLogLoss(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths('binaryLogLoss', probs, labels);
  const z = toLogits('binaryLogLoss', probs, 'probability');
  const y = Uint8Array.from({ length: labels.length }, (_, i) => (labels[i] === 1 ? 1 : 0));
  return lossAt(z, y, 1);
}

/** Options of {@link reliabilityDiagram}. */
export interface ReliabilityOptions {
  /** Number of equal-width probability bins over [0, 1]. Default 10. */
  bins: number;
}

/** Defaults of {@link ReliabilityOptions}. */
export const DEFAULT_RELIABILITY_OPTIONS: ReliabilityOptions = { bins: 10 };

/** One bin of a reliability diagram. */
export interface ReliabilityBin {
  /** Lower edge (included). */
  lower: number;
  /** Upper edge (excluded, except 1 in the last bin). */
  upper: number;
  /** Samples whose probability falls in the bin. */
  count: number;
  /** Their mean predicted probability; NaN for an empty bin. */
  meanPredicted: number;
  /** The fraction of them that are positive; NaN for an empty bin. */
  observed: number;
}

/** A reliability diagram and the calibration figures derived from it. */
export interface ReliabilityDiagram {
  /** The bins, lowest probabilities first; their counts sum to `n`. */
  bins: ReliabilityBin[];
  /** Expected calibration error: Σ (count / n) · |observed − meanPredicted| over non-empty bins. */
  ece: number;
  /** Brier score: mean (p − y)². */
  brier: number;
  /** Mean binary log-loss ({@link binaryLogLoss}). */
  logLoss: number;
  /** Number of samples. */
  n: number;
}

/**
 * A reliability diagram of positive-class probabilities: equal-width bins over [0, 1]
 * (`[i/B, (i+1)/B)`, the last one including 1), each with its count, mean predicted probability
 * and observed frequency of positives. A calibrated model's bins lie on the diagonal. Also the
 * expected calibration error (ECE, bin-count weighted), the Brier score and the log-loss.
 *
 * @param probs - positive-class probabilities in [0, 1]
 * @param labels - class per sample (1 positive, anything else negative)
 * @param opts - see {@link ReliabilityOptions}
 * @throws ModelError on mismatched lengths, no values, NaN or probabilities outside [0, 1];
 *   RangeError when `bins` is not a positive integer
 */
export function reliabilityDiagram(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  opts: Partial<ReliabilityOptions> = {},
): ReliabilityDiagram {
  const { bins } = { ...DEFAULT_RELIABILITY_OPTIONS, ...opts };
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(`reliabilityDiagram: bins must be a positive integer, got ${bins}`);
  }
  checkLengths('reliabilityDiagram', probs, labels);
  const n = probs.length;
  const count = new Array<number>(bins).fill(0);
  const sumP = new Array<number>(bins).fill(0);
  const sumY = new Array<number>(bins).fill(0);
  let brier = 0;
  for (let i = 0; i < n; i++) {
    const p = probs[i];
    checkProbability('reliabilityDiagram', p, i);
    const y = labels[i] === 1 ? 1 : 0;
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]++;
    sumP[b] += p;
    sumY[b] += y;
    brier += (p - y) ** 2;
  }
  let ece = 0;
  const out: ReliabilityBin[] = count.map((c, b) => {
    const meanPredicted = c > 0 ? sumP[b] / c : NaN;
    const observed = c > 0 ? sumY[b] / c : NaN;
    if (c > 0) ece += (c / n) * Math.abs(observed - meanPredicted);
    return { lower: b / bins, upper: (b + 1) / bins, count: c, meanPredicted, observed };
  });
  return { bins: out, ece, brier: brier / n, logLoss: binaryLogLoss(probs, labels), n };
}
