/**
 * The training step of the pipeline: split a prepared dataset by source, train the profile's
 * model on the training part, evaluate on the held-out part, and save the model with its
 * profile so that `classify` prepares new images exactly as the training images were.
 */
import type { Dataset, SplitName } from '../dataset/dataset.js';
import { subsetDataset } from '../dataset/dataset.js';
import type { TargetProfile } from '../dataset/profile.js';
import { splitDataset, type SplitOptions } from '../dataset/split.js';
import type { EpochLog, ModelConfig, TrainConfig } from '../model/config.js';
import { createModel } from '../model/factory.js';
import { evaluateModel } from '../model/evaluate.js';
import { saveModel } from '../model/io.node.js';
import type { LoadedModel } from '../model/io.js';
import type { ModelMeta } from '../model/meta.js';
import type { Evaluation } from '../model/metrics.js';
import { trainModel, type TrainHistory } from '../model/train.js';

/** Options of {@link trainFromDataset}. */
export interface TrainFlowOptions {
  /** The profile the dataset was prepared with; its `model` and `train` settings are used. */
  profile: TargetProfile;
  /** Folder to save the model in (`model.json`, `weights.bin`, `meta.json`). Default: not saved. */
  out?: string;
  /** Training settings that override the profile's (e.g. from CLI flags). */
  train?: Partial<TrainConfig>;
  /** Model settings that override the profile's. */
  model?: Partial<ModelConfig>;
  /**
   * How to split when the dataset's samples carry no split membership yet. Default: 20 % of the
   * sources held out for test, grouped by source, seed from the training config.
   */
  split?: SplitOptions;
  /** Called after every epoch. */
  onEpochEnd?: (log: EpochLog) => void;
}

/** What {@link trainFromDataset} returns. */
export interface TrainFlowResult {
  /** The trained model with the metadata it was (or would be) saved with. */
  loaded: LoadedModel;
  /** Per-epoch history. */
  history: TrainHistory;
  /** Metrics on the held-out test part; undefined when the test part is empty. */
  evaluation?: Evaluation;
  /** Number of samples in each part. */
  sizes: Record<SplitName, number>;
}

/**
 * The dataset's parts: the membership recorded in its samples when every sample has one (as
 * `prepare` writes it), otherwise a fresh split grouped by source.
 *
 * @param ds - the dataset
 * @param split - options for a fresh split
 */
export function datasetParts(ds: Dataset, split: SplitOptions = {}): Record<SplitName, Dataset> {
  if (ds.samples.length > 0 && ds.samples.every((s) => s.split !== undefined)) {
    const pick = (name: SplitName): Dataset =>
      subsetDataset(
        ds,
        ds.samples.flatMap((s, i) => (s.split === name ? [i] : [])),
        name,
      );
    return { train: pick('train'), validation: pick('validation'), test: pick('test') };
  }
  const parts = splitDataset(ds, split);
  return { train: parts.train, validation: parts.validation, test: parts.test };
}

/**
 * Train and evaluate the profile's model on a dataset. The validation part (or, when there is
 * none, the test part) is scored after every epoch for the progress display; the test part gives
 * the final metrics at the profile's threshold.
 *
 * @param ds - a prepared dataset (`prepare` / `loadDataset`)
 * @param opts - see {@link TrainFlowOptions}
 */
export async function trainFromDataset(
  ds: Dataset,
  opts: TrainFlowOptions,
): Promise<TrainFlowResult> {
  const { profile } = opts;
  const trainConfig: Partial<TrainConfig> = { ...profile.train, ...opts.train };
  const parts = datasetParts(ds, { seed: trainConfig.seed ?? 0, ...opts.split });
  const [, h, w, c] = ds.shape;
  const modelConfig: Partial<ModelConfig> = {
    ...profile.model,
    ...opts.model,
    inputShape: [h, w, c],
    classes: ds.classNames.length,
  };
  const model = await createModel(modelConfig);
  const monitor = parts.validation.labels.length > 0 ? parts.validation : parts.test;
  const history = await trainModel(model, parts.train, {
    ...trainConfig,
    ...(monitor.labels.length > 0 ? { validationData: monitor } : {}),
    ...(opts.onEpochEnd ? { onEpochEnd: opts.onEpochEnd } : {}),
  });
  const evaluation =
    parts.test.labels.length > 0
      ? await evaluateModel(model, parts.test, { threshold: profile.threshold })
      : undefined;
  const meta: ModelMeta = {
    profileName: profile.name,
    profile: profile as unknown as Record<string, unknown>,
    classNames: ds.classNames,
    normalisation: { method: profile.preprocess.normalize, nan: 0 },
    ...(evaluation
      ? {
          metrics: {
            accuracy: evaluation.accuracy,
            precision: evaluation.precision,
            recall: evaluation.recall,
            f1: evaluation.f1,
            rocAuc: evaluation.rocAuc,
          },
        }
      : {}),
    modelConfig: { ...modelConfig } as ModelConfig,
    trainConfig,
  };
  const saved = opts.out !== undefined ? await saveModel(model, opts.out, meta) : meta;
  return {
    loaded: { model, meta: saved },
    history,
    ...(evaluation ? { evaluation } : {}),
    sizes: {
      train: parts.train.labels.length,
      validation: parts.validation.labels.length,
      test: parts.test.labels.length,
    },
  };
}
