import { describe, expect, it } from 'vitest';
import { isBaseSample, sourceScores } from '../src/model/source-metrics.js';
import type { SourceSampleInfo } from '../src/model/source-metrics.js';
import { computeMetrics } from '../src/model/metrics.js';
import { ModelError } from '../src/core/errors.js';

const PRE = ['rotate:-12.50', 'crop:400@10,20', 'center-crop:100', 'normalize:minmax'];

function base(source: string, label: number, id = source): SourceSampleInfo {
  return { id, label, source, sources: [source], transforms: [...PRE] };
}
function flip(parent: SourceSampleInfo, how: string): SourceSampleInfo {
  return {
    ...parent,
    id: `${parent.id}:flip-${how}`,
    transforms: [...parent.transforms, `flip:${how}`],
    parents: [parent.id],
  };
}
function linear(parent: SourceSampleInfo, k: number): SourceSampleInfo {
  return {
    ...parent,
    id: `${parent.id}:linear-${k}`,
    transforms: [...PRE.slice(0, 2), 'linear', 'normalize:minmax'],
    parents: [parent.id],
  };
}
function gm(a: SourceSampleInfo, b: SourceSampleInfo): SourceSampleInfo {
  return {
    id: `gm(${a.id}|${b.id})`,
    label: a.label,
    source: a.source,
    sources: [...new Set([...a.sources, ...b.sources])],
    transforms: ['geometric-mean'],
    parents: [a.id, b.id],
  };
}

describe('isBaseSample', () => {
  it('counts preprocessing as the source image and copies as derived', () => {
    const b = base('b335.fits', 1);
    expect(isBaseSample(b)).toBe(true);
    expect(isBaseSample({ ...b, transforms: [...PRE, 'crop:400@1,2:padded', 'resize:100'] })).toBe(
      true,
    );
    expect(isBaseSample(flip(b, 'lr'))).toBe(false);
    expect(isBaseSample(linear(b, 0))).toBe(false);
    expect(isBaseSample(gm(b, flip(b, 'ud')))).toBe(false);
    // augment()'s copies: transform 'linear' and parents; an 'aug' transform also marks a copy.
    expect(isBaseSample({ ...b, transforms: [...PRE, 'aug:3'] })).toBe(false);
    expect(isBaseSample({ ...b, parents: ['x'] })).toBe(false);
  });
});

describe('sourceScores', () => {
  // Positive b335 (base + flips + linear), positive serpens (base + flip), negative cos850 (base
  // + linear), and geometric means within b335 and across b335 and serpens.
  const b = base('b335.fits', 1);
  const s = base('serpens.fits', 1);
  const c = base('cos850.fits', 0);
  const samples = [
    b,
    flip(b, 'lr'),
    flip(b, 'ud'),
    linear(b, 0),
    s,
    flip(s, 'lr'),
    c,
    linear(c, 0),
    gm(b, flip(b, 'lr')),
    gm(b, s),
  ];
  const scores = [0.3, 0.9, 0.8, 0.7, 0.6, 0.2, 0.1, 0.95, 0.5, 0.99];

  it("takes each source's own base-sample score, not its copies'", () => {
    const r = sourceScores(scores, samples);
    expect(r.sources).toEqual([
      { source: 'b335.fits', label: 1, score: 0.3, n: 1, method: 'base' },
      { source: 'serpens.fits', label: 1, score: 0.6, n: 1, method: 'base' },
      { source: 'cos850.fits', label: 0, score: 0.1, n: 1, method: 'base' },
    ]);
    expect([...r.scores]).toEqual([0.3, 0.6, 0.1]);
    expect([...r.labels]).toEqual([1, 1, 0]);
  });

  it('leaves out geometric means of two sources and counts them in skipped', () => {
    expect(sourceScores(scores, samples).skipped).toBe(1);
    // The mean of b335 with its own flip is derived from b335 alone: part of its samples.
    const mean = sourceScores(scores, samples, { how: 'mean' });
    expect(mean.sources[0]).toMatchObject({ n: 5, method: 'mean' });
    expect(mean.sources[0].score).toBeCloseTo((0.3 + 0.9 + 0.8 + 0.7 + 0.5) / 5, 12);
    expect(mean.skipped).toBe(1);
  });

  it("'mean' and 'max' use every sample of the source", () => {
    const max = sourceScores(scores, samples, { how: 'max' });
    expect(max.sources.map((e) => e.score)).toEqual([0.9, 0.6, 0.95]);
    expect(max.sources.every((e) => e.method === 'max')).toBe(true);
    const mean = sourceScores(scores, samples, { how: 'mean' });
    expect(mean.sources[1].score).toBeCloseTo(0.4, 12);
    expect(mean.sources[2].score).toBeCloseTo(0.525, 12);
  });

  it('falls back to the mean over the source when it has no base sample', () => {
    const onlyCopies = [flip(b, 'lr'), flip(b, 'ud'), c];
    const r = sourceScores([0.9, 0.7, 0.2], onlyCopies);
    expect(r.sources[0]).toMatchObject({ source: 'b335.fits', n: 2, method: 'mean' });
    expect(r.sources[0].score).toBeCloseTo(0.8, 12);
    expect(r.sources[1]).toMatchObject({ score: 0.2, method: 'base' });
  });

  it('several objects of one file: max by default ("does the file contain the target")', () => {
    const objs = [base('field.fits', 1), base('field.fits', 1, 'field.fits#2'), c];
    const sc = [0.2, 0.8, 0.1];
    expect(sourceScores(sc, objs).sources[0]).toMatchObject({ score: 0.8, n: 2 });
    expect(sourceScores(sc, objs, { objects: 'mean' }).sources[0].score).toBeCloseTo(0.5, 12);
    expect(sourceScores(sc, objs, { objects: 'first' }).sources[0]).toMatchObject({
      score: 0.2,
      n: 1,
    });
  });

  it('reads labels from the dataset when given; a file is positive if any sample is', () => {
    const r = sourceScores([0.2, 0.8], [base('a.fits', 0), base('a.fits', 1, 'a.fits#2')]);
    expect(r.sources[0].label).toBe(1);
    const given = sourceScores(scores, samples, { labels: samples.map(() => 0) });
    expect([...given.labels]).toEqual([0, 0, 0]);
  });

  it('per source, copies no longer inflate the figures', () => {
    // The copies of b335 score high, its own image low: per sample b335 looks found.
    const perSample = computeMetrics(
      scores,
      samples.map((x) => x.label),
    );
    const perSource = sourceScores(scores, samples);
    const m = computeMetrics(perSource.scores, perSource.labels);
    expect(perSample.n).toBe(10);
    expect(m.n).toBe(3);
    expect(m.recall).toBe(0.5);
  });

  it('refuses mismatched lengths and NaN scores', () => {
    expect(() => sourceScores([0.1], samples)).toThrow(/1 scores but 10 samples/);
    expect(() => sourceScores([NaN], [c])).toThrow(ModelError);
    expect(() => sourceScores([0.1], [c], { labels: [0, 1] })).toThrow(ModelError);
  });
});
