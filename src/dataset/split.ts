import { createRng, shuffleInPlace } from '../core/random.js';
import type { Rng } from '../core/random.js';
import type { Dataset, SampleInfo, SplitName } from './dataset.js';
import { subsetDataset } from './dataset.js';

/** What must not straddle a split (see {@link SplitOptions.groupBy}). */
export type GroupBy = 'source' | 'sample' | ((sample: SampleInfo) => string);

/** Options of {@link splitDataset}; defaults in {@link DEFAULT_SPLIT_OPTIONS}. */
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
  groupBy?: GroupBy;
  /**
   * Called with each warning (a test or validation part asked for but lacking a class the
   * dataset has); the warnings are also returned in `warnings`. Default: none.
   */
  onWarning?: (message: string, source?: string) => void;
}

/** Defaults of {@link SplitOptions}. */
export const DEFAULT_SPLIT_OPTIONS: Required<Omit<SplitOptions, 'onWarning'>> = {
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
  /** Problems found, e.g. a test part without positives (its metrics then mean little). */
  warnings: string[];
}

function checkFraction(v: number, name: string, fn = 'splitDataset'): void {
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new RangeError(`${fn}: option '${name}' must lie in [0, 1), got ${v}`);
  }
}

/** The group keys of a sample under `groupBy`: its sources, its id, or the caller's key. */
function groupKeys(groupBy: GroupBy): (s: SampleInfo) => string[] {
  return (s) => (groupBy === 'source' ? s.sources : groupBy === 'sample' ? [s.id] : [groupBy(s)]);
}

/**
 * The groups of a dataset by stratum (class, or a single stratum 0 without `stratify`), strata
 * in increasing order, keys sorted so the seeded shuffle that follows depends on the keys only.
 * A group's class is that of its first sample; all samples of a source share a class in practice.
 */
function groupStrata(
  ds: Dataset,
  keysOf: (s: SampleInfo) => string[],
  stratify: boolean,
): string[][] {
  const groupLabel = new Map<string, number>();
  ds.samples.forEach((s, i) => {
    for (const k of keysOf(s)) if (!groupLabel.has(k)) groupLabel.set(k, ds.labels[i]);
  });
  const strata = new Map<number, string[]>();
  for (const [k, l] of groupLabel) {
    const stratum = stratify ? l : 0;
    const list = strata.get(stratum) ?? [];
    list.push(k);
    strata.set(stratum, list);
  }
  return [...strata.keys()].sort((a, b) => a - b).map((s) => [...(strata.get(s) ?? [])].sort());
}

/**
 * How many of `n` groups go to a first and a second held-out part for fractions `a` and `b`:
 * rounded, but with at least one group for a part whose fraction is above 0 (the second only
 * from 3 groups on), and always at least one group left for training; none when `n` < 2.
 */
function partCounts(n: number, a: number, b: number): [number, number] {
  if (n < 2) return [0, 0];
  let nA = Math.round(a * n);
  let nB = Math.round(b * n);
  if (a > 0) nA = Math.max(1, nA);
  if (b > 0 && n >= 3) nB = Math.max(1, nB);
  while (nA + nB > n - 1) {
    if (nB > 0 && nB >= nA) nB--;
    else nA--;
  }
  return [nA, nB];
}

/**
 * The parts for a group assignment: each sample goes where its groups went; a sample whose
 * groups went to different parts (a geometric mean across the split) is dropped.
 */
function assemble(
  ds: Dataset,
  keysOf: (s: SampleInfo) => string[],
  where: Map<string, SplitName>,
): Omit<DatasetSplit, 'warnings'> {
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

/** A warning for each class of `ds` that a held-out part lacks. */
function missingClasses(ds: Dataset, part: Dataset, what: string): string[] {
  const present = new Set(ds.labels);
  const have = new Set(part.labels);
  return [...present]
    .sort((a, b) => a - b)
    .filter((l) => !have.has(l))
    .map(
      (l) =>
        `${what} has no '${ds.classNames[l] ?? String(l)}' samples (${part.shape[0]} samples), so its metrics cannot measure that class`,
    );
}

/**
 * Split a dataset into train, validation and test parts by group, seeded. The fractions apply to
 * groups (by default source files), per class when `stratify` is on: each class with at least
 * two groups keeps at least one group for training and, when its fraction is above 0, at least
 * one for test. Samples keep their order within each part. The input is not mutated. A test
 * (or validation) part asked for but lacking a class the dataset has is reported in `warnings`
 * and through `onWarning`.
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
  const o = { ...DEFAULT_SPLIT_OPTIONS, ...opts };
  checkFraction(o.test, 'test');
  checkFraction(o.validation, 'validation');
  if (o.test + o.validation >= 1) {
    throw new RangeError(
      `splitDataset: test + validation must be below 1, got ${o.test + o.validation}`,
    );
  }
  const keysOf = groupKeys(o.groupBy);
  const rng = createRng(o.seed);
  const where = new Map<string, SplitName>();
  for (const sorted of groupStrata(ds, keysOf, o.stratify)) {
    const keys = shuffleInPlace(sorted, rng);
    const [nTest, nVal] = partCounts(keys.length, o.test, o.validation);
    keys.forEach((k, i) =>
      where.set(k, i < nTest ? 'test' : i < nTest + nVal ? 'validation' : 'train'),
    );
  }
  const parts = assemble(ds, keysOf, where);
  const warnings = [
    ...(o.test > 0 ? missingClasses(ds, parts.test, 'splitDataset: the test part') : []),
    ...(o.validation > 0
      ? missingClasses(ds, parts.validation, 'splitDataset: the validation part')
      : []),
  ];
  for (const w of warnings) o.onWarning?.(w);
  return { ...parts, warnings };
}

/** Options of {@link groupedKFold}. */
export interface KFoldOptions {
  /** Number of folds, an integer of at least 2. Default 5. */
  k: number;
  /** Seed of the assignment. Default 0. */
  seed: number;
  /** Deal each class's groups over the folds separately, so every fold keeps the class balance. Default true. */
  stratify: boolean;
  /** What must not straddle a split, as in {@link SplitOptions.groupBy}. Default `'source'`. */
  groupBy: GroupBy;
  /**
   * Fraction of each fold's training groups (per class when stratified) set apart as its
   * validation part, for early stopping and threshold choice; 0 for none. Default 0.2.
   */
  validation: number;
  /** Called with each warning (also returned per fold in `warnings`). Default: none. */
  onWarning?: (message: string, source?: string) => void;
}

/** Defaults of {@link KFoldOptions}. */
export const DEFAULT_KFOLD_OPTIONS: KFoldOptions = {
  k: 5,
  seed: 0,
  stratify: true,
  groupBy: 'source',
  validation: 0.2,
};

/** One fold of {@link groupedKFold}: its test part, and train and validation parts from the other groups. */
export interface DatasetFold extends DatasetSplit {
  /** Index of the fold, from 0. */
  fold: number;
}

/**
 * Grouped (and by default stratified) k-fold cross-validation, seeded. The groups (by default
 * source files) of each class are shuffled and dealt over the `k` folds in turn, the deal
 * continuing from one class to the next, so fold sizes differ by at most one group per class
 * and every fold holds every class that has at least `k` groups. Fold `f` tests on the groups
 * dealt to it and trains on all others, minus a `validation` fraction of them (grouped and
 * stratified, counted as in {@link splitDataset}). So every group lands in exactly one fold's
 * test part, and no group sits on two sides of one fold; a geometric mean of sources on
 * different sides is dropped, as in {@link splitDataset}. A fold whose test (or validation)
 * part lacks a class the dataset has is reported in its `warnings` and through `onWarning`.
 * The input is not mutated.
 *
 * @param ds - the dataset
 * @param opts - see {@link KFoldOptions}
 * @returns the `k` folds, in order
 * @throws RangeError when `k` is not an integer of at least 2 or exceeds the number of groups,
 *   or `validation` is outside [0, 1)
 */
export function groupedKFold(ds: Dataset, opts: Partial<KFoldOptions> = {}): DatasetFold[] {
  const o = { ...DEFAULT_KFOLD_OPTIONS, ...opts };
  if (!Number.isInteger(o.k) || o.k < 2) {
    throw new RangeError(`groupedKFold: option 'k' must be an integer of at least 2, got ${o.k}`);
  }
  checkFraction(o.validation, 'validation', 'groupedKFold');
  const keysOf = groupKeys(o.groupBy);
  const strata = groupStrata(ds, keysOf, o.stratify);
  const groups = strata.reduce((a, s) => a + s.length, 0);
  if (o.k > groups) {
    throw new RangeError(`groupedKFold: ${o.k} folds but only ${groups} groups to deal`);
  }
  const rng = createRng(o.seed);
  const foldOf = new Map<string, number>();
  const shuffled = strata.map((sorted) => shuffleInPlace(sorted, rng));
  let dealt = 0;
  for (const keys of shuffled) {
    keys.forEach((key, i) => foldOf.set(key, (dealt + i) % o.k));
    dealt += keys.length;
  }
  const folds: DatasetFold[] = [];
  for (let f = 0; f < o.k; f++) {
    const foldRng: Rng = rng.fork();
    const where = new Map<string, SplitName>();
    for (const keys of shuffled) {
      const rest: string[] = [];
      for (const key of keys) {
        if (foldOf.get(key) === f) where.set(key, 'test');
        else rest.push(key);
      }
      shuffleInPlace(rest.sort(), foldRng);
      const [nVal] = partCounts(rest.length, o.validation, 0);
      rest.forEach((key, i) => where.set(key, i < nVal ? 'validation' : 'train'));
    }
    const parts = assemble(ds, keysOf, where);
    const name = `groupedKFold: fold ${f + 1} of ${o.k}:`;
    const warnings = [
      ...missingClasses(ds, parts.test, `${name} the test part`),
      ...(o.validation > 0
        ? missingClasses(ds, parts.validation, `${name} the validation part`)
        : []),
    ];
    for (const w of warnings) o.onWarning?.(w);
    folds.push({ fold: f, ...parts, warnings });
  }
  return folds;
}
