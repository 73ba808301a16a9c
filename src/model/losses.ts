import * as tf from '@tensorflow/tfjs';
import type { LossName } from './config.js';

const EPS = 1e-7;

/**
 * Per-sample loss `[n]` of predictions `p` against targets `y` (both `[n, units]`), with Keras's
 * definitions: probabilities clipped to [1e-7, 1 - 1e-7] before logarithms, hinge losses reading
 * 0/1 targets as -1/+1, and means taken over the output units.
 */
export function sampleLoss(name: LossName, y: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const clipped = (): tf.Tensor2D => tf.clipByValue(p, EPS, 1 - EPS);
    switch (name) {
      case 'binaryCrossentropy': {
        const q = clipped();
        return tf.neg(
          tf.mean(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))), -1),
        );
      }
      case 'categoricalCrossentropy':
        return tf.neg(tf.sum(tf.mul(y, tf.log(clipped())), -1));
      case 'meanSquaredError':
        return tf.mean(tf.squaredDifference(y, p), -1);
      case 'meanAbsoluteError':
        return tf.mean(tf.abs(tf.sub(y, p)), -1);
      case 'hinge':
      case 'squaredHinge': {
        const sign = tf.sub(tf.mul(y, 2), 1);
        const h = tf.relu(tf.sub(1, tf.mul(sign, p)));
        return tf.mean(name === 'hinge' ? h : tf.square(h), -1);
      }
      case 'kullbackLeiblerDivergence': {
        const yc = tf.clipByValue(y, EPS, 1);
        return tf.sum(tf.mul(yc, tf.log(tf.div(yc, clipped()))), -1);
      }
      case 'poisson':
        return tf.mean(tf.sub(p, tf.mul(y, tf.log(tf.add(p, EPS)))), -1);
      case 'cosineProximity':
        return tf.neg(
          tf.sum(
            tf.mul(
              tf.div(y, tf.add(tf.norm(y, 2, -1, true), EPS)),
              tf.div(p, tf.add(tf.norm(p, 2, -1, true), EPS)),
            ),
            -1,
          ),
        );
    }
  }) as tf.Tensor1D;
}

/** Per-sample correctness (1 or 0) `[n]`: argmax match, or `p >= 0.5` for one sigmoid unit. */
export function sampleCorrect(y: tf.Tensor2D, p: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    if (p.shape[1] === 1) {
      return tf.equal(tf.greaterEqual(p, 0.5).toFloat(), y).toFloat().reshape([p.shape[0]]);
    }
    return tf.equal(tf.argMax(p, -1), tf.argMax(y, -1)).toFloat();
  }) as tf.Tensor1D;
}
