/**
 * A prepared dataset with a label store's decisions applied (Node): what `train --labels` and
 * `retrain` train on. Samples rejected or unsure leave with what was made from them; candidate
 * decisions change the samples they are about or, for objects the dataset does not hold, add
 * them (built from their FITS files, found by content hash, or from a run's saved inputs).
 */
import { resolve } from 'node:path';
import type { Image2D } from '../core/image2d.js';
import {
  applyLabelsToDataset,
  DEFAULT_HARD_NEGATIVE_WEIGHT,
  type AppliedLabels,
} from '../dataset/apply-labels.js';
import {
  concatDatasets,
  subsetDataset,
  type Dataset,
  type SampleInfo,
  type SplitName,
} from '../dataset/dataset.js';
import { summarizeLabels, type LabelRecord } from '../dataset/labels.js';
import { buildLabelledCandidates, type LocateOptions } from '../dataset/labels.node.js';
import type { TargetProfile } from '../dataset/profile.js';

/** Options of {@link datasetWithLabels}. */
export interface DatasetWithLabelsOptions extends LocateOptions {
  /** Loss weight of a rejected candidate. Default {@link DEFAULT_HARD_NEGATIVE_WEIGHT}. */
  hardNegativeWeight?: number;
  /** Model inputs of labelled candidates by label id (a run's), used when a file is not found. */
  inputs?: ReadonlyMap<string, Image2D>;
  /** Seed of the builders that make the added samples. Default 0. */
  seed?: number;
}

/** What {@link datasetWithLabels} made. */
export interface DatasetWithLabels {
  /** The dataset to train on. */
  dataset: Dataset;
  /** Samples left out (rejected or unsure, and what was made from them). */
  dropped: SampleInfo[];
  /** Samples a candidate decision changed. */
  changed: SampleInfo[];
  /** Samples added for candidates the dataset did not hold. */
  added: SampleInfo[];
  /** Candidate decisions whose image was found neither as a file nor as a saved input. */
  missing: LabelRecord[];
  /** Candidates and samples marked unsure. */
  unsure: number;
}

/**
 * Apply a label store's decisions to a prepared dataset ({@link applyLabelsToDataset}) and add
 * the candidates it does not hold ({@link buildLabelledCandidates}). When the dataset records its
 * split, an added object of an image the dataset holds joins that image's part (found by content
 * hash, or by path for a dataset built before content ids), so a test image never lends an
 * object to training; other added samples go to the training part, so validation and test stay
 * what they were. Without a recorded split they are split with the rest by source.
 *
 * @param ds - the dataset (`loadDataset`)
 * @param labels - every label read (`readLabels`)
 * @param profile - the profile the dataset was prepared with (builds the added samples)
 * @param opts - see {@link DatasetWithLabelsOptions}
 */
export async function datasetWithLabels(
  ds: Dataset,
  labels: readonly LabelRecord[],
  profile: TargetProfile,
  opts: DatasetWithLabelsOptions = {},
): Promise<DatasetWithLabels> {
  const weight = opts.hardNegativeWeight ?? DEFAULT_HARD_NEGATIVE_WEIGHT;
  const applied: AppliedLabels = applyLabelsToDataset(ds, labels, { hardNegativeWeight: weight });
  const built = await buildLabelledCandidates(applied.unmatched, profile, {
    ...opts,
    hardNegativeWeight: weight,
  });
  let dataset = applied.dataset;
  let added: SampleInfo[] = [];
  if (built.dataset !== undefined) {
    const recorded = dataset.samples.length > 0 && dataset.samples.every((s) => s.split);
    // An object of an image the dataset holds already joins that image's part, so a test image
    // never lends an object to training; other objects go to training.
    const partOf = new Map<string, SplitName>();
    for (const s of dataset.samples) {
      if (s.split === undefined) continue;
      if (s.hash !== undefined) partOf.set(`hash:${s.hash}`, s.split);
      for (const src of s.sources) partOf.set(`path:${resolve(src)}`, s.split);
    }
    const extra = subsetDataset(built.dataset, [...built.dataset.labels.keys()]);
    if (recorded) {
      extra.samples = extra.samples.map((s) => ({
        ...s,
        split:
          partOf.get(`hash:${s.hash}`) ??
          s.sources.map((src) => partOf.get(`path:${resolve(src)}`)).find((x) => x) ??
          'train',
      }));
    }
    // Built with this profile: the same classes and image size as the dataset.
    extra.classNames = [...dataset.classNames];
    if (dataset.profile) extra.profile = { ...dataset.profile };
    dataset = dataset.labels.length > 0 ? concatDatasets([dataset, extra]) : extra;
    added = extra.samples;
  }
  return {
    dataset,
    dropped: applied.dropped,
    changed: applied.changed,
    added,
    missing: built.missing,
    unsure: summarizeLabels(labels).unsure,
  };
}
