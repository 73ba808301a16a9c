/**
 * `trainModel` refuses loss and optimizer names it does not know (Keras spellings are aliases),
 * and stops with a ModelError when the loss becomes NaN, instead of training on and saving a
 * model that scores NaN.
 */
import { describe, expect, it } from 'vitest';
import { ModelError } from '../src/core/errors.js';
import { createRng } from '../src/core/random.js';
import {
  createModel,
  lossName,
  LOSS_NAMES,
  monitorName,
  optimizerName,
  scheduledLearningRate,
  trainModel,
  type TensorData,
} from '../src/model/index.js';

const SIZE = 12;
function data(n: number): TensorData {
  const r = createRng(3);
  const images = new Float32Array(n * SIZE * SIZE);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < SIZE * SIZE; p++)
      images[i * SIZE * SIZE + p] = (labels[i] ? p % SIZE : 0) / SIZE + 0.1 * r.normal();
  }
  return { images, shape: [n, SIZE, SIZE, 1], labels };
}
const tiny = async () =>
  createModel({
    inputShape: [SIZE, SIZE, 1],
    convBlocks: [{ filters: 2, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    denseUnits: 4,
    seed: 2,
  });

describe('loss and optimizer names', () => {
  it('accepts ours and Keras’s spellings, in any case', () => {
    expect(lossName('binary_crossentropy')).toBe('binaryCrossentropy');
    expect(lossName('BinaryCrossentropy')).toBe('binaryCrossentropy');
    expect(lossName('mse')).toBe('meanSquaredError');
    expect(lossName('kl_divergence')).toBe('kullbackLeiblerDivergence');
    for (const n of LOSS_NAMES) expect(lossName(n)).toBe(n);
    expect(optimizerName('Adam')).toBe('adam');
    expect(optimizerName('RMSprop')).toBe('rmsprop');
    expect(optimizerName('SGD')).toBe('sgd');
  });

  it('refuses others with a ModelError listing the names', () => {
    expect(() => lossName('bogus')).toThrow(ModelError);
    expect(() => lossName('bogus')).toThrow(
      /unknown loss "bogus": use one of binaryCrossentropy, /,
    );
    expect(() => optimizerName('bogus')).toThrow(/unknown optimizer "bogus": use one of adam, sgd/);
  });

  it('trainModel refuses an unknown loss or optimizer before training', async () => {
    const model = await tiny();
    await expect(trainModel(model, data(8), { epochs: 1, loss: 'bogus' as never })).rejects.toThrow(
      /unknown loss "bogus"/,
    );
    await expect(
      trainModel(model, data(8), { epochs: 1, optimizer: 'bogus' as never }),
    ).rejects.toThrow(/unknown optimizer "bogus"/);
    model.dispose();
  });

  it('binary_crossentropy trains exactly as binaryCrossentropy', async () => {
    const losses = [];
    for (const loss of ['binary_crossentropy', 'binaryCrossentropy']) {
      const model = await tiny();
      const h = await trainModel(model, data(8), {
        epochs: 2,
        batchSize: 4,
        loss: loss as never,
        threads: 1,
      });
      losses.push(h.epochs.map((e) => e.loss));
      model.dispose();
    }
    expect(losses[0].every(Number.isFinite)).toBe(true);
    expect(losses[0]).toEqual(losses[1]);
  });
});

describe('a loss that becomes NaN', () => {
  for (const engine of [true, false]) {
    it(`stops training with a ModelError (${engine ? 'training engine' : 'TensorFlow.js'})`, async () => {
      // No dropout: TensorFlow.js draws its masks unseeded, and a draw that silences every unit
      // leaves the weights (and the loss) finite however large the step.
      const model = await createModel({
        inputShape: [SIZE, SIZE, 1],
        convBlocks: [{ filters: 2, kernelSize: 3, poolSize: 2, activation: 'relu' }],
        denseUnits: 4,
        convDropout: 0,
        denseDropout: 0,
        seed: 2,
      });
      const epochs: number[] = [];
      await expect(
        trainModel(model, data(8), {
          epochs: 5,
          batchSize: 4,
          optimizer: 'sgd',
          learningRate: 1e38,
          loss: 'meanSquaredError',
          engine,
          threads: 1,
          onEpochEnd: (e) => epochs.push(e.loss),
        }),
      ).rejects.toThrow(/training diverged: the loss became (NaN|Infinity) in epoch \d/);
      expect(epochs.every(Number.isFinite)).toBe(true);
      model.dispose();
    });
  }
});

describe('option names', () => {
  it('early stopping reads the old monitor spelling (val_loss) as the log key it names', async () => {
    expect(monitorName('val_loss')).toBe('valLoss');
    expect(monitorName('val_acc')).toBe('valAcc');
    expect(monitorName('loss')).toBe('loss');
    expect(() => monitorName('val-loss')).toThrow(/unknown early-stopping monitor "val-loss"/);
    const runs = [];
    for (const monitor of ['val_loss', 'valLoss']) {
      const model = await tiny();
      const h = await trainModel(model, data(8), {
        epochs: 4,
        batchSize: 4,
        threads: 1,
        validationData: data(6),
        earlyStopping: {
          monitor: monitor as never,
          patience: 1,
          minDelta: 10,
          restoreBestWeights: true,
        },
      });
      runs.push({
        epochs: h.epochs.map((e) => e.valLoss),
        best: h.bestEpoch,
        stopped: h.stoppedEarly,
      });
      model.dispose();
    }
    // A minDelta no change reaches: stops after the first epoch's patience, keeping epoch 0.
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0].stopped).toBe(true);
    expect(runs[0].best).toBe(0);
    const model = await tiny();
    await expect(
      trainModel(model, data(8), {
        epochs: 1,
        earlyStopping: { monitor: 'val_acc' as never, patience: 1, minDelta: 0 },
      }),
    ).rejects.toThrow(/monitors 'valAcc' but no validationData/);
    model.dispose();
  });

  it('takes the deprecated workers as threads, threads winning when both are given', async () => {
    const model = await tiny();
    const d = data(8);
    expect(
      (await trainModel(model, d, { epochs: 1, batchSize: 4, workers: 2 })).engineThreads,
    ).toBe(2);
    expect(
      (await trainModel(model, d, { epochs: 1, batchSize: 4, workers: 2, threads: 1 }))
        .engineThreads,
    ).toBe(1);
    expect(
      (await trainModel(model, d, { epochs: 1, batchSize: 4, threads: 2 })).engineThreads,
    ).toBe(2);
    model.dispose();
  });
});

// No dropout: TensorFlow.js draws its masks from an unseeded generator, so two runs of a model
// with dropout differ.
const still = async () =>
  createModel({
    inputShape: [SIZE, SIZE, 1],
    convBlocks: [{ filters: 2, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    denseUnits: 4,
    convDropout: 0,
    denseDropout: 0,
    seed: 2,
  });

describe('learning-rate schedule', () => {
  it('cosine: the full rate first, the floor last, falling in between', () => {
    const cfg = { learningRate: 0.01, epochs: 5, learningRateSchedule: 'cosine' as const };
    const rates = [0, 1, 2, 3, 4].map((e) => scheduledLearningRate(cfg, e));
    expect(rates[0]).toBeCloseTo(0.01, 12);
    expect(rates[4]).toBeCloseTo(0.0005, 12);
    expect(rates[2]).toBeCloseTo(0.01 * (0.05 + 0.95 * 0.5), 12);
    for (let e = 1; e < 5; e++) expect(rates[e]).toBeLessThan(rates[e - 1]);
    expect(scheduledLearningRate({ learningRate: 0.01, epochs: 5 }, 4)).toBe(0.01);
  });

  for (const engine of [true, false]) {
    it(`reaches the optimizer (${engine ? 'training engine' : 'TensorFlow.js'}): a last epoch at rate 0 moves no weight`, async () => {
      const weightsAfter = async (epochs: number): Promise<Float32Array[]> => {
        const model = await still();
        await trainModel(model, data(16), {
          epochs,
          batchSize: 4,
          learningRate: 0.01,
          learningRateSchedule: 'cosine',
          minLearningRateFraction: 0,
          engine,
          threads: 1,
          seed: 5,
        });
        return model.getWeights().map((w) => w.dataSync() as Float32Array);
      };
      const initial = (await still()).getWeights().map((w) => w.dataSync() as Float32Array);
      // Two epochs: the first at 0.01, the second at 0 (the floor), so nothing moves in it.
      const two = await weightsAfter(2);
      expect(two.some((w, i) => w.some((v, j) => v !== initial[i][j]))).toBe(true);
      const model = await still();
      await trainModel(model, data(16), {
        epochs: 1,
        batchSize: 4,
        learningRate: 0.01,
        engine,
        threads: 1,
        seed: 5,
      });
      const one = model.getWeights().map((w) => w.dataSync() as Float32Array);
      for (let i = 0; i < one.length; i++) {
        for (let j = 0; j < one[i].length; j++) expect(two[i][j]).toBeCloseTo(one[i][j], 6);
      }
      await expect(
        trainModel(await still(), data(8), { epochs: 1, learningRateSchedule: 'step' as never }),
      ).rejects.toThrow(/learningRateSchedule/);
    });
  }
});
