/**
 * `alma-classifier retrain` (Node): one round of the review loop. The model's dataset gets the
 * label store's decisions (rejected and unsure samples out; kept candidates in as positives,
 * rejected ones as weighted hard negatives, built from their files or a run's saved inputs), the
 * model is fine-tuned from its own weights with validation, calibration and threshold as `train`
 * does them, saved, and a run's candidates are re-ranked to show what moved.
 */
import { dirname, relative, resolve } from 'node:path';
import type { Image2D } from '../core/image2d.js';
import { PipelineError } from '../core/errors.js';
import type { Dataset } from '../dataset/dataset.js';
import { summarizeLabels, type LabelRecord } from '../dataset/labels.js';
import type { EpochLog } from '../model/config.js';
import type { LoadedModel } from '../model/io.js';
import { profileForModel } from './classify.js';
import { datasetWithLabels, type DatasetWithLabels } from './labelled-dataset.node.js';
import { rankMoves, type RankMove } from './retrain.js';
import { readRunCandidates, rescoreCandidates, type RunCandidate } from './review.node.js';
import { trainAndCalibrate, type TrainAndCalibrateResult } from './train-flow.js';
import { saveModel } from '../model/io.node.js';

/** Options of {@link retrainWithLabels}. */
export interface RetrainWithLabelsOptions {
  /** The model to start from. */
  model: LoadedModel;
  /** Its folder (recorded in the new model's `meta.retrainedFrom`). */
  modelDir: string;
  /** The model's dataset (`loadDataset`). */
  dataset: Dataset;
  /** Its folder, recorded in the new model's `meta.dataset` so the next round finds it (with the same label store). */
  datasetDir?: string;
  /** Every label read (`readLabels`). */
  labels: readonly LabelRecord[];
  /** Where the new model goes. */
  out: string;
  /** A `classify` / `classify-archive` run to re-rank (its saved inputs also stand in for files that are gone). */
  run?: string;
  /** Folders to look in for labelled candidates' FITS files. */
  images?: readonly string[];
  /** Folder that relative label path hints start from (the label store's). */
  labelBase?: string;
  /** Epochs of fine-tuning. Default 5. */
  epochs?: number;
  /** Learning rate. Default: half the model's. */
  learningRate?: number;
  /** Seed. Default: the model's training seed. */
  seed?: number;
  /** Loss weight of a rejected candidate. Default 2. */
  hardNegativeWeight?: number;
  /** Called after every epoch. */
  onEpochEnd?: (log: EpochLog) => void;
  /** Called with warnings. */
  onWarning?: (message: string, source?: string) => void;
}

/** What {@link retrainWithLabels} did. */
export interface RetrainWithLabelsResult {
  /** The dataset trained on and what the labels did to it. */
  applied: DatasetWithLabels;
  /** The training result (the new model, its metadata as saved, validation and test figures). */
  trained: TrainAndCalibrateResult;
  /** The run's candidates re-ranked: how each moved, largest first (with a run). */
  moves?: RankMove[];
  /** The run's candidates, by id, with their old and new scores (with a run). */
  candidates?: {
    /** The candidate. */
    candidate: RunCandidate;
    /** Its score with the old model. */
    before: number;
    /** Its score with the new one. */
    after: number;
  }[];
}

/**
 * One round of the review loop: apply the labels to the model's dataset and add the candidates
 * it lacks ({@link datasetWithLabels}; a run's saved inputs stand in for files that are gone),
 * fine-tune the model from its own weights (`trainFromDataset` with `initialWeights`: the
 * dataset's training part, early stopping and best weights on validation, temperature and
 * threshold fitted on validation, test figures), save it to `out`, and re-rank the run's
 * candidates with the old and the new model.
 *
 * @param opts - see {@link RetrainWithLabelsOptions}
 * @throws PipelineError when no decision changes the dataset and nothing is added
 */
export async function retrainWithLabels(
  opts: RetrainWithLabelsOptions,
): Promise<RetrainWithLabelsResult> {
  const loaded = opts.model;
  const profile = profileForModel(loaded);
  const warn = (message: string, source?: string): void => opts.onWarning?.(message, source);
  let run: RunCandidate[] | undefined;
  const inputs = new Map<string, Image2D>();
  const dirs = [...(opts.images ?? [])];
  if (opts.run !== undefined) {
    const read = await readRunCandidates(opts.run, profile);
    for (const w of read.warnings) warn(w);
    run = read.candidates;
    for (const c of run) if (c.input !== undefined) inputs.set(c.id, c.input);
    dirs.push(read.kind === 'archive' ? resolve(read.path, 'files') : dirname(resolve(read.path)));
  }
  const weight = opts.hardNegativeWeight ?? 2;
  const applied = await datasetWithLabels(opts.dataset, opts.labels, profile, {
    dirs,
    ...(opts.labelBase !== undefined ? { base: opts.labelBase } : {}),
    inputs,
    hardNegativeWeight: weight,
    seed: profile.train.seed ?? 1,
  });
  for (const m of applied.missing) {
    warn(
      `label ${m.id} (${m.label}): its image (hash ${m.object.hash}${m.object.path ? `, last seen at ${m.object.path}` : ''}) was not found; pass its folder with --images or the run with --run`,
    );
  }
  if (applied.dropped.length + applied.changed.length + applied.added.length === 0) {
    throw new PipelineError(
      'retrain: the labels change nothing in the dataset (no decision matched a sample, and no labelled candidate was found)',
    );
  }
  const lr =
    opts.learningRate ??
    (loaded.meta.trainConfig?.learningRate ?? profile.train.learningRate ?? 1e-3) / 2;
  const summary = summarizeLabels(opts.labels);
  const trained = await trainAndCalibrate(applied.dataset, {
    profile,
    initialWeights: loaded.model,
    train: {
      epochs: opts.epochs ?? 5,
      learningRate: lr,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    },
    ...(opts.onEpochEnd ? { onEpochEnd: opts.onEpochEnd } : {}),
    onWarning: warn,
  });
  trained.meta.retrainedFrom = {
    model: relative(resolve(opts.out), resolve(opts.modelDir)) || '.',
    labels: {
      keep: summary.keep,
      reject: summary.reject,
      leftOut: applied.dropped.length,
    },
  };
  if (opts.datasetDir !== undefined) {
    trained.meta.dataset = relative(resolve(opts.out), resolve(opts.datasetDir)) || '.';
  }
  trained.meta = await saveModel(trained.model, opts.out, trained.meta);
  const result: RetrainWithLabelsResult = { applied, trained };
  if (run !== undefined) {
    const before = await rescoreCandidates(loaded, run);
    const after = await rescoreCandidates({ model: trained.model, meta: trained.meta }, run);
    result.candidates = run.map((candidate, i) => ({
      candidate,
      before: before[i],
      after: after[i],
    }));
    result.moves = rankMoves(
      run.map((c, i) => ({ id: c.id, score: before[i] })),
      run.map((c, i) => ({ id: c.id, score: after[i] })),
    );
  }
  return result;
}
