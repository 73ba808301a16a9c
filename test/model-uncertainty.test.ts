/**
 * Uncertainty (src/model/uncertainty.ts): MC dropout on the engine (its resumed passes against
 * full training forwards, seeds, threads) and through TensorFlow.js, and ensembles against
 * `predict` of each member.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import { ModelError } from '../src/core/errors.js';
import type { ModelConfig } from '../src/model/config.js';
import { mix32 } from '../src/core/random.js';
import type { EngineCore } from '../src/model/engine/core.js';
import { TrainingEngine, type EngineTeam } from '../src/model/engine/engine.js';
import { createModel } from '../src/model/factory.js';
import { predict } from '../src/model/predict.js';
import { predictWithUncertainty } from '../src/model/uncertainty.js';

const S = 20;
const N = 6;

const config = (dropout: boolean, seed = 7): Partial<ModelConfig> => ({
  inputShape: [S, S, 1],
  convBlocks: [
    { filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' },
    { filters: 8, kernelSize: 3, poolSize: 1, activation: 'relu' },
  ],
  convDropout: dropout ? 0.25 : 0,
  denseUnits: 32,
  denseDropout: dropout ? 0.5 : 0,
  seed,
});

function images(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * S * S }, () => rng.normal());
}

/** A model the engine declines (batch normalisation), so MC dropout goes through TensorFlow.js. */
function tfjsModel(): tf.LayersModel {
  const m = tf.sequential();
  m.add(
    tf.layers.conv2d({
      inputShape: [S, S, 1],
      filters: 4,
      kernelSize: 3,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(tf.layers.batchNormalization());
  m.add(tf.layers.flatten());
  m.add(tf.layers.dropout({ rate: 0.5 }));
  m.add(
    tf.layers.dense({
      units: 16,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  m.add(tf.layers.dropout({ rate: 0.3 }));
  m.add(
    tf.layers.dense({
      units: 2,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
    }),
  );
  return m;
}

describe('MC dropout on the engine', () => {
  it('gives std 0 and the plain score for a model without dropout', async () => {
    const model = await createModel(config(false));
    const x = images(N, 1);
    const r = await predictWithUncertainty(model, x, { samples: 5, returnSamples: true });
    const plain = await predict(model, x);
    expect(r.samples).toHaveLength(5 * N);
    for (let i = 0; i < N; i++) {
      expect(r.std[i]).toBe(0);
      expect(r.mean[i]).toBeCloseTo(plain[i], 6);
    }
    model.dispose();
  });

  it('spreads the scores of a model with dropout around its plain score, the same for one seed', async () => {
    const model = await createModel(config(true));
    const x = images(N, 2);
    const a = await predictWithUncertainty(model, x, { samples: 40, seed: 3 });
    const b = await predictWithUncertainty(model, x, { samples: 40, seed: 3 });
    const c = await predictWithUncertainty(model, x, { samples: 40, seed: 4 });
    const plain = await predict(model, x);
    expect(b.mean).toEqual(a.mean);
    expect(b.std).toEqual(a.std);
    expect(c.mean).not.toEqual(a.mean);
    for (let i = 0; i < N; i++) {
      expect(a.std[i]).toBeGreaterThan(1e-3);
      // Dropout's inference scaling makes the plain score the mean of the pre-activations, not
      // of the probabilities, so the two agree to well within the spread.
      expect(Math.abs(a.mean[i] - plain[i])).toBeLessThan(Math.max(0.02, a.std[i]));
    }
    model.dispose();
  });

  it('gives the same samples on one thread as on two', async () => {
    const model = await createModel(config(true));
    const x = images(N, 3);
    const one = await predictWithUncertainty(model, x, {
      samples: 4,
      threads: 1,
      returnSamples: true,
    });
    const two = await predictWithUncertainty(model, x, {
      samples: 4,
      threads: 2,
      returnSamples: true,
    });
    const s1 = one.samples as Float32Array;
    const s2 = two.samples as Float32Array;
    for (let j = 0; j < s1.length; j++) expect(s2[j]).toBeCloseTo(s1[j], 6);
    model.dispose();
  });

  it('resumed passes equal full training forwards with the same masks', async () => {
    const model = await createModel(config(true));
    const x = images(N, 4);
    const e = (await TrainingEngine.create(model, {
      threads: 1,
      maxBatch: 4,
      optimizer: 'sgd',
      learningRate: 0,
      seed: 0,
    })) as TrainingEngine;
    const samples = 3;
    const seed = 11;
    const got = await e.forwardDropout(x, N, samples, seed);
    // The same passes without reuse: every layer recomputed, masks from the same seeds.
    const inner = e as unknown as { team: EngineTeam; core: EngineCore };
    const units = 2;
    const want = new Float32Array(samples * N * units);
    for (let s = 0; s < N; s += 4) {
      const m = Math.min(4, N - s);
      for (let k = 0; k < samples; k++) {
        const probs = new Float32Array(m * units);
        await e.forward(x.subarray(s * S * S), m); // loads the images
        await inner.team.forward(m, { seed: mix32(mix32(seed, k), s), resume: false });
        inner.core.probabilities(0, m, probs);
        want.set(probs, (k * N + s) * units);
      }
    }
    await e.close();
    for (let j = 0; j < want.length; j++) expect(got[j]).toBeCloseTo(want[j], 6);
    // The draws differ from one another.
    expect(got.subarray(0, N * units)).not.toEqual(got.subarray(N * units, 2 * N * units));
    model.dispose();
  });
});

describe('MC dropout through TensorFlow.js', () => {
  it('is seeded, spreads the scores and centres them near the plain score', async () => {
    const model = tfjsModel();
    const x = images(N, 5);
    const a = await predictWithUncertainty(model, x, { samples: 30, seed: 1 });
    const b = await predictWithUncertainty(model, x, { samples: 30, seed: 1 });
    const plain = await predict(model, x);
    expect(b.mean).toEqual(a.mean);
    expect(b.std).toEqual(a.std);
    for (let i = 0; i < N; i++) {
      expect(a.std[i]).toBeGreaterThan(1e-3);
      expect(Math.abs(a.mean[i] - plain[i])).toBeLessThan(Math.max(0.02, a.std[i]));
    }
    model.dispose();
  });

  it('runs the createModel family too when the engine is off, std 0 without dropout', async () => {
    const model = await createModel(config(false));
    const x = images(N, 6);
    const r = await predictWithUncertainty(model, x, { samples: 3, engine: false });
    const plain = await predict(model, x, { engine: false });
    for (let i = 0; i < N; i++) {
      expect(r.std[i]).toBe(0);
      expect(r.mean[i]).toBeCloseTo(plain[i], 6);
    }
    model.dispose();
  });

  it('refuses a model whose layers branch', async () => {
    const input = tf.input({ shape: [S, S, 1] });
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const a = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(flat) as tf.SymbolicTensor;
    const b = tf.layers.dense({ units: 2, activation: 'softmax' }).apply(flat) as tf.SymbolicTensor;
    const model = tf.model({
      inputs: input,
      outputs: tf.layers.average().apply([a, b]) as tf.SymbolicTensor,
    });
    await expect(predictWithUncertainty(model, images(1, 7))).rejects.toThrow(/one chain/);
    model.dispose();
  });
});

describe('ensembles', () => {
  it("give the mean and standard deviation of the members' predict scores", async () => {
    const models = await Promise.all([1, 2, 3].map((seed) => createModel(config(true, seed))));
    const x = images(N, 8);
    const each = await Promise.all(models.map((m) => predict(m, x)));
    const r = await predictWithUncertainty(models, x, { method: 'ensemble', returnSamples: true });
    for (let i = 0; i < N; i++) {
      const v = each.map((s) => s[i]);
      const mu = (v[0] + v[1] + v[2]) / 3;
      const sd = Math.sqrt(v.reduce((a, s) => a + (s - mu) ** 2, 0) / 2);
      expect(r.mean[i]).toBeCloseTo(mu, 6);
      expect(r.std[i]).toBeCloseTo(sd, 6);
      expect(r.samples?.[2 * N + i]).toBeCloseTo(v[2], 6);
    }
    models.forEach((m) => m.dispose());
  });

  it('MC dropout refuses several models, and bad options are named', async () => {
    const models = await Promise.all([1, 2].map((seed) => createModel(config(true, seed))));
    const x = images(1, 9);
    await expect(predictWithUncertainty(models, x)).rejects.toThrow(ModelError);
    await expect(predictWithUncertainty(models[0], x, { samples: 0 })).rejects.toThrow(/samples/);
    models.forEach((m) => m.dispose());
  });
});
