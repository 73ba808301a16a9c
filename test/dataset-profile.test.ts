import { describe, expect, it } from 'vitest';
import {
  dustInWind,
  originalDustInWind,
  profileHash,
  resolveProfile,
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
    expect(p.train.epochs).toBe(30);
  });
  it('does not mutate its input', () => {
    const input = {
      preprocess: { inputSize: 64 },
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
    expect(() => resolveProfile({ model: { inputShape: [64, 64, 1] } })).toThrow(
      /profile\.model\.inputShape/,
    );
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
