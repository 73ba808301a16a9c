import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import type { OptimizerName } from './config.js';
import { ADAM_UPDATE_KERNEL } from './kernels.js';

/** The parts of `tf.AdamOptimizer` that its declaration keeps private. */
interface AdamState {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

/**
 * `tf.train.adam` whose update runs as one fused kernel per variable where the backend has it
 * (the WASM backend with this library's kernels), and as the stock optimizer elsewhere. Same
 * results to float32 rounding, same state layout (`getWeights`/`setWeights` interoperate).
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /** @param learningRate - step size; betas and epsilon are tfjs's defaults. */
  constructor(learningRate: number) {
    super(learningRate, 0.9, 0.999);
  }

  /** Applies one Adam step (fused where the backend supports it). */
  override applyGradients(
    variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0],
  ): void {
    if (tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) === undefined) {
      super.applyGradients(variableGradients);
      return;
    }
    const st = this as unknown as AdamState;
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const t = this.iterations + 1;
    const attrs = {
      lr: st.learningRate,
      beta1: st.beta1,
      beta2: st.beta2,
      epsilon: st.epsilon,
      c1: 1 - st.beta1 ** t,
      c2: 1 - st.beta2 ** t,
    };
    list.forEach(({ name, tensor: g }, i) => {
      const value = tf.engine().registeredVariables[name];
      st.accumulatedFirstMoment[i] ??= {
        originalName: `${name}/m`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      st.accumulatedSecondMoment[i] ??= {
        originalName: `${name}/v`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
      };
      if (g == null) return;
      const m = st.accumulatedFirstMoment[i].variable;
      const v = st.accumulatedSecondMoment[i].variable;
      const [x1, m1, v1] = tf
        .engine()
        .runKernel(ADAM_UPDATE_KERNEL, { x: value, g, m, v }, attrs) as tf.Tensor[];
      value.assign(x1);
      m.assign(m1);
      v.assign(v1);
      tf.dispose([x1, m1, v1]);
    });
    tf.tidy(() => {
      st.accBeta1.assign(tf.mul(st.accBeta1, st.beta1));
      st.accBeta2.assign(tf.mul(st.accBeta2, st.beta2));
    });
    this.incrementIterations();
  }
}

/** Builds the named optimizer (Keras names; tfjs defaults apart from the learning rate). */
export function makeOptimizer(name: OptimizerName, learningRate: number): tf.Optimizer {
  switch (name) {
    case 'adam':
      return new FusedAdamOptimizer(learningRate);
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
