/**
 * The training engine (src/model/engine) against TensorFlow.js's pure-JavaScript `cpu` backend,
 * which serves as the reference: gradients for every loss, updates for every optimizer, forward
 * probabilities, thread-count independence, dropout, and the models it declines.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel, resolveModelConfig, ORIGINAL_MODEL_CONFIG } from '../src/model/factory.js';
import { compileEngine } from '../src/model/engine/engine.js';
import { instantiateKernels } from '../src/model/engine/kernel-api.js';
import { planModel } from '../src/model/engine/plan.js';
import { targets } from '../src/model/data.js';
import { sampleLoss } from '../src/model/losses.js';
import { makeOptimizer } from '../src/model/optimizers.js';
import { trainModel } from '../src/model/train.js';
import type { LossName, ModelConfig, OptimizerName } from '../src/model/config.js';
import {
  ODD,
  SOFTMAX,
  WINO,
  batch,
  engineFor,
  engineGradientError,
  maxDiff,
  weightsOf,
} from './helpers/engine-fixtures.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const POINT_ACTIVATIONS = ['sigmoid', 'tanh', 'elu', 'selu'] as const;

/** A network whose conv blocks use `act`: one input channel, pool 2; then 6 to 10 filters. */
function pointActivationConfig(act: (typeof POINT_ACTIVATIONS)[number]): Partial<ModelConfig> {
  return {
    ...SOFTMAX,
    inputShape: [17, 16, 1],
    convBlocks: [
      { filters: 6, kernelSize: 3, poolSize: 2, activation: act },
      { filters: 10, kernelSize: 3, poolSize: 2, activation: act },
    ],
  };
}

describe('training engine: gradients equal the cpu backend', () => {
  const losses: LossName[] = [
    'binaryCrossentropy',
    'categoricalCrossentropy',
    'meanSquaredError',
    'meanAbsoluteError',
    'hinge',
    'squaredHinge',
    'kullbackLeiblerDivergence',
    'poisson',
    'cosineProximity',
  ];
  const cases: [string, Partial<ModelConfig>, LossName][] = [
    ...(['softmax', 'sigmoid'] as const).flatMap((output) =>
      losses.map((loss): [string, Partial<ModelConfig>, LossName] => [
        `${loss}, ${output} output`,
        { ...ODD, output, classes: output === 'sigmoid' ? 2 : 3 },
        loss,
      ]),
    ),
    ['Winograd convolutions, binaryCrossentropy', WINO, 'binaryCrossentropy'],
    ['Winograd convolutions, meanSquaredError', { ...WINO, classes: 4 }, 'meanSquaredError'],
    ['channel-softmax convolutions (the original first layer)', SOFTMAX, 'binaryCrossentropy'],
    [
      'Winograd filter gradients over 4x4 tiles (layers of at least 16 such tiles)',
      {
        ...WINO,
        inputShape: [20, 19, 4],
        convBlocks: [
          { filters: 6, kernelSize: 3, poolSize: 1, activation: 'relu' },
          { filters: 10, kernelSize: 3, poolSize: 2, activation: 'linear' },
        ],
      },
      'binaryCrossentropy',
    ],
    [
      'one-channel input with pool 2 (the default first layer, pooled in one pass)',
      {
        ...SOFTMAX,
        inputShape: [15, 14, 1],
        convBlocks: [
          { filters: 6, kernelSize: 3, poolSize: 2, activation: 'relu' },
          { filters: 9, kernelSize: 3, poolSize: 1, activation: 'relu' },
        ],
      },
      'binaryCrossentropy',
    ],
    // Pointwise activations run after the pooling (they commute with it): the one-channel first
    // layer pooled in one pass, then a Winograd layer whose 6 filters are padded to 8 channels.
    ...POINT_ACTIVATIONS.map((act): [string, Partial<ModelConfig>, LossName] => [
      `${act} convolutions`,
      pointActivationConfig(act),
      'binaryCrossentropy',
    ]),
  ];
  for (const [name, config, loss] of cases) {
    it(name, async () => {
      expect(await engineGradientError(config, loss)).toBeLessThan(2e-5);
    });
  }
});

describe('training engine: optimizers follow tf.train', () => {
  const names: OptimizerName[] = ['sgd', 'adam', 'rmsprop', 'adagrad', 'adadelta', 'adamax'];
  const runs: [OptimizerName, Partial<ModelConfig>, string][] = [
    ...names.map((n): [OptimizerName, Partial<ModelConfig>, string] => [n, ODD, '']),
    // Sigmoid makes padded channels 1/2 unless they are kept 0: over several steps their
    // weights would move and change the real outputs.
    ['adam', pointActivationConfig('sigmoid'), ' (sigmoid convolutions)'],
  ];
  for (const [name, config, what] of runs) {
    it(`${name}: three steps give TensorFlow.js's weights${what}`, async () => {
      const cfg = resolveModelConfig(config);
      const ours = buildModel(cfg);
      const theirs = buildModel(cfg);
      // Adadelta's first steps move each weight by about its gradient times the rate.
      const lr = name === 'adadelta' ? 0.1 : 0.01;
      const e = await engineFor(ours, { optimizer: name, learningRate: lr });
      const opt = makeOptimizer(name, lr);
      for (let s = 0; s < 3; s++) {
        const b = batch(6, cfg.inputShape, cfg.classes, 20 + s);
        await e.step(b.x, b.labels, b.weights, 'categoricalCrossentropy');
        const [, h, w, c] = [6, ...cfg.inputShape];
        tf.tidy(() => {
          const xs = tf.tensor4d(b.x, [6, h, w, c]);
          const ys = targets(b.labels, cfg.classes);
          const ws = tf.tensor1d(b.weights);
          opt.minimize(
            () =>
              tf.div(
                tf.sum(
                  tf.mul(
                    sampleLoss(
                      'categoricalCrossentropy',
                      ys,
                      theirs.apply(xs, { training: true }) as tf.Tensor2D,
                    ),
                    ws,
                  ),
                ),
                6,
              ) as tf.Scalar,
          );
        });
      }
      e.writeWeights(ours);
      await e.close();
      const a = weightsOf(ours);
      const b = weightsOf(theirs);
      const init = weightsOf(buildModel(cfg));
      a.forEach((w, i) => {
        expect(maxDiff(w, b[i])).toBeLessThan(2e-5);
      });
      // The weights moved, so the comparison is not between untouched models.
      expect(maxDiff(a[0], init[0])).toBeGreaterThan(1e-3);
      opt.dispose();
      [ours, theirs].forEach((m) => m.dispose());
    });
  }
});

describe('training engine: forward, threads, dropout', () => {
  for (const [name, config] of [
    ['direct', ODD],
    ['Winograd', WINO],
    ['channel-softmax', SOFTMAX],
  ] as const) {
    it(`gives the probabilities model.predict gives (${name} convolutions)`, async () => {
      const cfg = resolveModelConfig({ ...config, convDropout: 0.3, denseDropout: 0.5 });
      const model = buildModel(cfg);
      const b = batch(11, cfg.inputShape, cfg.classes, 3);
      const e = await engineFor(model, { maxBatch: 4 });
      const ours = await e.forward(b.x, 11);
      await e.close();
      const ref = tf.tidy(
        () =>
          (
            model.predict(tf.tensor4d(b.x, [11, ...cfg.inputShape])) as tf.Tensor
          ).dataSync() as Float32Array,
      );
      expect(ours.length).toBe(11 * cfg.classes);
      expect(maxDiff(ours, ref)).toBeLessThan(1e-6);
      model.dispose();
    });
  }

  // Inference runs its own kernels: one-channel convolutions with the pooling fused (pool 2 in
  // registers, other sizes through a band of rows) and Winograd F(4x4, 3x3) with pools 1, 2, 4.
  const INFERENCE: [string, Partial<ModelConfig>][] = [
    [
      'one-channel pool 2, F(4x4, 3x3) pool 2, odd sizes',
      {
        inputShape: [23, 22, 1],
        convBlocks: [
          { filters: 6, kernelSize: 3, poolSize: 2, activation: 'relu' },
          { filters: 12, kernelSize: 3, poolSize: 2, activation: 'relu' },
        ],
      },
    ],
    [
      'one-channel pool 3, F(4x4, 3x3) pool 1 linear and pool 4',
      {
        inputShape: [30, 29, 1],
        convBlocks: [
          { filters: 5, kernelSize: 3, poolSize: 3, activation: 'relu' },
          { filters: 7, kernelSize: 3, poolSize: 1, activation: 'linear' },
          { filters: 9, kernelSize: 3, poolSize: 4, activation: 'relu' },
        ],
      },
    ],
    [
      'one-channel 5x5 without pooling, then F(4x4, 3x3) over 9 columns',
      {
        inputShape: [12, 13, 1],
        convBlocks: [
          { filters: 8, kernelSize: 5, poolSize: 1, activation: 'linear' },
          { filters: 16, kernelSize: 3, poolSize: 2, activation: 'relu' },
        ],
      },
    ],
  ];
  for (const act of POINT_ACTIVATIONS) {
    INFERENCE.push([`${act} convolutions`, pointActivationConfig(act)]);
  }
  for (const [name, config] of INFERENCE) {
    it(`inference kernels give model.predict's probabilities (${name})`, async () => {
      const cfg = resolveModelConfig({
        ...config,
        convDropout: 0.2,
        denseUnits: 9,
        denseDropout: 0.4,
        classes: 3,
        seed: 9,
      });
      const model = buildModel(cfg);
      const b = batch(9, cfg.inputShape, cfg.classes, 5);
      const e = await engineFor(model, { maxBatch: 4 });
      const ours = await e.forward(b.x, 9);
      await e.close();
      const ref = tf.tidy(
        () =>
          (
            model.predict(tf.tensor4d(b.x, [9, ...cfg.inputShape])) as tf.Tensor
          ).dataSync() as Float32Array,
      );
      expect(maxDiff(ours, ref)).toBeLessThan(1e-6);
      model.dispose();
    });
  }

  it('trains to the same weights on two threads as on one (within float rounding)', async () => {
    const cfg = resolveModelConfig({ ...ODD, convDropout: 0.25, denseDropout: 0.5 });
    const one = buildModel(cfg);
    const two = buildModel(cfg);
    const e1 = await engineFor(one, { optimizer: 'adam', learningRate: 1e-3, threads: 1 });
    const e2 = await engineFor(two, { optimizer: 'adam', learningRate: 1e-3, threads: 2 });
    expect(e2.threads).toBe(2);
    for (let s = 0; s < 4; s++) {
      const b = batch(7, cfg.inputShape, cfg.classes, 40 + s);
      const r1 = await e1.step(b.x, b.labels, b.weights, 'binaryCrossentropy');
      const r2 = await e2.step(b.x, b.labels, b.weights, 'binaryCrossentropy');
      expect(r2.loss).toBeCloseTo(r1.loss, 4);
      expect(r2.correct).toBe(r1.correct);
    }
    e1.writeWeights(one);
    e2.writeWeights(two);
    await Promise.all([e1.close(), e2.close()]);
    const a = weightsOf(one);
    weightsOf(two).forEach((w, i) => expect(maxDiff(w, a[i])).toBeLessThan(1e-5));
    [one, two].forEach((m) => m.dispose());
  });

  it('dropout keeps a share 1 - rate of the values, scaled by 1 / (1 - rate), by seed', async () => {
    const memory = new WebAssembly.Memory({ initial: 8, maximum: 8 });
    const k = instantiateKernels(await compileEngine(false), memory);
    const f32 = new Float32Array(memory.buffer);
    const n = 40000;
    const draw = (seed: number, rate: number): Float32Array => {
      f32.fill(1, 0, n);
      const keep = Math.fround(1 - rate);
      k.dropout(0, n, seed, Math.ceil(rate * 2 ** 24), Math.fround(1 / keep), 4 * n);
      return f32.slice(n, 2 * n);
    };
    for (const rate of [0.25, 0.5]) {
      const a = draw(7, rate);
      const kept = a.filter((v) => v !== 0);
      expect(Math.abs(kept.length / n - (1 - rate))).toBeLessThan(0.01);
      expect(new Set(kept)).toEqual(new Set([Math.fround(1 / Math.fround(1 - rate))]));
      expect(draw(7, rate)).toEqual(a);
      expect(draw(8, rate)).not.toEqual(a);
    }
    expect(draw(7, 0).every((v) => v === 1)).toBe(true);
  });

  it('draws new dropout masks every step', async () => {
    const cfg = resolveModelConfig({
      inputShape: [3, 3, 1],
      convBlocks: [{ filters: 8, kernelSize: 1, poolSize: 1, activation: 'relu' }],
      convDropout: 0,
      denseUnits: 64,
      denseDropout: 0.5,
      classes: 2,
    });
    const model = buildModel(cfg);
    const b = batch(8, cfg.inputShape, 2, 5);
    const e = await engineFor(model, { learningRate: 0, maxBatch: 8 });
    const first = await e.step(b.x, b.labels, b.weights, 'binaryCrossentropy');
    const second = await e.step(b.x, b.labels, b.weights, 'binaryCrossentropy');
    // Learning rate 0 keeps the weights: only the masks differ between the two steps.
    expect(second.loss).not.toBe(first.loss);
    await e.close();
    model.dispose();
  });
});

describe('training engine: which models it runs', () => {
  it('plans the default network and declines what it cannot run, saying why', () => {
    const plain = buildModel(resolveModelConfig({}));
    const plan = planModel(plain);
    expect(typeof plan).toBe('object');
    if (typeof plan === 'object') {
      expect(plan.convs.map((c) => [c.oh, c.ph, c.cop])).toEqual([
        [98, 49, 32],
        [47, 23, 64],
      ]);
      expect(plan.dense.map((d) => [d.inputs, d.units])).toEqual([
        [33856, 128],
        [128, 2],
      ]);
    }
    // The original pipeline's network, softmax first layer and all, runs too.
    const original = buildModel(resolveModelConfig(ORIGINAL_MODEL_CONFIG));
    const op = planModel(original);
    expect(typeof op === 'object' && op.convs.map((c) => c.softmax)).toEqual([true, false]);
    // Every activation ModelConfig offers runs; others do not.
    for (const act of ['relu', 'linear', 'softmax', ...POINT_ACTIVATIONS] as const) {
      const m = buildModel(
        resolveModelConfig({
          ...ODD,
          convBlocks: [{ filters: 4, kernelSize: 3, poolSize: 2, activation: act }],
        }),
      );
      expect(typeof planModel(m)).toBe('object');
      m.dispose();
    }
    const softplus = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [8, 8, 1],
          filters: 4,
          kernelSize: 3,
          activation: 'softplus',
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    expect(planModel(softplus)).toMatch(/activation 'softplus'/);
    const same = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, padding: 'same' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    expect(planModel(same)).toMatch(/padding is not 'valid'/);
    const bn = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3 }),
        tf.layers.batchNormalization(),
        tf.layers.flatten(),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    expect(planModel(bn)).toMatch(/BatchNormalization/);
    [plain, original, softplus, same, bn].forEach((m) => m.dispose());
  });

  it('trainModel falls back to TensorFlow.js for a model the engine declines, and says so', async () => {
    // Every activation ModelConfig offers runs on the engine: softplus, which it does not, is
    // declined.
    const cfg = resolveModelConfig(ODD);
    const model = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: cfg.inputShape,
          filters: 4,
          kernelSize: 3,
          activation: 'softplus',
        }),
        tf.layers.flatten(),
        tf.layers.dense({ units: cfg.classes, activation: 'softmax' }),
      ],
    });
    const b = batch(4, cfg.inputShape, cfg.classes, 9);
    const data = {
      images: b.x,
      shape: [4, ...cfg.inputShape] as [number, number, number, number],
      labels: b.labels,
    };
    const h = await trainModel(model, data, { epochs: 1, batchSize: 2 });
    expect(h.engineThreads).toBeUndefined();
    expect(h.engineSkipped).toMatch(/softplus/);
    const plain = buildModel(resolveModelConfig(ODD));
    const h2 = await trainModel(plain, data, { epochs: 1, batchSize: 2, threads: 1 });
    expect(h2.engineThreads).toBe(1);
    const h3 = await trainModel(plain, data, { epochs: 1, batchSize: 2, engine: false });
    expect(h3.engineSkipped).toBe('engine: false');
    [model, plain].forEach((m) => m.dispose());
  });
});
