import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { currentBackend } from './backend.js';
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from './config.js';

/**
 * The original pipeline's network as its code actually built it: the `activation` argument
 * (softmax) went to the first convolution as well, so that layer applied a softmax across its 32
 * channels at every pixel. Kept so the original can be reproduced; the default
 * ({@link DEFAULT_MODEL_CONFIG}) uses ReLU there, as the thesis describes the network.
 */
export const ORIGINAL_MODEL_CONFIG: ModelConfig = {
  ...DEFAULT_MODEL_CONFIG,
  convBlocks: [
    { ...DEFAULT_MODEL_CONFIG.convBlocks[0], activation: 'softmax' },
    ...DEFAULT_MODEL_CONFIG.convBlocks.slice(1),
  ],
};

/** Merges `config` over {@link DEFAULT_MODEL_CONFIG} and checks it; throws `ModelError`. */
export function resolveModelConfig(config: Partial<ModelConfig> = {}): ModelConfig {
  const c: ModelConfig = { ...DEFAULT_MODEL_CONFIG, ...config };
  const bad = (what: string): never => {
    throw new ModelError(`invalid model config: ${what}`);
  };
  if (c.inputShape.length !== 3 || c.inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    bad(
      `inputShape must be three positive integers [height, width, channels], got ${JSON.stringify(c.inputShape)}`,
    );
  }
  if (c.convBlocks.length === 0) bad('convBlocks is empty');
  let [h, w] = c.inputShape;
  c.convBlocks.forEach((b, i) => {
    for (const k of ['filters', 'kernelSize', 'poolSize'] as const) {
      if (!Number.isInteger(b[k]) || b[k] < 1)
        bad(`convBlocks[${i}].${k} must be a positive integer`);
    }
    h = Math.floor((h - b.kernelSize + 1) / b.poolSize);
    w = Math.floor((w - b.kernelSize + 1) / b.poolSize);
    if (h < 1 || w < 1) {
      bad(`convBlocks[${i}] shrinks the ${c.inputShape[0]}x${c.inputShape[1]} input to nothing`);
    }
  });
  for (const k of ['convDropout', 'denseDropout'] as const) {
    if (!(c[k] >= 0 && c[k] < 1)) bad(`${k} must be in [0, 1), got ${c[k]}`);
  }
  if (!Number.isInteger(c.denseUnits) || c.denseUnits < 1)
    bad('denseUnits must be a positive integer');
  if (!Number.isInteger(c.classes) || c.classes < 2) bad('classes must be an integer >= 2');
  if (c.output === 'sigmoid' && c.classes !== 2) bad('output "sigmoid" needs classes = 2');
  return c;
}

/**
 * Builds the CNN that `config` describes (defaults: the original pipeline's network, 4,352,770
 * parameters for a 100x100x1 input): per block a valid-padded stride-1 Conv2D and a MaxPool,
 * then Dropout, Flatten, a ReLU Dense layer, Dropout, and a softmax (`classes` units) or sigmoid
 * (one unit) output. Weights are Glorot-uniform from `config.seed`, biases zero, so one seed gives
 * one initial model (dropout masks stay random: a fixed dropout seed would repeat one mask every
 * step). Runs on the host's TensorFlow.js backend, which it does not change.
 *
 * @throws ModelError when the config is inconsistent (e.g. blocks shrink the input to nothing).
 */
export async function createModel(config: Partial<ModelConfig> = {}): Promise<tf.LayersModel> {
  await currentBackend();
  return buildModel(resolveModelConfig(config));
}

/** Synchronous core of {@link createModel} for callers that already chose a backend. */
export function buildModel(c: ModelConfig): tf.Sequential {
  let seed = c.seed;
  const init = (): ReturnType<typeof tf.initializers.glorotUniform> =>
    tf.initializers.glorotUniform({ seed: seed++ });
  const model = tf.sequential({ name: 'alma_cnn' });
  c.convBlocks.forEach((b, i) => {
    model.add(
      tf.layers.conv2d({
        ...(i === 0 ? { inputShape: c.inputShape } : {}),
        filters: b.filters,
        kernelSize: b.kernelSize,
        activation: b.activation,
        padding: 'valid',
        kernelInitializer: init(),
        name: `conv${i + 1}`,
      }),
    );
    if (b.poolSize > 1) {
      model.add(tf.layers.maxPooling2d({ poolSize: b.poolSize, name: `pool${i + 1}` }));
    }
  });
  model.add(tf.layers.dropout({ rate: c.convDropout, name: 'conv_dropout' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(
    tf.layers.dense({
      units: c.denseUnits,
      activation: 'relu',
      kernelInitializer: init(),
      name: 'dense',
    }),
  );
  model.add(tf.layers.dropout({ rate: c.denseDropout, name: 'dense_dropout' }));
  model.add(
    tf.layers.dense({
      units: c.output === 'sigmoid' ? 1 : c.classes,
      activation: c.output,
      kernelInitializer: init(),
      name: 'output',
    }),
  );
  return model;
}
