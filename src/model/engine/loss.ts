/**
 * The output activation, loss and their gradient for one sample, in JavaScript (a few numbers
 * per image): the engine computes the output layer's pre-activation in WebAssembly and hands it
 * here. Each loss follows `losses.ts` (Keras's definitions) and its gradient is the one
 * TensorFlow.js's autodiff takes through those operations, clipping included: where a clip is
 * active the gradient is zero.
 *
 * Browser-safe, and free of TensorFlow.js so that worker threads need not load it.
 */
import type { LossName } from '../config.js';

const EPS = 1e-7;

/** What {@link sampleLossGrad} returns besides filling `dz`. */
export interface SampleResult {
  /** The sample's loss (unweighted). */
  loss: number;
  /** 1 when the prediction's class equals the label, else 0. */
  correct: number;
}

/** Output activation of `z` into `p` (both length U). */
export function activate(
  act: 'softmax' | 'sigmoid' | 'linear',
  z: ArrayLike<number>,
  p: Float64Array,
): void {
  const u = p.length;
  if (act === 'softmax') {
    let max = -Infinity;
    for (let j = 0; j < u; j++) max = Math.max(max, z[j]);
    let sum = 0;
    for (let j = 0; j < u; j++) {
      p[j] = Math.exp(z[j] - max);
      sum += p[j];
    }
    for (let j = 0; j < u; j++) p[j] /= sum;
  } else if (act === 'sigmoid') {
    for (let j = 0; j < u; j++) p[j] = 1 / (1 + Math.exp(-z[j]));
  } else {
    for (let j = 0; j < u; j++) p[j] = z[j];
  }
}

/** dL/dp for loss `name` at prediction p and target y (length U each), written into `dp`. */
function lossAndGrad(name: LossName, y: Float64Array, p: Float64Array, dp: Float64Array): number {
  const u = p.length;
  const clip = (v: number): number => Math.min(Math.max(v, EPS), 1 - EPS);
  const inClip = (v: number): number => (v >= EPS && v <= 1 - EPS ? 1 : 0);
  let loss = 0;
  switch (name) {
    case 'binaryCrossentropy':
      for (let j = 0; j < u; j++) {
        const q = clip(p[j]);
        loss -= (y[j] * Math.log(q) + (1 - y[j]) * Math.log(1 - q)) / u;
        dp[j] = (-(y[j] / q - (1 - y[j]) / (1 - q)) / u) * inClip(p[j]);
      }
      return loss;
    case 'categoricalCrossentropy':
      for (let j = 0; j < u; j++) {
        const q = clip(p[j]);
        loss -= y[j] * Math.log(q);
        dp[j] = (-y[j] / q) * inClip(p[j]);
      }
      return loss;
    case 'meanSquaredError':
      for (let j = 0; j < u; j++) {
        const d = p[j] - y[j];
        loss += (d * d) / u;
        dp[j] = (2 * d) / u;
      }
      return loss;
    case 'meanAbsoluteError':
      for (let j = 0; j < u; j++) {
        const d = y[j] - p[j];
        loss += Math.abs(d) / u;
        // TensorFlow.js's Abs gradient is step(x, -1): -1 at x = 0.
        dp[j] = -(d > 0 ? 1 : -1) / u;
      }
      return loss;
    case 'hinge':
    case 'squaredHinge':
      for (let j = 0; j < u; j++) {
        const s = 2 * y[j] - 1;
        const h = Math.max(0, 1 - s * p[j]);
        const active = 1 - s * p[j] > 0 ? 1 : 0;
        if (name === 'hinge') {
          loss += h / u;
          dp[j] = (-s * active) / u;
        } else {
          loss += (h * h) / u;
          dp[j] = (-2 * h * s * active) / u;
        }
      }
      return loss;
    case 'kullbackLeiblerDivergence':
      for (let j = 0; j < u; j++) {
        const yc = Math.min(Math.max(y[j], EPS), 1);
        const q = clip(p[j]);
        loss += yc * Math.log(yc / q);
        dp[j] = (-yc / q) * inClip(p[j]);
      }
      return loss;
    case 'poisson':
      for (let j = 0; j < u; j++) {
        loss += (p[j] - y[j] * Math.log(p[j] + EPS)) / u;
        dp[j] = (1 - y[j] / (p[j] + EPS)) / u;
      }
      return loss;
    case 'cosineProximity': {
      let ny = 0;
      let np = 0;
      for (let j = 0; j < u; j++) {
        ny += y[j] * y[j];
        np += p[j] * p[j];
      }
      ny = Math.sqrt(ny);
      np = Math.sqrt(np);
      const dyn = ny + EPS;
      const dpn = np + EPS;
      let dot = 0;
      for (let j = 0; j < u; j++) dot += (y[j] / dyn) * p[j];
      for (let j = 0; j < u; j++) {
        // d/dp_j of -(sum_i yn_i p_i) / (|p| + eps).
        const dNorm = np > 0 ? p[j] / np : 0;
        dp[j] = -(y[j] / dyn / dpn - (dot / (dpn * dpn)) * dNorm);
      }
      return -dot / dpn;
    }
  }
}

/**
 * One sample: activates the output layer's pre-activation `z` (length U), computes the loss
 * against class `label`, and writes `scale` times the loss gradient with respect to `z` into
 * `dz`. `p` and `dp` are scratch arrays of length U.
 */
export function sampleLossGrad(
  name: LossName,
  act: 'softmax' | 'sigmoid' | 'linear',
  z: ArrayLike<number>,
  label: number,
  scale: number,
  dz: Float32Array,
  p: Float64Array,
  dp: Float64Array,
  y: Float64Array,
): SampleResult {
  const u = p.length;
  if (u === 1) y[0] = label;
  else for (let j = 0; j < u; j++) y[j] = j === label ? 1 : 0;
  activate(act, z, p);
  const loss = lossAndGrad(name, y, p, dp);
  if (act === 'softmax') {
    let s = 0;
    for (let j = 0; j < u; j++) s += dp[j] * p[j];
    for (let j = 0; j < u; j++) dz[j] = scale * (dp[j] * p[j] - s * p[j]);
  } else if (act === 'sigmoid') {
    for (let j = 0; j < u; j++) dz[j] = scale * dp[j] * p[j] * (1 - p[j]);
  } else {
    for (let j = 0; j < u; j++) dz[j] = scale * dp[j];
  }
  let correct: number;
  if (u === 1) correct = (p[0] >= 0.5 ? 1 : 0) === label ? 1 : 0;
  else {
    let best = 0;
    for (let j = 1; j < u; j++) if (p[j] > p[best]) best = j;
    correct = best === label ? 1 : 0;
  }
  return { loss, correct };
}
