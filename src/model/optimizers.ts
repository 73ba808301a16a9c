import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import type { OptimizerName } from './config.js';

/**
 * The named TensorFlow.js optimizer (Keras names; tfjs defaults apart from the learning rate),
 * for models the training engine declines. The engine's own optimizers follow these to float32
 * rounding.
 */
export function makeOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return tf.train.adam(learningRate);
    case 'sgd':
      return tf.train.sgd(learningRate);
    case 'rmsprop':
      return tf.train.rmsprop(learningRate);
    case 'adagrad':
      return tf.train.adagrad(learningRate);
    case 'adadelta':
      return tf.train.adadelta(learningRate);
    case 'adamax':
      return tf.train.adamax(learningRate);
    default:
      throw new ModelError(`unknown optimizer '${String(name)}'`);
  }
}
