import { describe, expect, it } from 'vitest';
import { concatDatasets, splitDataset, subsetDataset } from '../src/dataset/index.js';
import type { Dataset, SampleInfo } from '../src/dataset/index.js';

/** A dataset shaped like a built positive set: per source 4 flips, then all pairwise means. */
function fakeDataset(): Dataset {
  const samples: SampleInfo[] = [];
  const add = (id: string, label: number, sources: string[], parents?: string[]): void => {
    const s: SampleInfo = { id, label, source: sources[0], sources, transforms: [] };
    if (parents) s.parents = parents;
    samples.push(s);
  };
  for (let i = 0; i < 10; i++) add(`neg${i}.fits`, 0, [`neg${i}.fits`]);
  const pool: string[] = [];
  for (let i = 0; i < 5; i++) {
    for (const f of ['', ':flip-lr', ':flip-ud', ':flip-both']) {
      add(`pos${i}.fits${f}`, 1, [`pos${i}.fits`]);
      pool.push(`pos${i}.fits${f}`);
    }
  }
  for (let a = 0; a < pool.length; a++) {
    for (let b = a + 1; b < pool.length; b++) {
      const sa = pool[a].split(':')[0];
      const sb = pool[b].split(':')[0];
      add(`gm(${pool[a]}|${pool[b]})`, 1, [...new Set([sa, sb])], [pool[a], pool[b]]);
    }
  }
  const n = samples.length;
  const images = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) images.fill(i, i * 4, i * 4 + 4);
  return {
    images,
    shape: [n, 2, 2, 1],
    labels: Int32Array.from(samples, (s) => s.label),
    classNames: ['negative', 'positive'],
    samples,
    skipped: [],
  };
}

const sourcesOf = (ds: Dataset): Set<string> => new Set(ds.samples.flatMap((s) => s.sources));

describe('splitDataset', () => {
  it('never puts samples of one source file on both sides (groupBy source)', () => {
    const ds = fakeDataset();
    for (const seed of [0, 1, 2, 3]) {
      const { train, validation, test, dropped } = splitDataset(ds, {
        test: 0.2,
        validation: 0.2,
        seed,
      });
      const tr = sourcesOf(train);
      const va = sourcesOf(validation);
      const te = sourcesOf(test);
      for (const s of te) {
        expect(tr.has(s)).toBe(false);
        expect(va.has(s)).toBe(false);
      }
      for (const s of va) expect(tr.has(s)).toBe(false);
      expect(train.shape[0] + validation.shape[0] + test.shape[0] + dropped.length).toBe(
        ds.shape[0],
      );
      // Means across the split are the only samples dropped.
      for (const d of dropped) expect(d.sources.length).toBe(2);
      expect(test.samples.every((s) => s.split === 'test')).toBe(true);
    }
  });
  it('keeps pixels and labels with their samples', () => {
    const ds = fakeDataset();
    const { test } = splitDataset(ds, { seed: 5 });
    test.samples.forEach((s, k) => {
      const i = ds.samples.findIndex((x) => x.id === s.id);
      expect(test.labels[k]).toBe(ds.labels[i]);
      expect(test.images[k * 4]).toBe(i);
    });
  });
  it('stratifies: both classes appear in test and in train', () => {
    const { train, test } = splitDataset(fakeDataset(), { test: 0.2, seed: 9 });
    expect(new Set(test.labels)).toEqual(new Set([0, 1]));
    expect(new Set(train.labels)).toEqual(new Set([0, 1]));
  });
  it('is seeded: the same seed gives the same split, another seed another', () => {
    const ds = fakeDataset();
    const ids = (seed: number): string[] =>
      splitDataset(ds, { seed }).test.samples.map((s) => s.id);
    expect(ids(3)).toEqual(ids(3));
    expect([4, 5, 6, 7].some((s) => ids(s).join() !== ids(3).join())).toBe(true);
  });
  it("groupBy 'sample' reproduces the original's leak: a test source also feeds training", () => {
    const { train, test } = splitDataset(fakeDataset(), { groupBy: 'sample', seed: 1 });
    const tr = sourcesOf(train);
    expect([...sourcesOf(test)].some((s) => tr.has(s))).toBe(true);
  });
  it('does not mutate the input and rejects fractions that leave nothing to train on', () => {
    const ds = fakeDataset();
    const before = JSON.stringify(ds.samples);
    splitDataset(ds, { validation: 0.1 });
    expect(JSON.stringify(ds.samples)).toBe(before);
    expect(() => splitDataset(ds, { test: 0.6, validation: 0.4 })).toThrow(RangeError);
  });
});

describe('subsetDataset / concatDatasets', () => {
  it('round-trips a dataset cut in two', () => {
    const ds = fakeDataset();
    const n = ds.shape[0];
    const a = subsetDataset(ds, [...Array(10).keys()]);
    const b = subsetDataset(
      ds,
      [...Array(n - 10).keys()].map((i) => i + 10),
    );
    const joined = concatDatasets([a, b]);
    expect(joined.images).toEqual(ds.images);
    expect(joined.labels).toEqual(ds.labels);
    expect(joined.samples.map((s) => s.id)).toEqual(ds.samples.map((s) => s.id));
    expect(() => concatDatasets([a, a])).toThrow(/appears in two datasets/);
  });
});
