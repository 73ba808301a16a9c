import { describe, expect, it } from 'vitest';
import { groupedKFold, splitDataset } from '../src/dataset/split.js';
import type { Dataset, SampleInfo } from '../src/dataset/dataset.js';

/**
 * A dataset shaped like a built one: `nNeg` negative sources with two zoom/rotate copies each,
 * `nPos` positive sources with 3 flips each, and geometric means of consecutive positive
 * sources' base images (which straddle any split that separates them).
 */
function dataset(nNeg: number, nPos: number): Dataset {
  const samples: SampleInfo[] = [];
  const add = (id: string, label: number, sources: string[], parents?: string[]): void => {
    const s: SampleInfo = { id, label, source: sources[0], sources, transforms: [] };
    if (parents) s.parents = parents;
    samples.push(s);
  };
  for (let i = 0; i < nNeg; i++) {
    add(`neg${i}.fits`, 0, [`neg${i}.fits`]);
    for (let k = 0; k < 2; k++)
      add(`neg${i}.fits:linear-${k}`, 0, [`neg${i}.fits`], [`neg${i}.fits`]);
  }
  for (let i = 0; i < nPos; i++) {
    add(`pos${i}.fits`, 1, [`pos${i}.fits`]);
    for (const f of ['lr', 'ud', 'both'])
      add(`pos${i}.fits:flip-${f}`, 1, [`pos${i}.fits`], [`pos${i}.fits`]);
  }
  for (let i = 0; i + 1 < nPos; i++) {
    add(
      `gm(pos${i}|pos${i + 1})`,
      1,
      [`pos${i}.fits`, `pos${i + 1}.fits`],
      [`pos${i}.fits`, `pos${i + 1}.fits`],
    );
  }
  const n = samples.length;
  return {
    images: Float32Array.from({ length: n }, (_, i) => i),
    shape: [n, 1, 1, 1],
    labels: Int32Array.from(samples, (s) => s.label),
    classNames: ['negative', 'positive'],
    samples,
    skipped: [],
  };
}

const sourcesOf = (ds: Dataset): Set<string> => new Set(ds.samples.flatMap((s) => s.sources));
const classesOf = (ds: Dataset): Set<number> => new Set(ds.labels);

describe('groupedKFold', () => {
  const ds = dataset(15, 10);
  const all = sourcesOf(ds);

  it("puts every source in exactly one fold's test part", () => {
    for (const seed of [0, 1, 2]) {
      const folds = groupedKFold(ds, { k: 5, seed });
      expect(folds).toHaveLength(5);
      const seen = new Map<string, number>();
      for (const f of folds) {
        for (const s of sourcesOf(f.test)) seen.set(s, (seen.get(s) ?? 0) + 1);
      }
      expect(seen.size).toBe(all.size);
      expect([...seen.values()].every((c) => c === 1)).toBe(true);
    }
  });

  it('never puts one source on two sides of a fold; only cross-split means are dropped', () => {
    for (const f of groupedKFold(ds, { k: 5, seed: 4 })) {
      const tr = sourcesOf(f.train);
      const va = sourcesOf(f.validation);
      const te = sourcesOf(f.test);
      for (const s of te) expect(tr.has(s) || va.has(s)).toBe(false);
      for (const s of va) expect(tr.has(s)).toBe(false);
      expect(f.train.shape[0] + f.validation.shape[0] + f.test.shape[0] + f.dropped.length).toBe(
        ds.shape[0],
      );
      expect(f.dropped.every((s) => s.sources.length > 1)).toBe(true);
      expect(f.test.samples.every((s) => s.split === 'test')).toBe(true);
      expect(f.train.samples.every((s) => s.split === 'train')).toBe(true);
    }
  });

  it('stratifies: each fold tests on both classes and on balanced numbers of sources', () => {
    const folds = groupedKFold(ds, { k: 5, seed: 1 });
    for (const f of folds) {
      expect(classesOf(f.test)).toEqual(new Set([0, 1]));
      expect(f.warnings).toEqual([]);
      const groups = (label: number): number =>
        new Set(f.test.samples.filter((s) => s.label === label).map((s) => s.source)).size;
      expect(groups(0)).toBe(3);
      expect(groups(1)).toBe(2);
    }
  });

  it("sets a grouped, stratified validation fraction apart from each fold's training sources", () => {
    for (const f of groupedKFold(ds, { k: 5, seed: 2, validation: 0.25 })) {
      // Of the 12 negative and 8 positive training sources, 3 and 2 go to validation.
      const count = (d: Dataset, label: number): number =>
        new Set(d.samples.filter((s) => s.label === label).map((s) => s.source)).size;
      expect(count(f.validation, 0)).toBe(3);
      expect(count(f.validation, 1)).toBe(2);
      expect(count(f.train, 0)).toBe(9);
    }
    const none = groupedKFold(ds, { k: 5, validation: 0 });
    expect(none.every((f) => f.validation.shape[0] === 0)).toBe(true);
  });

  it('is seeded: the same seed gives the same folds, another seed others', () => {
    const ids = (seed: number): string[][] =>
      groupedKFold(ds, { seed }).map((f) => f.test.samples.map((s) => s.id));
    expect(ids(3)).toEqual(ids(3));
    expect(ids(3)).not.toEqual(ids(4));
  });

  it("warns when a fold's test part lacks a class (fewer groups of it than folds)", () => {
    const few = dataset(10, 3);
    const heard: string[] = [];
    const folds = groupedKFold(few, { k: 5, seed: 0, onWarning: (m) => heard.push(m) });
    const lacking = folds.filter((f) => !classesOf(f.test).has(1));
    expect(lacking).toHaveLength(2);
    for (const f of lacking) {
      expect(f.warnings.some((w) => /test part has no 'positive' samples/.test(w))).toBe(true);
    }
    expect(heard).toEqual(folds.flatMap((f) => f.warnings));
    // Still every source tested exactly once.
    const tested = folds.flatMap((f) => [...sourcesOf(f.test)]);
    expect(new Set(tested).size).toBe(tested.length);
    expect(new Set(tested)).toEqual(sourcesOf(few));
  });

  it("groups by sample or by a caller's key", () => {
    const bySample = groupedKFold(ds, { k: 4, groupBy: 'sample', validation: 0 });
    const n = bySample.reduce((a, f) => a + f.test.shape[0], 0);
    expect(n).toBe(ds.shape[0]);
    const byField = groupedKFold(ds, {
      k: 2,
      stratify: false,
      groupBy: (s) => (s.source.startsWith('neg') ? 'a' : 'b'),
    });
    expect(byField.map((f) => classesOf(f.test).size)).toEqual([1, 1]);
  });

  it('refuses k below 2, more folds than groups, and a bad validation fraction', () => {
    expect(() => groupedKFold(ds, { k: 1 })).toThrow(RangeError);
    expect(() => groupedKFold(ds, { k: 2.5 })).toThrow(RangeError);
    expect(() => groupedKFold(dataset(2, 1), { k: 5 })).toThrow(/5 folds but only 3 groups/);
    expect(() => groupedKFold(ds, { validation: 1 })).toThrow(RangeError);
  });
});

describe('splitDataset warnings', () => {
  it('warns when the test part lacks a class the dataset has', () => {
    // One positive source: it must stay in training, so the test part has no positives.
    const heard: string[] = [];
    const split = splitDataset(dataset(10, 1), { test: 0.3, onWarning: (m) => heard.push(m) });
    expect(split.warnings).toHaveLength(1);
    expect(split.warnings[0]).toMatch(/test part has no 'positive' samples/);
    expect(heard).toEqual(split.warnings);
  });

  it('stays quiet when every part has both classes, or when no test part is asked for', () => {
    expect(splitDataset(dataset(10, 10), { test: 0.3, validation: 0.2 }).warnings).toEqual([]);
    expect(splitDataset(dataset(10, 1), { test: 0 }).warnings).toEqual([]);
  });
});
