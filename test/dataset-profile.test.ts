import { describe, expect, it } from 'vitest';
import {
  dustInWind,
  originalDustInWind,
  profileHash,
  resolveProfile,
  resolveSavedProfile,
} from '../src/dataset/index.js';
import { DEFAULT_MODEL_CONFIG, DEFAULT_TRAIN_CONFIG } from '../src/model/config.js';

describe('originalDustInWind', () => {
  it("carries the original pipeline's choices", () => {
    const o = originalDustInWind;
    expect(o.preprocess).toMatchObject({
      searchFraction: 0.5,
      cropSize: 400,
      inputSize: 100,
    });
    expect(o.positive).toMatchObject({
      flips: true,
      geometricMeanPairs: true,
      maxPairs: Infinity,
    });
    expect(o.train).toMatchObject({
      batchSize: 2,
      epochs: 30,
      optimizer: 'adam',
      learningRate: 1e-3,
    });
    expect(o.model.inputShape).toEqual(DEFAULT_MODEL_CONFIG.inputShape);
    expect(o.train.batchSize).toBe(DEFAULT_TRAIN_CONFIG.batchSize);
  });
});

describe('dustInWind', () => {
  it('carries the recipe chosen by measurement: 48x48 input spanning 24 beams, S/N scaling, four conv blocks, early stopping', () => {
    const d = dustInWind;
    expect(d.preprocess).toMatchObject({
      searchFraction: 0.5,
      cropSize: 48,
      inputSize: 48,
      inputMode: 'resize',
      normalize: 'snr',
      sky: { unit: 'beam', width: 24 },
    });
    expect(d.positive).toMatchObject({
      align: 'principal-axis',
      flips: false,
      geometricMeanPairs: false,
    });
    expect(d.model.inputShape).toEqual([48, 48, 1]);
    expect(d.model.convBlocks?.map((b) => b.filters)).toEqual([16, 32, 64, 128]);
    expect(d.model.denseUnits).toBe(64);
    expect(d.train).toMatchObject({
      optimizer: 'adam',
      learningRate: 2e-3,
      batchSize: 32,
      epochs: 20,
      learningRateSchedule: 'cosine',
      augment: { dihedral: 'flips', rotation: 5, noise: 0.5 },
    });
    expect(d.train.earlyStopping).toMatchObject({ monitor: 'valLoss', restoreBestWeights: true });
  });
  it('is a fixed point of resolveProfile and survives a JSON round trip except for Infinity', () => {
    expect(resolveProfile(dustInWind)).toEqual(dustInWind);
    const json = JSON.parse(JSON.stringify(dustInWind));
    expect(json.positive.maxPairs).toBeNull();
    expect(resolveProfile(json)).toEqual(dustInWind);
  });
});

describe('resolveProfile', () => {
  it('fills a partial profile one level deep and derives the model input shape', () => {
    const p = resolveProfile({ name: 'spirals', preprocess: { cropSize: 600, inputSize: 128 } });
    expect(p.preprocess.searchFraction).toBe(0.5);
    expect(p.preprocess.cropSize).toBe(600);
    expect(p.model.inputShape).toEqual([128, 128, 1]);
    expect(p.model.classes).toBe(2);
    expect(p.train.epochs).toBe(20);
    expect(p.train.learningRateSchedule).toBe('cosine');
    expect(p.train.earlyStopping).toEqual(dustInWind.train.earlyStopping);
    expect(p.preprocess.sky).toEqual({ unit: 'beam', width: 24 });
  });
  it("carries the base's architecture while inputShape and classes follow the profile's own sizes", () => {
    // Over the default: its four conv blocks and dense layer, at the new input size.
    const p = resolveProfile({ preprocess: { cropSize: 96, inputSize: 48 } });
    expect(p.model.convBlocks).toEqual(dustInWind.model.convBlocks);
    expect(p.model.denseUnits).toBe(dustInWind.model.denseUnits);
    expect(p.model.inputShape).toEqual([48, 48, 1]);
    // Three classes: the base's classes count is not carried either.
    const three = resolveProfile({ classes: ['a', 'b', 'c'] });
    expect(three.model.classes).toBe(3);
    expect(three.model.convBlocks).toEqual(dustInWind.model.convBlocks);
    // A given architecture replaces the base's.
    const blocks = [{ filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' as const }];
    expect(resolveProfile({ model: { convBlocks: blocks } }).model.convBlocks).toEqual(blocks);
    // Over the original: no architecture of its own, so the model defaults (the thesis's) apply.
    const o = resolveProfile({ preprocess: { inputSize: 50 } }, originalDustInWind);
    expect(o.model).toEqual({ inputShape: [50, 50, 1], classes: 2 });
    expect(o.train.epochs).toBe(30);
    expect(o.preprocess.sky).toBeNull();
  });
  it('does not mutate its input', () => {
    const input = {
      preprocess: { inputSize: 32 },
      positive: { maxPairs: null as unknown as number },
    };
    const copy = JSON.parse(JSON.stringify(input));
    resolveProfile(input);
    expect(input).toEqual(copy);
  });
  it('names the offending field in RangeError and TypeError messages', () => {
    expect(() => resolveProfile({ preprocess: { inputSize: 500 } })).toThrow(
      /profile\.preprocess\.inputSize/,
    );
    expect(() => resolveProfile({ preprocess: { searchFraction: 0 } })).toThrow(RangeError);
    expect(() => resolveProfile({ preprocess: { searchFraction: 0 } })).toThrow(/searchFraction/);
    expect(() => resolveProfile({ classes: ['only'] })).toThrow(/profile\.classes/);
    expect(() => resolveProfile({ threshold: 2 })).toThrow(/profile\.threshold/);
    expect(() => resolveProfile({ positive: { align: 'sideways' as never } })).toThrow(
      /profile\.positive\.align/,
    );
    expect(() =>
      resolveProfile({ positive: { align: { angles: { 'a.fits': 'x' as never } } } }),
    ).toThrow(TypeError);
    expect(() => resolveProfile({ linear: { classes: ['spiral'] } })).toThrow(
      /profile\.linear\.classes/,
    );
    // The default input is 64 px, the original's 100 px: a shape of the other one is refused.
    expect(() => resolveProfile({ model: { inputShape: [100, 100, 1] } })).toThrow(
      /profile\.model\.inputShape/,
    );
    expect(() =>
      resolveProfile({ model: { inputShape: [64, 64, 1] } }, originalDustInWind),
    ).toThrow(/profile\.model\.inputShape/);
    expect(() => resolveProfile({ name: '' })).toThrow(TypeError);
  });
});

describe('profileHash', () => {
  it('ignores key order and changes with any value', () => {
    const a = resolveProfile({ name: 'x', threshold: 0.7 });
    const b = JSON.parse(JSON.stringify(a)) as typeof a;
    const reordered = Object.fromEntries(Object.entries(b).reverse()) as typeof a;
    reordered.positive.maxPairs = Infinity;
    expect(profileHash(reordered)).toBe(profileHash(a));
    expect(profileHash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(profileHash(resolveProfile({ name: 'x', threshold: 0.71 }))).not.toBe(profileHash(a));
    expect(
      profileHash(resolveProfile({ name: 'x', threshold: 0.7, preprocess: { cropSize: 401 } })),
    ).not.toBe(profileHash(a));
  });
});

describe('resolveSavedProfile', () => {
  it('prepares a model saved before sky crops as it was trained (pixel crops), a new one by its own profile', () => {
    // What a model saved by an earlier version recorded: a whole profile without preprocess.sky.
    const { sky: _sky, ...oldPreprocess } = originalDustInWind.preprocess;
    const old = resolveSavedProfile({ ...originalDustInWind, preprocess: oldPreprocess });
    expect(old.preprocess.sky).toBeNull();
    expect(old.preprocess.inputSize).toBe(100);
    expect(old.preprocess.normalize).toBe('minmax');
    const now = resolveSavedProfile(JSON.parse(JSON.stringify(dustInWind)));
    expect(now.preprocess.sky).toEqual({ unit: 'beam', width: 24 });
    expect(now.model.convBlocks).toEqual(dustInWind.model.convBlocks);
    expect(resolveSavedProfile(undefined).name).toBe(dustInWind.name);
  });
  it('keeps a constant learning rate, and the hash, for a profile saved before the cosine default', () => {
    // What a model or dataset saved by the previous version recorded: 25 epochs, no schedule key.
    const { learningRateSchedule: _schedule, ...oldTrain } = dustInWind.train;
    const old = { ...dustInWind, train: { ...oldTrain, epochs: 25 } };
    const hashWhenSaved = profileHash(old);
    const resolved = resolveSavedProfile(JSON.parse(JSON.stringify(old)));
    expect(resolved.train.learningRateSchedule).toBeUndefined();
    expect(resolved.train.epochs).toBe(25);
    expect(profileHash(resolved)).toBe(hashWhenSaved);
    // A profile saved with a schedule keeps it.
    expect(
      resolveSavedProfile(JSON.parse(JSON.stringify(dustInWind))).train.learningRateSchedule,
    ).toBe('cosine');
  });
});

describe('early-stopping monitor spelling', () => {
  it("reads a saved profile's val_loss as valLoss, with the same hash", () => {
    const saved = JSON.parse(JSON.stringify(dustInWind));
    saved.train.earlyStopping.monitor = 'val_loss';
    const resolved = resolveSavedProfile(saved);
    expect(resolved.train.earlyStopping?.monitor).toBe('valLoss');
    expect(resolved).toEqual(dustInWind);
    // Hashes recorded before the rename (computed over 'val_loss') still match.
    expect(profileHash(resolved)).toBe(profileHash(dustInWind));
    expect(profileHash(dustInWind)).toBe(
      profileHash({
        ...dustInWind,
        train: {
          ...dustInWind.train,
          earlyStopping: { ...dustInWind.train.earlyStopping!, monitor: 'val_loss' as never },
        },
      }),
    );
    const acc = resolveProfile({
      train: { earlyStopping: { monitor: 'val_acc' as never, patience: 2, minDelta: 0 } },
    });
    expect(acc.train.earlyStopping?.monitor).toBe('valAcc');
  });
});

describe('test-time augmentation (profile.tta)', () => {
  it('the default averages over the four flips; the original recipe scores one pass', () => {
    expect(dustInWind.tta).toBe('flips');
    expect(originalDustInWind.tta).toBeUndefined();
    expect(resolveProfile({}).tta).toBe('flips');
    expect(resolveProfile({ tta: 'none' }).tta).toBe('none');
    expect(resolveProfile({ tta: 'dihedral' }).tta).toBe('dihedral');
  });

  it('refuses another name, naming the field', () => {
    expect(() => resolveProfile({ tta: 'sideways' as never })).toThrow(/tta/);
  });

  it('a saved profile without tta (saved before it existed) keeps one pass and its hash', () => {
    const { tta: _tta, ...old } = dustInWind;
    const hashWhenSaved = profileHash(old);
    const resolved = resolveSavedProfile(JSON.parse(JSON.stringify(old)));
    expect(resolved.tta).toBeUndefined();
    expect(profileHash(resolved)).toBe(hashWhenSaved);
    expect(resolveSavedProfile(JSON.parse(JSON.stringify(dustInWind))).tta).toBe('flips');
  });
});
