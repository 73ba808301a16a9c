/**
 * Scores per source file. A dataset holds each source image several times (flips, zoom/rotate
 * copies, geometric means with other sources); counting those copies as independent samples
 * inflates every metric and its confidence. These functions reduce sample scores to one score
 * per source file, from its provenance ({@link SampleInfo}) alone, with no TensorFlow.js.
 */
import { ModelError } from '../core/errors.js';
import type { SampleInfo } from '../dataset/dataset.js';

/** The provenance fields {@link sourceScores} reads. */
export type SourceSampleInfo = Pick<
  SampleInfo,
  'id' | 'label' | 'source' | 'sources' | 'transforms' | 'parents'
>;

/**
 * Transform kinds that make a derived copy rather than the source's own image: flips,
 * zoom/rotate copies (`linear`, the `aug` copies of `augment`), geometric means. The kind is
 * the recorded transform's name before its first `:` (`flip:lr` → `flip`).
 */
export const DERIVED_TRANSFORMS: readonly string[] = ['flip', 'linear', 'geometric-mean', 'aug'];

/**
 * Whether a sample is a source's own, un-augmented image (its base sample): it has no parents
 * and none of its transforms is one of {@link DERIVED_TRANSFORMS} (the preprocessing steps
 * `rotate`, `crop`, `center-crop`, `resize`, `normalize` do not count).
 */
export function isBaseSample(sample: SourceSampleInfo): boolean {
  if (sample.parents !== undefined && sample.parents.length > 0) return false;
  if (sample.sources.length > 1) return false;
  return !sample.transforms.some((t) => {
    const kind = t.split(':')[0];
    return DERIVED_TRANSFORMS.some((d) => kind === d || kind.startsWith(`${d}-`));
  });
}

/**
 * How one score per source is made from its samples: `'base'` the score of its base sample
 * (falling back to `'mean'` when it has none), `'mean'` or `'max'` over all its samples.
 */
export type SourceScoreMethod = 'base' | 'mean' | 'max';

/** Options of {@link sourceScores}. */
export interface SourceScoreOptions {
  /** How a source's score is made from its samples. Default `'base'`. */
  how: SourceScoreMethod;
  /**
   * When a source has several base samples (several objects cut from one file): `'max'`
   * (default) answers "does this file contain the target", `'mean'` averages them, `'first'`
   * keeps the first in sample order.
   */
  objects: 'max' | 'mean' | 'first';
  /**
   * Class per sample (e.g. `Dataset.labels`), read instead of `SampleInfo.label`. Default: the
   * samples' own labels.
   */
  labels?: ArrayLike<number>;
}

/** Defaults of {@link SourceScoreOptions}. */
export const DEFAULT_SOURCE_SCORE_OPTIONS: SourceScoreOptions = { how: 'base', objects: 'max' };

/** One source file's score. */
export interface SourceFileScore {
  /** The source file, as recorded in `SampleInfo.source`. */
  source: string;
  /** Its class: the largest label among its samples (1 = positive when any sample is). */
  label: number;
  /** Its score. */
  score: number;
  /** Number of samples the score was made from. */
  n: number;
  /** How the score was made: `'base'`, or `'mean'` / `'max'` (also when `'base'` fell back). */
  method: SourceScoreMethod;
}

/** What {@link sourceScores} returns. */
export interface SourceScores {
  /** One entry per source file, in order of first appearance. */
  sources: SourceFileScore[];
  /** The entries' scores, ready for `computeMetrics` and the ranking metrics. */
  scores: Float64Array;
  /** The entries' labels, same order. */
  labels: Int32Array;
  /** Samples left out: geometric means (or other samples) made from more than one source file. */
  skipped: number;
}

/**
 * One score per source file from per-sample scores. By default a source's score is that of
 * its own base sample ({@link isBaseSample}), the image an astronomer would hand the model;
 * a source with no base sample (e.g. only flips were kept) gets the mean over its samples.
 * `how: 'mean' | 'max'` use every sample of the source instead. Samples derived from two or
 * more sources (geometric means `sqrt|A·B|`) are no source's own image and are left out,
 * counted in `skipped`. Several base samples of one file (several objects) are combined per
 * `objects`, by default their maximum. Pure: inputs are not mutated.
 *
 * @param scores - positive-class score per sample; NaN is refused
 * @param samples - provenance per sample, same order
 * @param opts - see {@link SourceScoreOptions}
 * @throws ModelError on mismatched lengths or NaN scores
 */
export function sourceScores(
  scores: ArrayLike<number>,
  samples: readonly SourceSampleInfo[],
  opts: Partial<SourceScoreOptions> = {},
): SourceScores {
  const o = { ...DEFAULT_SOURCE_SCORE_OPTIONS, ...opts };
  if (samples.length !== scores.length) {
    throw new ModelError(`sourceScores: ${scores.length} scores but ${samples.length} samples`);
  }
  if (o.labels !== undefined && o.labels.length !== scores.length) {
    throw new ModelError(`sourceScores: ${scores.length} scores but ${o.labels.length} labels`);
  }
  interface Acc {
    label: number;
    all: number[];
    base: number[];
  }
  const bySource = new Map<string, Acc>();
  let skipped = 0;
  samples.forEach((s, i) => {
    const score = scores[i];
    if (Number.isNaN(score)) {
      throw new ModelError(`sourceScores: score ${i} (sample ${s.id}) is NaN`, s.source);
    }
    if (new Set(s.sources).size > 1) {
      skipped++;
      return;
    }
    const label = o.labels !== undefined ? o.labels[i] : s.label;
    const key = s.sources[0] ?? s.source;
    let acc = bySource.get(key);
    if (acc === undefined) {
      acc = { label, all: [], base: [] };
      bySource.set(key, acc);
    }
    acc.label = Math.max(acc.label, label);
    acc.all.push(score);
    if (isBaseSample(s)) acc.base.push(score);
  });
  const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
  const max = (v: number[]): number => v.reduce((a, b) => Math.max(a, b), -Infinity);
  const out: SourceFileScore[] = [];
  for (const [source, acc] of bySource) {
    let entry: SourceFileScore;
    if (o.how === 'base' && acc.base.length > 0) {
      const first = o.objects === 'first';
      const score = first ? acc.base[0] : o.objects === 'max' ? max(acc.base) : mean(acc.base);
      entry = { source, label: acc.label, score, n: first ? 1 : acc.base.length, method: 'base' };
    } else {
      const method = o.how === 'max' ? 'max' : 'mean';
      const score = method === 'max' ? max(acc.all) : mean(acc.all);
      entry = { source, label: acc.label, score, n: acc.all.length, method };
    }
    out.push(entry);
  }
  return {
    sources: out,
    scores: Float64Array.from(out, (e) => e.score),
    labels: Int32Array.from(out, (e) => e.label),
    skipped,
  };
}
