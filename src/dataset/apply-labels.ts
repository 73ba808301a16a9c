/**
 * What review decisions do to a dataset (browser-safe): a rejected or unsure sample leaves with
 * the samples made from it, a candidate kept becomes a positive, a candidate rejected a weighted
 * hard negative. `prepare` applies them while building (`planLabelledSources`), `train` and
 * `retrain` to a dataset already built ({@link applyLabelsToDataset}).
 */
import type { Image2D } from '../core/image2d.js';
import { DatasetBuilder, subsetDataset, type Dataset, type SampleInfo } from './dataset.js';
import { latestLabels, sameObject, type LabelRecord } from './labels.js';

/** Weight of a reviewed hard negative (a rejected candidate) in the training loss, by default. */
export const DEFAULT_HARD_NEGATIVE_WEIGHT = 2;

/** The decisions in force, sorted by what they do. */
export interface LabelPlan {
  /** Sample ids (content ids) to leave out: samples rejected or marked unsure. */
  exclude: string[];
  /** Candidates kept: confirmed positive sources. */
  keep: LabelRecord[];
  /** Candidates rejected: hard negatives. */
  reject: LabelRecord[];
  /** Candidates and samples marked unsure: recorded, left out. */
  unsure: LabelRecord[];
  /** Samples kept: no change, recorded. */
  kept: LabelRecord[];
}

/**
 * Sort the decisions in force (the last label per id, in id order) by what they do.
 *
 * @param labels - every label read (a store's lines)
 */
export function planLabels(labels: Iterable<LabelRecord>): LabelPlan {
  const plan: LabelPlan = { exclude: [], keep: [], reject: [], unsure: [], kept: [] };
  for (const l of latestLabels(labels)) {
    if (l.label === 'unsure') plan.unsure.push(l);
    if (l.kind === 'sample') {
      if (l.label === 'keep') plan.kept.push(l);
      else plan.exclude.push(l.id);
    } else if (l.label === 'keep') plan.keep.push(l);
    else if (l.label === 'reject') plan.reject.push(l);
  }
  return plan;
}

/** Options of {@link applyLabelsToDataset}. */
export interface ApplyLabelsOptions {
  /** Loss weight of a rejected candidate. Default {@link DEFAULT_HARD_NEGATIVE_WEIGHT}. */
  hardNegativeWeight?: number;
  /** Pixels within which a candidate's peak and a sample's are one object. Default 2. */
  tolerance?: number;
}

/** What {@link applyLabelsToDataset} did. */
export interface AppliedLabels {
  /** The dataset after the decisions (a new one; the input is not mutated). */
  dataset: Dataset;
  /** Samples left out: rejected or unsure, and the samples made from them. */
  dropped: SampleInfo[];
  /** Samples a candidate decision changed (a negative kept becomes a positive; a sample rejected as a candidate a weighted negative). */
  changed: SampleInfo[];
  /** Candidate decisions (keep, reject) about objects the dataset does not hold: to be added. */
  unmatched: LabelRecord[];
}

/** Every sample whose parents (transitively) include one of `ids`, with those samples. */
function withDescendants(samples: readonly SampleInfo[], ids: ReadonlySet<string>): Set<string> {
  const out = new Set(ids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of samples) {
      if (!out.has(s.id) && s.parents?.some((p) => out.has(p))) {
        out.add(s.id);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * Apply review decisions to a dataset already built: a sample rejected or marked unsure (matched
 * by content id, or by its plain id for a dataset built before content ids) leaves with every
 * sample made from it (a rejected flip takes its geometric means; a rejected image takes its
 * flips and means too); a candidate decision about an object the dataset holds (same image by
 * content hash, peaks within `tolerance`) changes that sample and its flips: kept, it is a
 * positive; rejected, a negative with the hard-negative weight (geometric means made from a
 * sample whose class changes leave). Candidate decisions about other objects come back in
 * `unmatched`, for the caller to add ({@link labelledInputDataset}, or the builders from the
 * file). Unsure candidates are left out. The same labels give the same dataset.
 *
 * @param ds - the dataset
 * @param labels - the labels (all lines; the last per id counts)
 * @param opts - see {@link ApplyLabelsOptions}
 */
export function applyLabelsToDataset(
  ds: Dataset,
  labels: Iterable<LabelRecord>,
  opts: ApplyLabelsOptions = {},
): AppliedLabels {
  const plan = planLabels(labels);
  const weight = opts.hardNegativeWeight ?? DEFAULT_HARD_NEGATIVE_WEIGHT;
  const tolerance = opts.tolerance ?? 2;
  const positive = ds.classNames.length - 1;
  const excluded = new Set(plan.exclude);
  const direct = new Set<string>();
  for (const s of ds.samples) {
    if (excluded.has(s.id) || (s.contentId !== undefined && excluded.has(s.contentId)))
      direct.add(s.id);
  }
  const drop = withDescendants(ds.samples, direct);
  // Candidate decisions about images the dataset holds: the image itself (no parents) by object.
  const unmatched: LabelRecord[] = [];
  const relabel = new Map<string, LabelRecord>();
  for (const l of [...plan.keep, ...plan.reject]) {
    const hit = ds.samples.find(
      (s) =>
        s.parents === undefined &&
        s.hash !== undefined &&
        s.peak !== undefined &&
        !drop.has(s.id) &&
        sameObject({ hash: s.hash, hdu: s.hdu ?? 0, peak: s.peak }, l.object, tolerance),
    );
    if (hit === undefined) unmatched.push(l);
    else relabel.set(hit.id, l);
  }
  const changed: SampleInfo[] = [];
  const samples: SampleInfo[] = [];
  const labelsOut: number[] = [];
  const keepIdx: number[] = [];
  const classChanged = new Set<string>();
  ds.samples.forEach((s, i) => {
    const own =
      relabel.get(s.id) ?? (s.parents?.length === 1 ? relabel.get(s.parents[0]) : undefined);
    if (own === undefined) return;
    const to = own.label === 'keep' ? positive : 0;
    if (to !== ds.labels[i]) classChanged.add(s.id);
  });
  // Geometric means of a sample whose class changed no longer mean anything.
  const gone = new Set(drop);
  for (const s of ds.samples) {
    if ((s.parents?.length ?? 0) > 1 && s.parents?.some((p) => classChanged.has(p))) gone.add(s.id);
  }
  const dropped: SampleInfo[] = [];
  ds.samples.forEach((s, i) => {
    if (gone.has(s.id)) {
      dropped.push(s);
      return;
    }
    keepIdx.push(i);
    const own =
      relabel.get(s.id) ?? (s.parents?.length === 1 ? relabel.get(s.parents[0]) : undefined);
    if (own === undefined) {
      samples.push(s);
      labelsOut.push(ds.labels[i]);
      return;
    }
    const to = own.label === 'keep' ? positive : 0;
    const next: SampleInfo = {
      ...s,
      label: to,
      reviewed: own.label === 'keep' ? 'keep' : 'reject',
    };
    if (own.label === 'reject' && weight !== 1) next.weight = weight;
    else delete next.weight;
    samples.push(next);
    labelsOut.push(to);
    changed.push(next);
  });
  const sub = subsetDataset(ds, keepIdx);
  sub.samples = samples.map((s) => ({ ...s }));
  sub.labels = Int32Array.from(labelsOut);
  return { dataset: sub, dropped, changed, unmatched };
}

/** One labelled candidate with the model input made from it. */
export interface LabelledInput {
  /** The decision (`keep` or `reject` of a candidate). */
  label: LabelRecord;
  /** The model input of its object, prepared as the model's profile prepares images. */
  input: Image2D;
}

/**
 * The labelled candidates as a dataset of their model inputs, for when their files are not at
 * hand (a run's saved inputs, or a review page): a kept candidate is a positive, a rejected one
 * a negative with the hard-negative weight. Each sample's id and content id are the label's id,
 * its source the label's content hash (so the split keeps one image's objects together), and it
 * records `reviewed`. Samples are in label-id order; other decisions are ignored.
 *
 * @param items - the candidates and their inputs (square, all of one size)
 * @param classNames - the dataset's classes (the last is the target)
 * @param opts - see {@link ApplyLabelsOptions} (`hardNegativeWeight`)
 * @throws DatasetError when inputs differ in size
 */
export function labelledInputDataset(
  items: readonly LabelledInput[],
  classNames: readonly string[],
  opts: Pick<ApplyLabelsOptions, 'hardNegativeWeight'> = {},
): Dataset {
  const weight = opts.hardNegativeWeight ?? DEFAULT_HARD_NEGATIVE_WEIGHT;
  const used = items
    .filter((it) => it.label.kind === 'candidate' && it.label.label !== 'unsure')
    .sort((a, b) => (a.label.id < b.label.id ? -1 : a.label.id > b.label.id ? 1 : 0));
  const size = used[0]?.input.shape[0] ?? 0;
  const builder = new DatasetBuilder(size, [...classNames]);
  const seen = new Set<string>();
  for (const { label: l, input } of used) {
    if (seen.has(l.id)) continue;
    seen.add(l.id);
    const keep = l.label === 'keep';
    const source = `sha:${l.object.hash}`;
    const info: SampleInfo = {
      id: l.id,
      contentId: l.id,
      hash: l.object.hash,
      label: keep ? classNames.length - 1 : 0,
      source,
      sources: [source],
      hdu: l.object.hdu,
      peak: [l.object.peak[0], l.object.peak[1]],
      transforms: ['reviewed-input'],
      reviewed: keep ? 'keep' : 'reject',
    };
    if (!keep && weight !== 1) info.weight = weight;
    builder.add(input, info);
  }
  return builder.build();
}
