import { createRng, shuffleInPlace } from '../core/random.js';
import type { Dataset, SampleInfo, SplitName } from './dataset.js';
import { subsetDataset } from './dataset.js';

/** Options of {@link splitDataset}; defaults in {@link SPLIT_DEFAULTS}. */
export interface SplitOptions {
  /** Fraction of the groups that go to the test part. Default 0.2. */
  test?: number;
  /** Fraction of the groups that go to the validation part. Default 0. */
  validation?: number;
  /** Seed of the assignment. Default 0. */
  seed?: number;
  /** Split each class separately so every part keeps the class balance. Default true. */
  stratify?: boolean;
  /**
   * What must not straddle a split. `'source'` (default): a source file and everything derived
   * from it (flips, augmentations, geometric means) sit on one side, and a geometric mean of
   * two sources that land on different sides is dropped. `'sample'`: every sample on its own,
   * the original's random split, which leaks (only for comparison). A function: the group key
   * of each sample.
   */
  groupBy?: 'source' | 'sample' | ((sample: SampleInfo) => string);
}

/** Defaults of {@link SplitOptions}. */
export const SPLIT_DEFAULTS: Required<SplitOptions> = {
  test: 0.2,
  validation: 0,
  seed: 0,
  stratify: true,
  groupBy: 'source',
};

/** The parts {@link splitDataset} returns; each sample's `split` says where it went. */
export interface DatasetSplit {
  /** Training part. */
  train: Dataset;
  /** Validation part (empty when `validation` is 0). */
  validation: Dataset;
  /** Test part. */
  test: Dataset;
  /** Samples whose groups landed on different sides (geometric means across the split), left out. */
  dropped: SampleInfo[];
}

function checkFraction(v: number, name: string): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new RangeError(`splitDataset: option '${name}' must lie in [0, 1), got ${v}`);
  }
}

/**
 * Split a dataset into train, validation and test parts by group, seeded. The fractions apply to
 * groups (by default source files), per class when `stratify` is on: each class with at least
 * two groups keeps at least one group for training and, when its fraction is above 0, at least
 * one for test. Samples keep their order within each part. The input is not mutated.
 *
 * Why groups: the original split samples at random after making the geometric means, so a test
 * image's flips, and means of its parents with training images, sat in the training set; the
 * model had seen the test pixels, which inflated its accuracy. Grouping by source prevents that.
 *
 * @param ds - the dataset
 * @param opts - see {@link SplitOptions}
 * @throws RangeError when `test + validation` is not below 1
 */
export function splitDataset(ds: Dataset, opts: SplitOptions = {}): DatasetSplit {
  const o = { ...SPLIT_DEFAULTS, ...opts };
  checkFraction(o.test, 'test');
  checkFraction(o.validation, 'validation');
  if (o.test + o.validation >= 1) {
    throw new RangeError(
      `splitDataset: test + validation must be below 1, got ${o.test + o.validation}`,
    );
  }
  const keysOf = (s: SampleInfo): string[] =>
    o.groupBy === 'source' ? s.sources : o.groupBy === 'sample' ? [s.id] : [o.groupBy(s)];

  // A group's class is that of its first sample; all samples of a source share a class in practice.
  const groupLabel = new Map<string, number>();
  ds.samples.forEach((s, i) => {
    for (const k of keysOf(s)) if (!groupLabel.has(k)) groupLabel.set(k, ds.labels[i]);
  });
  const strata = new Map<number, string[]>();
  for (const [k, l] of groupLabel) {
    const stratum = o.stratify ? l : 0;
    const list = strata.get(stratum) ?? [];
    list.push(k);
    strata.set(stratum, list);
  }
  const rng = createRng(o.seed);
  const where = new Map<string, SplitName>();
  for (const stratum of [...strata.keys()].sort((a, b) => a - b)) {
    const keys = shuffleInPlace([...(strata.get(stratum) ?? [])].sort(), rng);
    const n = keys.length;
    let nTest = Math.round(o.test * n);
    let nVal = Math.round(o.validation * n);
    if (n >= 2) {
      if (o.test > 0) nTest = Math.max(1, nTest);
      if (o.validation > 0 && n >= 3) nVal = Math.max(1, nVal);
      while (nTest + nVal > n - 1) {
        if (nVal > 0 && nVal >= nTest) nVal--;
        else nTest--;
      }
    } else {
      nTest = 0;
      nVal = 0;
    }
    keys.forEach((k, i) =>
      where.set(k, i < nTest ? 'test' : i < nTest + nVal ? 'validation' : 'train'),
    );
  }
  const parts: Record<SplitName, number[]> = { train: [], validation: [], test: [] };
  const dropped: SampleInfo[] = [];
  ds.samples.forEach((s, i) => {
    const sides = new Set(keysOf(s).map((k) => where.get(k) as SplitName));
    if (sides.size === 1) parts[[...sides][0]].push(i);
    else dropped.push({ ...s });
  });
  return {
    train: subsetDataset(ds, parts.train, 'train'),
    validation: subsetDataset(ds, parts.validation, 'validation'),
    test: subsetDataset(ds, parts.test, 'test'),
    dropped,
  };
}
